package resolvers_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/testkit"
)

const meQuery = `{ me { id username email role } }`

func TestRegisterLoginMe(t *testing.T) {
	s := testkit.NewServer(t)
	c, sess := s.Register(t, "elizabeth")

	var me struct {
		Me struct{ ID, Username, Email, Role string }
	}
	c.Must(t, meQuery, nil, &me)
	if me.Me.Username != "elizabeth" || me.Me.Email != "elizabeth@example.com" || me.Me.Role != "USER" || me.Me.ID != sess.User.ID {
		t.Fatalf("me = %+v", me.Me)
	}

	for _, login := range []string{"elizabeth", "Elizabeth@Example.com", "ELIZABETH"} {
		var out struct{ Login testkit.Session }
		s.Client().Must(t, `mutation($l: String!) { login(input: {login: $l, password: "password-elizabeth"}) {
			accessToken refreshToken user { id } } }`, map[string]any{"l": login}, &out)
		if out.Login.User.ID != sess.User.ID || out.Login.AccessToken == "" || out.Login.RefreshToken == "" {
			t.Fatalf("login as %q: %+v", login, out.Login)
		}
	}

	for _, tc := range []struct{ name, login, password string }{
		{"wrong password", "elizabeth", "password-darcy!"},
		{"unknown user", "darcy", "password-darcy!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Client().Do(t, `mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken } }`,
				map[string]any{"l": tc.login, "p": tc.password})
			if code := r.Code(t); code != "UNAUTHENTICATED" {
				t.Fatalf("code = %s", code)
			}
			if r.Errors[0].Message != "wrong login or password" {
				t.Fatalf("message %q should not say which part was wrong", r.Errors[0].Message)
			}
		})
	}
}

func TestRegisterBadInput(t *testing.T) {
	s := testkit.NewServer(t)
	s.Register(t, "jane")
	const q = `mutation($in: RegisterInput!) { register(input: $in) { accessToken } }`
	tests := []struct {
		name     string
		in       map[string]any
		code     string
		field    string
		wantUser int
	}{
		{"short username", map[string]any{"username": "jo", "email": "jo@example.com", "password": "long enough pw"}, "BAD_USER_INPUT", "input.username", 1},
		{"long username", map[string]any{"username": "j234567890123456789012345678901234", "email": "j@example.com", "password": "long enough pw"}, "BAD_USER_INPUT", "input.username", 1},
		{"bad characters", map[string]any{"username": "jo hn", "email": "john@example.com", "password": "long enough pw"}, "BAD_USER_INPUT", "input.username", 1},
		{"bad email", map[string]any{"username": "john", "email": "not-an-email", "password": "long enough pw"}, "BAD_USER_INPUT", "input.email", 1},
		{"email with name", map[string]any{"username": "john", "email": "John <john@example.com>", "password": "long enough pw"}, "BAD_USER_INPUT", "input.email", 1},
		{"short password", map[string]any{"username": "john", "email": "john@example.com", "password": "short"}, "BAD_USER_INPUT", "input.password", 1},
		{"taken username", map[string]any{"username": "JANE", "email": "other@example.com", "password": "long enough pw"}, "CONFLICT", "", 1},
		{"taken email", map[string]any{"username": "other", "email": "Jane@Example.com", "password": "long enough pw"}, "CONFLICT", "", 1},
		{"missing field", map[string]any{"username": "john", "email": "john@example.com"}, "GRAPHQL_VALIDATION_FAILED", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Client().Do(t, q, map[string]any{"in": tc.in})
			if code := r.Code(t); code != tc.code {
				t.Fatalf("code = %s, want %s (%+v)", code, tc.code, r.Errors)
			}
			if tc.field != "" && r.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("field = %v, want %s", r.Errors[0].Extensions["field"], tc.field)
			}
			if n := s.Count(t, "users"); n != tc.wantUser {
				t.Fatalf("users = %d, want %d: a refused registration wrote something", n, tc.wantUser)
			}
		})
	}
	r := s.Client().Do(t, q, map[string]any{"in": map[string]any{"username": "other", "email": "jane@example.com", "password": "long enough pw"}})
	if msg := r.Errors[0].Message; msg != "that username or email is already registered" {
		t.Fatalf("conflict message %q", msg)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	s := testkit.NewServer(t)
	_, sess := s.Register(t, "darcy")
	const q = `mutation($t: String!) { refreshToken(token: $t) { accessToken refreshToken user { username } } }`

	var first struct{ RefreshToken testkit.Session }
	s.Client().Must(t, q, map[string]any{"t": sess.RefreshToken}, &first)
	if first.RefreshToken.RefreshToken == sess.RefreshToken || first.RefreshToken.User.Username != "darcy" {
		t.Fatalf("refresh did not rotate: %+v", first.RefreshToken)
	}
	var second struct{ RefreshToken testkit.Session }
	s.Client().Must(t, q, map[string]any{"t": first.RefreshToken.RefreshToken}, &second)

	// The original token, already rotated, is presented again: theft. It is refused and
	// the whole family is revoked, so the newest token dies too.
	r := s.Client().Do(t, q, map[string]any{"t": sess.RefreshToken})
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("reuse: code = %s", code)
	}
	r = s.Client().Do(t, q, map[string]any{"t": second.RefreshToken.RefreshToken})
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("descendant after reuse: code = %s", code)
	}
	for _, bad := range []string{"", "garbage", string(make([]byte, 300))} {
		r := s.Client().Do(t, q, map[string]any{"t": bad})
		if code := r.Code(t); code != "UNAUTHENTICATED" {
			t.Fatalf("token %q: code = %s", bad, code)
		}
	}
}

