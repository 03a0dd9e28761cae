// Package auth provides accounts and sessions: argon2id passwords, short-lived JWT access
// tokens, rotating refresh tokens with reuse detection, and the caller's identity.
package auth

import (
	"context"
	"encoding/json"
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
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
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
	// PreviousSecrets verify access tokens signed before Secret replaced them; they sign
	// nothing (see verificationKeys).
	PreviousSecrets [][]byte
	// SessionCacheTTL is how long this instance may reuse a session check instead of
	// asking the database again; 0 checks on every request. Sessions ended through the
	// API are forgotten at once on every instance that hears the bus.
	SessionCacheTTL time.Duration
}

// Service manages accounts and sessions.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	// pub announces ended sessions (so live connections of them close) and deleted
	// accounts' ecosystems.
	pub events.Publisher
	cfg Config
	now func() time.Time
	// dummyHash is checked when a login names no account, so that a miss costs as much
	// as a wrong password and response times do not reveal which accounts exist.
	dummyHash string
	// checks caches session checks; nil when Config.SessionCacheTTL is 0.
	checks *sessionCache
}

// NewService returns the account service. now is the clock (time.Now in production).
func NewService(pool *pgxpool.Pool, pub events.Publisher, cfg Config, now func() time.Time) (*Service, error) {
	if len(cfg.Secret) < 32 {
		return nil, errors.New("auth: secret must be at least 32 bytes")
	}
	dummy, err := hashPassword("not a real password", cfg.Password)
	if err != nil {
		return nil, err
	}
	s := &Service{pool: pool, q: db.New(pool), pub: pub, cfg: cfg, now: now, dummyHash: dummy}
	if cfg.SessionCacheTTL > 0 {
		s.checks = newSessionCache(cfg.SessionCacheTTL)
	}
	return s, nil
}

// User is a person with an account.
type User struct {
	ID        uuid.UUID
	Username  string
	Email     string
	Role      Role
	CreatedAt time.Time
}

// NodeID is the user's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of users would start one per item.
func (u *User) NodeID() string { return relay.ID(relay.TypeUser, u.ID) }

func userFromRow(u db.User) *User {
	return &User{ID: u.ID, Username: u.Username, Email: u.Email, Role: Role(u.Role), CreatedAt: u.CreatedAt}
}

// Session is what signing in returns: the tokens of a new or renewed session.
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
	if !needsRehash(u.PasswordHash) {
		return s.startSession(ctx, s.q, u, uuid.New())
	}
	// An imported bcrypt hash is replaced by argon2id now that the password is known, in
	// the session's transaction; a concurrent change of the hash wins over this one.
	hash, err := hashPassword(password, s.cfg.Password)
	if err != nil {
		return nil, err
	}
	var sess *Session
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if _, err := q.UpgradePasswordHash(ctx, db.UpgradePasswordHashParams{ID: u.ID, OldHash: u.PasswordHash, NewHash: hash}); err != nil {
			return fmt.Errorf("rehash password of user %s: %w", u.ID, err)
		}
		sess, err = s.startSession(ctx, q, u, uuid.New())
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// startSession issues an access token and a new refresh token of session: a new session
// on sign-in, the same one on refresh (whose expiry moves on).
func (s *Service) startSession(ctx context.Context, q *db.Queries, u db.User, session uuid.UUID) (*Session, error) {
	now := s.now()
	access, exp, err := s.signAccess(u.ID, session, Role(u.Role), now)
	if err != nil {
		return nil, err
	}
	refresh, hash, err := newRefreshToken()
	if err != nil {
		return nil, err
	}
	// Sessions that ran out are never presented again; keep the tables to live ones.
	if err := q.PruneSessions(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("prune sessions: %w", err)
	}
	if _, err := q.IssueRefreshToken(ctx, db.IssueRefreshTokenParams{
		SessionID: session, UserID: u.ID, TokenHash: hash, ExpiresAt: now.Add(s.cfg.RefreshTTL),
	}); err != nil {
		return nil, fmt.Errorf("store refresh token: %w", err)
	}
	return &Session{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, User: userFromRow(u)}, nil
}

