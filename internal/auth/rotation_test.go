package auth_test

import (
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/literaryai/ensemble/internal/testkit"
)

// rotatedKey is the SECRET_KEY that replaces testkit.Secret in these tests.
const rotatedKey = "rotated-secret-key-fedcba9876543210fedcba98"

// TestSecretKeyRotation: after SECRET_KEY is rotated with the old key in
// SECRET_KEY_PREVIOUS, access tokens signed before the rotation still work (over HTTP and
// WebSocket), new ones are signed with the new key only, and a token signed with neither
// key is refused as before.
func TestSecretKeyRotation(t *testing.T) {
	t.Parallel()
	before := testkit.NewServer(t) // signs with testkit.Secret
	_, old := before.Register(t, "kitty")
	// Instances on the same database, as a rolling deployment has them side by side.
	rotated := testkit.NewServerOn(t, before.DatabaseURL,
		"SECRET_KEY="+rotatedKey, "SECRET_KEY_PREVIOUS=retired-secret-key-000000000000000000000, "+testkit.Secret)
	forgetful := testkit.NewServerOn(t, before.DatabaseURL, "SECRET_KEY="+rotatedKey)
	// The first step of a rolling rotation: the new key verifies before any instance signs with it.
	staged := testkit.NewServerOn(t, before.DatabaseURL, "SECRET_KEY_PREVIOUS="+rotatedKey)

	var signIn struct{ Login testkit.Session }
	rotated.Client().Must(t, `mutation { login(input: {login: "kitty", password: "password-kitty"}) { accessToken } }`, nil, &signIn)
	fresh := signIn.Login.AccessToken
	var refreshed struct{ RefreshToken testkit.Session }
	rotated.Client().Must(t, `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`,
		map[string]any{"t": old.RefreshToken}, &refreshed)

	for _, tc := range []struct {
		name  string
		token string
		key   string
	}{
		{"signed in after the rotation", fresh, rotatedKey},
		{"refreshed after the rotation", refreshed.RefreshToken.AccessToken, rotatedKey},
		{"signed in before the rotation", old.AccessToken, testkit.Secret},
	} {
		if _, err := jwt.Parse(tc.token, func(*jwt.Token) (any, error) { return []byte(tc.key), nil },
			jwt.WithValidMethods([]string{"HS256"})); err != nil {
			t.Fatalf("%s: not signed with the expected key: %v", tc.name, err)
		}
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(old.AccessToken, claims); err != nil {
		t.Fatal(err)
	}
	// A real session's claims under a key that neither signs nor verifies.
	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("unknown-secret-key-0123456789abcdef012345"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		server *testkit.Server
		token  string
		// refused is the start of the error message, or "" when the token is accepted.
		refused string
	}{
		{"old token after the rotation", rotated, old.AccessToken, ""},
		{"new token after the rotation", rotated, fresh, ""},
		{"new token on an instance not yet rotated", before, fresh, "invalid access token"},
		{"new token on an instance that verifies the new key", staged, fresh, ""},
		{"old token on an instance that verifies the new key", staged, old.AccessToken, ""},
		{"old token once the previous key is dropped", forgetful, old.AccessToken, "invalid access token"},
		{"new token once the previous key is dropped", forgetful, fresh, ""},
		{"token signed with neither key", rotated, forged, "invalid access token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.server.Client()
			c.Token = tc.token
			r := c.Do(t, `{ me { username } }`, nil)
			if tc.refused == "" {
				var out struct{ Me struct{ Username string } }
				r.Decode(t, &out)
				if out.Me.Username != "kitty" {
					t.Fatalf("me = %+v", out.Me)
				}
				return
			}
			if code := r.Code(t); code != "UNAUTHENTICATED" || !strings.HasPrefix(r.Errors[0].Message, tc.refused) {
				t.Fatalf("code %s, message %q; want UNAUTHENTICATED %q", code, r.Errors[0].Message, tc.refused)
			}
		})
	}

	// A WebSocket initialised with a token of the old key is acknowledged too.
	rotated.Live(t, old.AccessToken)
}
