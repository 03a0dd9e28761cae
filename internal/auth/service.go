// Package auth provides accounts and sessions: argon2id passwords, short-lived JWT access
// tokens, rotating refresh tokens with reuse detection, and the caller's identity.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/page"
)

// Config sets token lifetimes, the signing key and the password cost.
type Config struct {
	// Secret signs access tokens (HS256); at least 32 bytes.
	Secret     []byte
	Issuer     string
	Audience   string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Password   PasswordParams
}

// Service manages accounts and sessions.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	cfg  Config
	now  func() time.Time
	// dummyHash is checked when a login names no account, so that a miss costs as much
	// as a wrong password and response times do not reveal which accounts exist.
	dummyHash string
	onRevoke  func(ctx context.Context, jti uuid.UUID)
}

// NewService returns the account service. now is the clock (time.Now in production).
func NewService(pool *pgxpool.Pool, cfg Config, now func() time.Time) (*Service, error) {
	if len(cfg.Secret) < 32 {
		return nil, errors.New("auth: secret must be at least 32 bytes")
	}
	dummy, err := hashPassword("not a real password", cfg.Password)
	if err != nil {
		return nil, err
	}
	return &Service{pool: pool, q: db.New(pool), cfg: cfg, now: now, dummyHash: dummy}, nil
}

// User is a person with an account.
type User struct {
	ID        uuid.UUID
	Username  string
	Email     string
	Role      Role
	CreatedAt time.Time
}

func userFromRow(u db.User) *User {
	return &User{ID: u.ID, Username: u.Username, Email: u.Email, Role: Role(u.Role), CreatedAt: u.CreatedAt}
}

// Session is what signing in returns.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	User         *User
}

