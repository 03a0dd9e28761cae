package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/testkit"
)

// FuzzAuthenticate: whatever a client sends as its access token, Authenticate never
// panics and refuses it as unauthenticated (never as an internal error), unless it is
// the genuine token, which names its user.
func FuzzAuthenticate(f *testing.F) {
	s := testkit.NewServer(f)
	_, sess := s.Register(f, "fuzzer")
	// The test server's own settings: its secret, APP_NAME as issuer.
	svc, err := auth.NewService(s.Pool, nil, auth.Config{
		Secret: []byte(testkit.Secret), Issuer: "Ensemble", Audience: auth.Audience,
		AccessTTL: time.Minute, RefreshTTL: time.Hour,
		Password: auth.PasswordParams{Time: 1, Memory: 64, Threads: 1},
	}, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	genuine, err := svc.Authenticate(f.Context(), sess.AccessToken)
	if err != nil {
		f.Fatalf("the genuine token: %v", err)
	}
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			f.Fatal(err)
		}
		return tok
	}
	claims := jwt.MapClaims{"sub": sess.User.ID, "iss": "Ensemble", "aud": auth.Audience,
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "role": "ADMIN"}
	parts := strings.Split(sess.AccessToken, ".")
	for _, seed := range []string{
		sess.AccessToken,
		sess.AccessToken[:len(sess.AccessToken)-1],
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1],
		sign(jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef0123456789"), claims),
		sign(jwt.SigningMethodHS512, []byte(testkit.Secret), claims),
		sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
		"", ".", "..", "a.b.c", "Bearer " + sess.AccessToken, strings.Repeat("A", 5000),
		"eyJhbGciOiJIUzI1NiJ9.e30.\x00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id, err := svc.Authenticate(t.Context(), token)
		switch {
		case err == nil && (id.UserID != genuine.UserID || id.Role != genuine.Role):
			t.Fatalf("token %q accepted as %+v", token, id)
		case err != nil && !errors.Is(err, errs.ErrUnauthenticated):
			t.Fatalf("token %q refused with an internal error: %v", token, err)
		case token == sess.AccessToken && err != nil:
			t.Fatalf("the genuine token refused: %v", err)
		}
	})
}
