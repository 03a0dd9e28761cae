package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/semaphore"

	"github.com/literaryai/ensemble/internal/errs"
)

// PasswordParams are argon2id's cost parameters. DefaultPasswordParams follow RFC 9106's
// second recommended option (64 MiB, 3 passes); tests use cheaper ones.
type PasswordParams struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultPasswordParams is the production cost.
var DefaultPasswordParams = PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
)

// hashPassword returns a PHC-format argon2id hash, which records its own parameters so
// they can be raised later without breaking old hashes.
func hashPassword(password string, p PasswordParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// IsBcrypt reports whether hash is a bcrypt hash ($2a$, $2b$ or $2y$), as accounts
// imported from the old application carry until their next sign-in.
func IsBcrypt(hash string) bool {
	return strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$")
}

// needsRehash reports whether a hash that just verified should be replaced by an
// argon2id hash: bcrypt hashes are accepted only to let imported accounts sign in once.
func needsRehash(hash string) bool { return IsBcrypt(hash) }

// checkPassword reports whether password matches the hash, in constant time: a PHC
// argon2id hash, or a bcrypt hash kept from an import.
func checkPassword(hash, password string) (bool, error) {
	if IsBcrypt(hash) {
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		default:
			return false, fmt.Errorf("%w: %w", errBadHash, err)
		}
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// HashGate bounds the password hashes computed at once. Each argon2id computation holds
// PasswordParams.Memory (64 MiB by default) while it runs, so a burst of sign-ins would
// otherwise take the process's memory and CPU with it; beyond the bound, callers queue
// for a while and are then refused rather than piling up.
type HashGate struct {
	slots *semaphore.Weighted
	wait  time.Duration
}

// NewHashGate allows n hashes at once, each caller waiting at most wait for its turn.
func NewHashGate(n int, wait time.Duration) *HashGate {
	return &HashGate{slots: semaphore.NewWeighted(int64(max(n, 1))), wait: wait}
}

// Enter waits for a turn to hash, at most the gate's wait and only while ctx lasts, and
// returns the function that ends the turn. Past the wait, the error wraps
// errs.ErrRateLimited.
func (g *HashGate) Enter(ctx context.Context) (leave func(), err error) {
	wctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	if err := g.slots.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait to check a password: %w", ctx.Err())
		}
		return nil, errs.RateLimited("too many passwords are being checked right now", time.Second)
	}
	var once sync.Once
	return func() { once.Do(func() { g.slots.Release(1) }) }, nil
}
