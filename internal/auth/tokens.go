package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

var (
	// ErrMalformedHeader: an Authorization header that is not "Bearer <token>".
	ErrMalformedHeader = fmt.Errorf("the Authorization header must be Bearer <access token>: %w", errs.ErrUnauthenticated)
	errMissingToken    = fmt.Errorf("sign in first: send an access token as Authorization: Bearer <token>: %w", errs.ErrUnauthenticated)
	errInvalidToken    = fmt.Errorf("invalid access token: %w", errs.ErrUnauthenticated)
	errExpiredToken    = fmt.Errorf("access token expired; refresh it: %w", errs.ErrUnauthenticated)
	errSessionEnded    = fmt.Errorf("the session has ended (signed out, or the account was deleted); sign in again: %w", errs.ErrUnauthenticated)
	errInvalidRefresh  = fmt.Errorf("invalid or expired refresh token: %w", errs.ErrUnauthenticated)
	errReusedRefresh   = fmt.Errorf("refresh token already used; the session has been signed out: %w", errs.ErrUnauthenticated)
	errBadCredentials  = fmt.Errorf("wrong login or password: %w", errs.ErrUnauthenticated)
	errAccountConflict = fmt.Errorf("that username or email is already registered: %w", errs.ErrConflict)
)

// Audience is the aud claim of every access token.
const Audience = "ensemble-api"

// claims are the access token's claims: the registered ones, the session (sid, as OpenID
// Connect names it) and the role. The role tells clients what the user could do when the
// token was issued; the server reads the current one on every request.
type claims struct {
	Session string `json:"sid"`
	Role    Role   `json:"role"`
	jwt.RegisteredClaims
}

// signAccess issues an HS256 access token for user in session.
func (s *Service) signAccess(userID, session uuid.UUID, role Role, now time.Time) (string, time.Time, error) {
	exp := now.Add(s.cfg.AccessTTL)
	c := claims{
		Session: session.String(),
		Role:    role,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID.String(),
			ID:        uuid.NewString(),
			Issuer:    s.cfg.Issuer,
			Audience:  jwt.ClaimStrings{s.cfg.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.cfg.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// verificationKeys are the keys an access token may be signed with: the current secret,
// then the ones it replaced, so that tokens issued before a rotation live out their time.
func (s *Service) verificationKeys(*jwt.Token) (any, error) {
	keys := make([]jwt.VerificationKey, 0, 1+len(s.cfg.PreviousSecrets))
	keys = append(keys, s.cfg.Secret)
	for _, k := range s.cfg.PreviousSecrets {
		keys = append(keys, k)
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

// parseAccess verifies an access token's signature, algorithm, issuer, audience and times.
// Only HS256 is accepted: "none" and every other algorithm fail before the key is used.
// A token without a session (issued before sessions existed) is invalid.
func (s *Service) parseAccess(token string) (Identity, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, s.verificationKeys,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithAudience(s.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Identity{}, errExpiredToken
		}
		return Identity{}, errInvalidToken
	}
	uid, err := uuid.Parse(c.Subject)
	if err != nil {
		return Identity{}, errInvalidToken
	}
	sid, err := uuid.Parse(c.Session)
	if err != nil {
		return Identity{}, errInvalidToken
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return Identity{}, errInvalidToken
	}
	if c.Role != RoleUser && c.Role != RoleAdmin {
		return Identity{}, errInvalidToken
	}
	return Identity{UserID: uid, Role: c.Role, SessionID: sid, ExpiresAt: c.ExpiresAt.Time}, nil
}

// newRefreshToken returns an opaque random token and the hash that is stored instead.
func newRefreshToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("refresh token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashRefresh(tok), nil
}

func hashRefresh(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
