package auth

import (
	"strings"
	"testing"
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
	tests := []struct {
		name, hash, password string
		ok, wantErr          bool
	}{
		{"right password", h, "correct horse battery", true, false},
		{"wrong password", h, "correct horse battery!", false, false},
		{"empty password", h, "", false, false},
		{"not argon2id", "$2a$12$abcdefghijklmnopqrstuv", "x", false, true},
		{"truncated", h[:20], "x", false, true},
		{"bad salt", strings.Replace(h, "$", "$!", 4), "x", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := checkPassword(tc.hash, tc.password)
			if ok != tc.ok || (err != nil) != tc.wantErr {
				t.Fatalf("checkPassword = %v, %v", ok, err)
			}
		})
	}
	// The default cost is RFC 9106's second recommendation.
	if DefaultPasswordParams != (PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 2}) {
		t.Fatalf("default params changed: %+v", DefaultPasswordParams)
	}
}
