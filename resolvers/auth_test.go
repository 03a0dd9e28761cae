package resolvers_test

import (
	"strings"
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

const refreshMutation = `mutation($t: String!) { refreshToken(token: $t) { accessToken refreshToken user { username } } }`

// answers reports the code a request with token answers for me: "" when it succeeds.
func answers(t *testing.T, s *testkit.Server, token string) string {
	t.Helper()
	c := s.Client()
	c.Token = token
	r := c.Do(t, meQuery, nil)
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Code(t)
}

func TestRefreshTokenRotationAndReuse(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	cast := newCast(t, s, "darcy")
	sess := cast.session
	live := s.Live(t, sess.AccessToken)
	live.Subscribe("1", messageStream, map[string]any{"c": cast.conversationID})
	var other struct{ Login testkit.Session }
	s.Client().Must(t, `mutation { login(input: {login: "darcy", password: "password-darcy"}) { accessToken refreshToken } }`, nil, &other)

	var first struct{ RefreshToken testkit.Session }
	s.Client().Must(t, refreshMutation, map[string]any{"t": sess.RefreshToken}, &first)
	if first.RefreshToken.RefreshToken == sess.RefreshToken || first.RefreshToken.User.Username != "darcy" {
		t.Fatalf("refresh did not rotate: %+v", first.RefreshToken)
	}
	var second struct{ RefreshToken testkit.Session }
	s.Client().Must(t, refreshMutation, map[string]any{"t": first.RefreshToken.RefreshToken}, &second)
	// Every access token of the session works until the session ends.
	session := []string{sess.AccessToken, first.RefreshToken.AccessToken, second.RefreshToken.AccessToken}
	for i, tok := range session {
		if code := answers(t, s, tok); code != "" {
			t.Fatalf("access token %d of a live session: %s", i, code)
		}
	}

	// The original token, already rotated, is presented again: theft. It is refused and
	// the session ends: its newest refresh token, every access token issued in it, and its
	// live connections.
	r := s.Client().Do(t, refreshMutation, map[string]any{"t": sess.RefreshToken})
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("reuse: code = %s", code)
	}
	for i, tok := range session {
		if code := answers(t, s, tok); code != "UNAUTHENTICATED" {
			t.Fatalf("access token %d after reuse: code = %q", i, code)
		}
	}
	if code, reason := live.Closed(5 * time.Second); code != 4403 {
		t.Fatalf("the session's socket closed with %d %q, want 4403", code, reason)
	}
	r = s.Client().Do(t, refreshMutation, map[string]any{"t": second.RefreshToken.RefreshToken})
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("descendant after reuse: code = %s", code)
	}
	// The user's other session is untouched.
	if code := answers(t, s, other.Login.AccessToken); code != "" {
		t.Fatalf("another session after reuse: %s", code)
	}
	s.Client().Must(t, refreshMutation, map[string]any{"t": other.Login.RefreshToken}, &struct{}{})

	for _, bad := range []string{"", "garbage", strings.Repeat("a", 300)} {
		r := s.Client().Do(t, refreshMutation, map[string]any{"t": bad})
		if code := r.Code(t); code != "UNAUTHENTICATED" {
			t.Fatalf("token %q: code = %s", bad, code)
		}
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, sess := s.Register(t, "bingley")
	other, otherSess := s.Register(t, "caroline")
	const logout = `mutation($t: String!) { logout(refreshToken: $t) }`

	// Someone else's refresh token is unknown to you, and ends nothing.
	r := c.Do(t, logout, map[string]any{"t": otherSess.RefreshToken})
	if code := r.Code(t); code != "BAD_USER_INPUT" {
		t.Fatalf("logout with another user's token: code = %s", code)
	}
	other.Must(t, meQuery, nil, &struct{}{})
	c.Must(t, meQuery, nil, &struct{}{})

	// Three sessions of bingley: this one (refreshed once, so two access tokens), a
	// second signed out through the first's access token, and a third that stays.
	var refreshed struct{ RefreshToken testkit.Session }
	s.Client().Must(t, refreshMutation, map[string]any{"t": sess.RefreshToken}, &refreshed)
	login := func() testkit.Session {
		var out struct{ Login testkit.Session }
		s.Client().Must(t, `mutation { login(input: {login: "bingley", password: "password-bingley"}) { accessToken refreshToken } }`, nil, &out)
		return out.Login
	}
	second, third := login(), login()

	var out struct{ Logout bool }
	c.Must(t, logout, map[string]any{"t": refreshed.RefreshToken.RefreshToken}, &out)
	if !out.Logout {
		t.Fatal("logout returned false")
	}
	for i, tok := range []string{sess.AccessToken, refreshed.RefreshToken.AccessToken} {
		if code := answers(t, s, tok); code != "UNAUTHENTICATED" {
			t.Fatalf("access token %d of the session after logout: code = %q", i, code)
		}
	}
	r = s.Client().Do(t, `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": refreshed.RefreshToken.RefreshToken})
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("refresh after logout: code = %s", code)
	}

	// Signing out the second session with the third's access token ends both.
	c.Token = third.AccessToken
	c.Must(t, logout, map[string]any{"t": second.RefreshToken}, &out)
	for name, tok := range map[string]string{"second": second.AccessToken, "third": third.AccessToken} {
		if code := answers(t, s, tok); code != "UNAUTHENTICATED" {
			t.Fatalf("%s session after logout: code = %q", name, code)
		}
	}
	// The other user's session is untouched.
	other.Must(t, meQuery, nil, &struct{}{})

	// Leftovers that sign-in prunes: a session that ran out, and a rotated refresh token
	// that expired in a session still alive.
	fourth := login()
	if _, err := s.Pool.Exec(t.Context(), `
		WITH s AS (INSERT INTO sessions (user_id, expires_at) SELECT id, now() - interval '1 day' FROM users WHERE username = 'bingley' RETURNING id, user_id, expires_at)
		INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) SELECT user_id, id, sha256('old'::bytea), expires_at FROM s`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(t.Context(), `
		INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, rotated_at)
		SELECT user_id, family_id, sha256('rotated'::bytea), now() - interval '1 hour', now() - interval '2 hours'
		FROM refresh_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, fourth.RefreshToken); err != nil {
		t.Fatal(err)
	}
	login()
	var expired int
	if err := s.Pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM sessions WHERE expires_at < now()) + (SELECT count(*) FROM refresh_tokens WHERE expires_at < now())`).Scan(&expired); err != nil || expired != 0 {
		t.Fatalf("expired sessions or refresh tokens left after sign-in: %d %v", expired, err)
	}
	if code := answers(t, s, fourth.AccessToken); code != "" {
		t.Fatalf("a live session after pruning: %s", code)
	}
	s.Client().Must(t, refreshMutation, map[string]any{"t": fourth.RefreshToken}, &struct{}{})
}

// sign makes an access token with the given claims, key and method.
func sign(t *testing.T, method jwt.SigningMethod, key any, mutate func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"sub": uuid.NewString(), "sid": uuid.NewString(), "jti": uuid.NewString(), "role": "ADMIN",
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

// claimsOf reads a token's claims without verifying it.
func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestRejectedAccessTokens(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	_, sess := s.Register(t, "wickham")
	secret := []byte(testkit.Secret)
	good := sign(t, jwt.SigningMethodHS256, secret, nil)
	mine := claimsOf(t, sess.AccessToken)
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
		{"unknown session", good},
		{"no session", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["sub"] = mine["sub"]; delete(c, "sid") })},
		{"malformed session", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["sub"], c["sid"] = mine["sub"], "not-a-uuid" })},
		{"another user's session", sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["sid"] = mine["sid"] })},
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
	// Nor a token of a real session whose role claim says ADMIN: the role is the user's.
	c.Token = sign(t, jwt.SigningMethodHS256, secret, func(c jwt.MapClaims) { c["sub"], c["sid"] = mine["sub"], mine["sid"] })
	if code := c.Do(t, `{ users { totalCount } }`, nil).Code(t); code != "FORBIDDEN" {
		t.Fatalf("USER with an ADMIN role claim: code = %s", code)
	}
}

func TestRoleChangeAppliesToTheSessionAtOnce(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	user, _ := s.Register(t, "mary")
	admin, _ := s.Register(t, "kitty")
	if code := admin.Do(t, `{ users { totalCount } }`, nil).Code(t); code != "FORBIDDEN" {
		t.Fatalf("before promotion: code = %s", code)
	}
	setRole := func(role string) {
		t.Helper()
		if _, err := s.Pool.Exec(t.Context(), `UPDATE users SET role = $1 WHERE username = 'kitty'`, role); err != nil {
			t.Fatal(err)
		}
	}
	// The role is read at every request: the token issued before the promotion is an
	// admin's at the next request, without signing in again.
	setRole("ADMIN")
	var me struct{ Me struct{ Role string } }
	admin.Must(t, `{ me { role } }`, nil, &me)
	if me.Me.Role != "ADMIN" {
		t.Fatalf("role after promotion = %s", me.Me.Role)
	}

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

	// A demotion applies at the next request too.
	setRole("USER")
	if code := admin.Do(t, `{ users { totalCount } }`, nil).Code(t); code != "FORBIDDEN" {
		t.Fatalf("after demotion: code = %s", code)
	}
	if code := admin.Do(t, `query($id: ID!) { ecosystem(id: $id) { name } }`, map[string]any{"id": eco}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("after demotion, another user's ecosystem: code = %s", code)
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
		`mutation { deleteAccount(password: "password-lydia") }`,
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