// Refresh trades a refresh token for a new pair in the same session. Each refresh token
// works once: a token presented again after its rotation means it was copied, so the
// session ends (its refresh tokens and every access token issued in it) and the call
// fails.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 256 {
		return nil, errInvalidRefresh
	}
	var (
		sess   *Session
		reused uuid.UUID
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		hash := hashRefresh(token)
		// The session's lock first, then its token, read after the lock is held.
		locked, err := q.LockSessionOfRefreshToken(ctx, hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return errInvalidRefresh
		}
		if err != nil {
			return fmt.Errorf("lock session: %w", err)
		}
		rt, err := q.GetRefreshToken(ctx, hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return errInvalidRefresh
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		if !s.now().Before(rt.ExpiresAt) {
			return errInvalidRefresh
		}
		if rt.RotatedAt != nil {
			// Commit the session's end, then report the reuse.
			reused = rt.FamilyID
			if err := q.DeleteSession(ctx, rt.FamilyID); err != nil {
				return fmt.Errorf("end session %s: %w", rt.FamilyID, err)
			}
			return nil
		}
		if err := q.MarkRefreshTokenRotated(ctx, rt.ID); err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		sess, err = s.startSession(ctx, q, locked.User, rt.FamilyID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused != uuid.Nil {
		s.ended(ctx, reused)
		return nil, errReusedRefresh
	}
	return sess, nil
}

// Logout ends the session of refreshToken and the session of the access token in use
// (normally the same one): their refresh tokens and access tokens stop working at once,
// and their live connections close. A refresh token of another user is unknown.
func (s *Service) Logout(ctx context.Context, id Identity, refreshToken string) error {
	ended, err := s.q.EndSessionsOfRefreshToken(ctx, db.EndSessionsOfRefreshTokenParams{
		TokenHash: hashRefresh(refreshToken), UserID: id.UserID, SessionID: id.SessionID,
	})
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if len(ended) == 0 {
		return errs.Invalid("refreshToken", "unknown refresh token")
	}
	s.ended(ctx, ended...)
	return nil
}

// RevokedPayload is the payload of events.SessionRevoked.
type RevokedPayload struct {
	Sessions []uuid.UUID `json:"sessions"`
}

// ended is told of sessions that ended once the end has committed: this instance forgets
// their checks, and the bus tells live connections (and other instances' caches) at once.
func (s *Service) ended(ctx context.Context, sessions ...uuid.UUID) {
	if len(sessions) == 0 {
		return
	}
	if s.checks != nil {
		s.checks.end(sessions...)
	}
	// A list of UUIDs always encodes.
	payload, _ := json.Marshal(RevokedPayload{Sessions: sessions})
	s.pub.Publish(ctx, events.Event{Topic: events.SessionRevoked, At: s.now(), Payload: payload})
}

// Authenticate verifies a bearer access token and checks its session: one indexed lookup
// (or none, while a cached check lasts) that refuses a token whose session ended or whose
// user is gone, and gives the role the user has now.
func (s *Service) Authenticate(ctx context.Context, token string) (Identity, error) {
	id, err := s.parseAccess(token)
	if err != nil {
		return Identity{}, err
	}
	if s.checks != nil {
		if c, ok := s.checks.get(id.SessionID); ok {
			return c.apply(id)
		}
	}
	c := check{user: id.UserID}
	role, err := s.q.CheckSession(ctx, db.CheckSessionParams{SessionID: id.SessionID, UserID: id.UserID})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		c.ended = true
	case err != nil:
		return Identity{}, fmt.Errorf("check session: %w", err)
	default:
		c.role = Role(role)
	}
	if s.checks != nil {
		s.checks.put(id.SessionID, c)
	}
	return c.apply(id)
}

// DeleteAccount deletes the caller's account once password confirms it is theirs: the
// ecosystems (announced in the outbox, as deleteEcosystem does, so projections drop them)
// and their events, then the user and by cascade everything else they own. Every session
// of the account ends and its live connections close. A wrong password deletes nothing.
func (s *Service) DeleteAccount(ctx context.Context, viewer Identity, password string) error {
	u, err := s.q.GetUserByID(ctx, viewer.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return errSessionEnded
	}
	if err != nil {
		return fmt.Errorf("load user %s: %w", viewer.UserID, err)
	}
	if len(password) > 4*maxPassword {
		return errBadCredentials
	}
	ok, err := checkPassword(u.PasswordHash, password)
	if err != nil {
		return fmt.Errorf("check password of user %s: %w", u.ID, err)
	}
	if !ok {
		return errBadCredentials
	}
	var sessions []uuid.UUID
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		// Sessions first: refresh and sign-out lock a session before anything else.
		ended, err := q.DeleteUserSessions(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("end sessions of user %s: %w", u.ID, err)
		}
		sessions = ended
		if err := q.LockAccountConversations(ctx, u.ID); err != nil {
			return fmt.Errorf("lock conversations of user %s: %w", u.ID, err)
		}
		if err := q.LockAccountCharacters(ctx, u.ID); err != nil {
			return fmt.Errorf("lock characters of user %s: %w", u.ID, err)
		}
		if err := q.LockAccountRelationships(ctx, u.ID); err != nil {
			return fmt.Errorf("lock relationships of user %s: %w", u.ID, err)
		}
		ecosystems, err := q.DeleteUserEcosystems(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("delete ecosystems of user %s: %w", u.ID, err)
		}
		if err := q.DeleteEcosystemEvents(ctx, ecosystems); err != nil {
			return fmt.Errorf("delete events of user %s: %w", u.ID, err)
		}
		for _, id := range ecosystems {
			if err := box.Append(id, events.EcosystemChanged, events.EcosystemPayload{Op: events.OpDelete, ID: id}); err != nil {
				return err
			}
		}
		n, err := q.DeleteUser(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("delete user %s: %w", u.ID, err)
		}
		if n == 0 {
			return errSessionEnded
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.ended(ctx, sessions...)
	return nil
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
// the first admin). It takes effect at the user's next request (after SESSION_CACHE_TTL
// at most, when checks are cached); live connections keep the role they started with.
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