// Registration is a new account's details.
type Registration struct {
	Username string
	Email    string
	Password string
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,32}$`)

const (
	minPassword = 10
	maxPassword = 1024
)

func (r Registration) validate() error {
	if !usernamePattern.MatchString(r.Username) {
		return errs.Invalid("input.username", "must be 3 to 32 characters: letters, digits, _ . or -")
	}
	if len(r.Email) > 254 {
		return errs.Invalid("input.email", "must be at most 254 characters")
	}
	addr, err := mail.ParseAddress(r.Email)
	if err != nil || addr.Address != r.Email || !strings.Contains(r.Email[strings.LastIndexByte(r.Email, '@'):], ".") {
		return errs.Invalid("input.email", "must be an email address such as ada@example.com")
	}
	if n := utf8.RuneCountInString(r.Password); n < minPassword || n > maxPassword {
		return errs.Invalid("input.password", "must be %d to %d characters", minPassword, maxPassword)
	}
	return nil
}

// Register creates a USER account and signs it in. A taken username or email is one
// CONFLICT that does not say which of the two is taken.
func (s *Service) Register(ctx context.Context, r Registration) (*Session, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	hash, err := hashPassword(r.Password, s.cfg.Password)
	if err != nil {
		return nil, err
	}
	var sess *Session
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		u, err := q.CreateUser(ctx, db.CreateUserParams{
			Username: r.Username, Email: r.Email, PasswordHash: hash, Role: string(RoleUser),
		})
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" {
				return errAccountConflict
			}
			return fmt.Errorf("create user: %w", err)
		}
		sess, err = s.startSession(ctx, q, u, uuid.New())
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// Login signs in with a username or email and a password.
func (s *Service) Login(ctx context.Context, login, password string) (*Session, error) {
	if login == "" || len(login) > 254 {
		return nil, errs.Invalid("input.login", "must be a username or an email address")
	}
	if len(password) > 4*maxPassword {
		return nil, errBadCredentials
	}
	u, err := s.q.GetUserByLogin(ctx, login)
	if errors.Is(err, pgx.ErrNoRows) {
		_, _ = checkPassword(s.dummyHash, password)
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	ok, err := checkPassword(u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("check password of user %s: %w", u.ID, err)
	}
	if !ok {
		return nil, errBadCredentials
	}
	return s.startSession(ctx, s.q, u, uuid.New())
}

// startSession issues an access token and a refresh token in family.
func (s *Service) startSession(ctx context.Context, q *db.Queries, u db.User, family uuid.UUID) (*Session, error) {
	now := s.now()
	access, _, exp, err := s.signAccess(u.ID, Role(u.Role), now)
	if err != nil {
		return nil, err
	}
	refresh, hash, err := newRefreshToken()
	if err != nil {
		return nil, err
	}
	// Sessions that ran out are never presented again; keep the table to live ones.
	if err := q.DeleteExpiredRefreshTokens(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("prune refresh tokens: %w", err)
	}
	if _, err := q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{
		UserID: u.ID, FamilyID: family, TokenHash: hash, ExpiresAt: now.Add(s.cfg.RefreshTTL),
	}); err != nil {
		return nil, fmt.Errorf("store refresh token: %w", err)
	}
	return &Session{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, User: userFromRow(u)}, nil
}

// Refresh trades a refresh token for a new pair. Each refresh token works once: a token
// presented again after its rotation means it was copied, so its whole family (every
// token descended from the same login) is revoked and the call fails.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 256 {
		return nil, errInvalidRefresh
	}
	var (
		sess   *Session
		reused bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		rt, err := q.GetRefreshTokenForUpdate(ctx, hashRefresh(token))
		if errors.Is(err, pgx.ErrNoRows) {
			return errInvalidRefresh
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		if rt.RevokedAt != nil || !s.now().Before(rt.ExpiresAt) {
			return errInvalidRefresh
		}
		if rt.RotatedAt != nil {
			// Commit the revocation, then report the reuse.
			reused = true
			return q.RevokeRefreshFamily(ctx, rt.FamilyID)
		}
		if err := q.MarkRefreshTokenRotated(ctx, rt.ID); err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		u, err := q.GetUserByID(ctx, rt.UserID)
		if err != nil {
			return fmt.Errorf("load user %s: %w", rt.UserID, err)
		}
		sess, err = s.startSession(ctx, q, u, rt.FamilyID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		return nil, errReusedRefresh
	}
	return sess, nil
}

// Logout revokes the session of refreshToken (its whole family) and the access token
// the caller is using. A refresh token of another user is unknown.
func (s *Service) Logout(ctx context.Context, id Identity, refreshToken string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		rt, err := q.GetRefreshTokenForUpdate(ctx, hashRefresh(refreshToken))
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && rt.UserID != id.UserID) {
			return errs.Invalid("refreshToken", "unknown refresh token")
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		if err := q.RevokeRefreshFamily(ctx, rt.FamilyID); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		if err := q.RevokeAccessToken(ctx, db.RevokeAccessTokenParams{Jti: id.TokenID, ExpiresAt: id.ExpiresAt}); err != nil {
			return fmt.Errorf("revoke access token: %w", err)
		}
		// Revocations of tokens that have expired anyway are dead weight.
		if _, err := q.DeleteExpiredRevocations(ctx); err != nil {
			return fmt.Errorf("prune revocations: %w", err)
		}
		return nil
	})
	if err == nil && s.onRevoke != nil {
		s.onRevoke(ctx, id.TokenID)
	}
	return err
}

// OnRevoke registers what to do once an access token is signed out: live connections
// holding it end at once, instead of at its expiry.
func (s *Service) OnRevoke(fn func(ctx context.Context, jti uuid.UUID)) { s.onRevoke = fn }

// Authenticate verifies a bearer access token and checks it was not revoked.
func (s *Service) Authenticate(ctx context.Context, token string) (Identity, error) {
	id, err := s.parseAccess(token)
	if err != nil {
		return Identity{}, err
	}
	revoked, err := s.q.IsAccessTokenRevoked(ctx, id.TokenID)
	if err != nil {
		return Identity{}, fmt.Errorf("check token revocation: %w", err)
	}
	if revoked {
		return Identity{}, errRevokedToken
	}
	return id, nil
}

// User returns one user as the caller may see it: themselves, or anyone for an admin.
func (s *Service) User(ctx context.Context, viewer Identity, id uuid.UUID) (*User, error) {
	if id != viewer.UserID && !viewer.IsAdmin() {
		return nil, fmt.Errorf("user %s: %w", id, errs.ErrNotFound)
	}
	u, err := s.q.GetUserByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("user %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", id, err)
	}
	return userFromRow(u), nil
}

// UsersByIDs loads users by id, for dataloaders; missing ids are absent from the map.
func (s *Service) UsersByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*User, error) {
	rows, err := s.q.ListUsersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	out := make(map[uuid.UUID]*User, len(rows))
	for _, r := range rows {
		out[r.ID] = userFromRow(r)
	}
	return out, nil
}

// UserCursor is a user's position in a list.
func UserCursor(u *User) page.Cursor { return page.Cursor{CreatedAt: u.CreatedAt, ID: u.ID} }

// List pages through every account, oldest first. Only admins may call it; the schema's
// @hasRole directive enforces that before the call.
func (s *Service) List(ctx context.Context, a page.Args) (page.Page[*User], error) {
	rows, err := s.q.ListUsers(ctx, db.ListUsersParams{AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit()})
	if err != nil {
		return page.Page[*User]{}, fmt.Errorf("list users: %w", err)
	}
	items := make([]*User, len(rows))
	for i, r := range rows {
		items[i] = userFromRow(r)
	}
	return page.New(items, a, UserCursor, func(ctx context.Context) (int, error) {
		n, err := s.q.CountUsers(ctx)
		if err != nil {
			return 0, fmt.Errorf("count users: %w", err)
		}
		return int(n), nil
	}), nil
}

// SetRole changes the role of the user with this username or email (the CLI's way to make
// the first admin). It takes effect when the user next signs in.
func SetRole(ctx context.Context, pool *pgxpool.Pool, login string, role Role) error {
	n, err := db.New(pool).SetUserRole(ctx, db.SetUserRoleParams{Login: login, Role: string(role)})
	if err != nil {
		return fmt.Errorf("set role of %s: %w", login, err)
	}
	if n == 0 {
		return fmt.Errorf("user %s: %w", login, errs.ErrNotFound)
	}
	return nil
}
