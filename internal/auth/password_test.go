package auth

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/literaryai/ensemble/internal/errs"
)

func TestPasswordHash(t *testing.T) {
	p := PasswordParams{Time: 1, Memory: 64, Threads: 1}
	h, err := hashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	again, _ := hashPassword("correct horse battery", p)
	if again == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	// bcrypt hashes come from the old application's users, imported as they were.
	b, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	bcryptAs := func(prefix string) string { return prefix + string(b[4:]) }
	tests := []struct {
		name, hash, password string
		ok, wantErr          bool
	}{
		{"right password", h, "correct horse battery", true, false},
		{"wrong password", h, "correct horse battery!", false, false},
		{"empty password", h, "", false, false},
		{"malformed bcrypt", "$2a$12$abcdefghijklmnopqrstuv", "x", false, true},
		{"truncated", h[:20], "x", false, true},
		{"bad salt", strings.Replace(h, "$", "$!", 4), "x", false, true},
		{"not a known hash", "$1$abc$def", "x", false, true},
		{"bcrypt 2a, right password", bcryptAs("$2a$"), "correct horse battery", true, false},
		{"bcrypt 2b, right password", bcryptAs("$2b$"), "correct horse battery", true, false},
		{"bcrypt 2y, right password", bcryptAs("$2y$"), "correct horse battery", true, false},
		{"bcrypt, wrong password", bcryptAs("$2b$"), "correct horse battery!", false, false},
		{"bcrypt, empty password", bcryptAs("$2b$"), "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := checkPassword(tc.hash, tc.password)
			if ok != tc.ok || (err != nil) != tc.wantErr {
				t.Fatalf("checkPassword = %v, %v", ok, err)
			}
		})
	}
	// Only bcrypt hashes are replaced once they verify.
	for hash, want := range map[string]bool{h: false, bcryptAs("$2a$"): true, bcryptAs("$2b$"): true, bcryptAs("$2y$"): true} {
		if got := needsRehash(hash); got != want {
			t.Errorf("needsRehash(%.7s...) = %v", hash, got)
		}
	}
	// The default cost is RFC 9106's second recommendation.
	if DefaultPasswordParams != (PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 2}) {
		t.Fatalf("default params changed: %+v", DefaultPasswordParams)
	}
}

// TestHashGateBoundsConcurrentHashes: however many callers hash at once, no more than the
// gate's bound are inside it together (counted, not timed), the others wait their turn,
// and a caller that waits past the deadline is refused as RATE_LIMITED.
func TestHashGateBoundsConcurrentHashes(t *testing.T) {
	const bound, callers = 3, 24
	g := NewHashGate(bound, time.Minute)
	p := PasswordParams{Time: 1, Memory: 64, Threads: 1}
	var (
		inside, most atomic.Int64
		hold         = make(chan struct{})
		wg           sync.WaitGroup
	)
	for range callers {
		wg.Go(func() {
			leave, err := g.Enter(t.Context())
			if err != nil {
				t.Error(err)
				return
			}
			defer leave()
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-hold
			if _, err := hashPassword("correct horse battery", p); err != nil {
				t.Error(err)
			}
			inside.Add(-1)
		})
	}
	for inside.Load() < bound {
		runtime.Gosched()
	}
	close(hold)
	wg.Wait()
	if got := most.Load(); got != bound {
		t.Fatalf("%d hashes ran at once, want at most and at last %d", got, bound)
	}

	one := NewHashGate(1, 10*time.Millisecond)
	leave, err := one.Enter(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := one.Enter(t.Context()); !errors.Is(err, errs.ErrRateLimited) {
		t.Fatalf("past the wait: %v, want RATE_LIMITED", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := one.Enter(ctx); err == nil || errors.Is(err, errs.ErrRateLimited) {
		t.Fatalf("a caller that left: %v, want its context's error", err)
	}
	leave()
	leave() // a second leave gives nothing back
	again, err := one.Enter(t.Context())
	if err != nil {
		t.Fatalf("after leaving: %v", err)
	}
	if _, err := one.Enter(t.Context()); err == nil {
		t.Fatal("leaving twice freed two turns")
	}
	again()
}