func TestLogout(t *testing.T) {
	s := testkit.NewServer(t)
	c, sess := s.Register(t, "bingley")
	other, otherSess := s.Register(t, "caroline")

	// Someone else's refresh token is unknown to you.
	r := c.Do(t, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": otherSess.RefreshToken})
	if code := r.Code(t); code != "BAD_USER_INPUT" {
		t.Fatalf("logout with another user's token: code = %s", code)
	}
	other.Must(t, meQuery, nil, &struct{}{})

	// Leftovers that logout and sign-in prune: an expired revocation and an expired session.
	if _, err := s.Pool.Exec(t.Context(), `INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (gen_random_uuid(), now() - interval '1 hour');
		INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
		SELECT id, gen_random_uuid(), sha256('old'::bytea), now() - interval '1 day' FROM users WHERE username = 'bingley'`); err != nil {
		t.Fatal(err)
	}
	var out struct{ Logout bool }
	c.Must(t, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": sess.RefreshToken}, &out)
	var expired int
	if err := s.Pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM revoked_access_tokens WHERE expires_at < now())`).Scan(&expired); err != nil || expired != 0 {
		t.Fatalf("expired revocations left: %d %v", expired, err)
	}
	if !out.Logout {
		t.Fatal("logout returned false")
	}
	r = c.Do(t, meQuery, nil)
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("access token after logout: code = %s", code)
	}
	r = s.Client().Do(t, `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": sess.RefreshToken})
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("refresh after logout: code = %s", code)
	}
	// The other user's session is untouched.
	other.Must(t, meQuery, nil, &struct{}{})

	s.Client().Must(t, `mutation { login(input: {login: "bingley", password: "password-bingley"}) { accessToken } }`, nil, &struct{}{})
	if err := s.Pool.QueryRow(t.Context(), `SELECT count(*) FROM refresh_tokens WHERE expires_at < now()`).Scan(&expired); err != nil || expired != 0 {
		t.Fatalf("expired refresh tokens left after sign-in: %d %v", expired, err)
	}
}

// sign makes an access token with the given claims, key and method.
func sign(t *testing.T, method jwt.SigningMethod, key any, mutate func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"sub": uuid.NewString(), "jti": uuid.NewString(), "role": "ADMIN",
		"iss": "Ensemble", "aud": []string{"ensemble-api"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if mutate != nil {
		mutate(claims)
	}
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRejectedAccessTokens(t *testing.T) {
	s := testkit.NewServer(t)
	_, sess := s.Register(t, "wickham")
	secret := []byte(testkit.Secret)
	good := sign(t, jwt.SigningMethodHS256, secret, nil)
	tests := []struct {
		name  string
		token string
	}{
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), nil)},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, secret, nil)},
		{"expired", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		})},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() })},
		{"no expiry", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { delete(c, "exp") })},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["iss"] = "someone-else" })},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["aud"] = []string{"other-api"} })},
		{"unknown role", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["role"] = "ROOT" })},
		{"tampered payload", good[:len(good)-4] + "AAAA"},
		{"garbage", "not.a.token"},
		{"refresh token as access token", sess.RefreshToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := s.Client()
			c.Token = tc.token
			r := c.Do(t, meQuery, nil)
			if code := r.Code(t); code != "UNAUTHENTICATED" {
				t.Fatalf("code = %s", code)
			}
		})
	}
	// A forged admin token must not list users either.
	c := s.Client()
	c.Token = sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), nil)
	if code := c.Do(t, `{ users { totalCount } }`, nil).Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("forged admin: code = %s", code)
	}
}

func TestRoles(t *testing.T) {
	s := testkit.NewServer(t)
	user, _ := s.Register(t, "mary")
	admin, _ := s.Register(t, "kitty")
	if _, err := s.Pool.Exec(t.Context(), `UPDATE users SET role = 'ADMIN' WHERE username = 'kitty'`); err != nil {
		t.Fatal(err)
	}
	// Roles travel in the token: sign in again to get an admin token.
	var out struct{ Login testkit.Session }
	s.Client().Must(t, `mutation { login(input: {login: "kitty", password: "password-kitty"}) { accessToken refreshToken user { id } } }`, nil, &out)
	admin.Token = out.Login.AccessToken

	if code := user.Do(t, `{ users { totalCount } }`, nil).Code(t); code != "FORBIDDEN" {
		t.Fatalf("user listing users: code = %s", code)
	}
	if code := s.Client().Do(t, `{ users { totalCount } }`, nil).Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("anonymous listing users: code = %s", code)
	}
	var list struct {
		Users struct {
			TotalCount int
			Nodes      []struct{ Username string }
		}
	}
	admin.Must(t, `{ users(first: 1) { totalCount nodes { username } } }`, nil, &list)
	if list.Users.TotalCount != 2 || len(list.Users.Nodes) != 1 || list.Users.Nodes[0].Username != "mary" {
		t.Fatalf("admin users = %+v", list.Users)
	}

	// Admins see every user's objects; users only their own.
	eco := user.CreateEcosystem(t, "Meryton")
	var got struct{ Ecosystem *struct{ Name string } }
	admin.Must(t, `query($id: ID!) { ecosystem(id: $id) { name } }`, map[string]any{"id": eco}, &got)
	if got.Ecosystem == nil || got.Ecosystem.Name != "Meryton" {
		t.Fatalf("admin could not see a user's ecosystem: %+v", got)
	}
}

func TestProtectedFieldsNeedAToken(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "lydia")
	eco := c.CreateEcosystem(t, "Brighton")
	ops := []string{
		meQuery,
		`{ ecosystems { totalCount } }`,
		`{ characters { totalCount } }`,
		`{ documents { totalCount } }`,
		`query { ecosystem(id: "` + eco + `") { id } }`,
		`query { node(id: "` + eco + `") { id } }`,
		`mutation { createEcosystem(input: {name: "x"}) { id } }`,
		`mutation { deleteEcosystem(id: "` + eco + `") }`,
		`mutation { logout(refreshToken: "x") }`,
	}
	for _, op := range ops {
		r := s.Client().Do(t, op, nil)
		if code := r.Code(t); code != "UNAUTHENTICATED" {
			t.Fatalf("%s: code = %s", op, code)
		}
	}
	if n := s.Count(t, "ecosystems"); n != 1 {
		t.Fatalf("ecosystems = %d after refused writes", n)
	}
}
