package scenes

import (
	"crypto/md5"
	"testing"

	"github.com/google/uuid"
)

// TestSaid: a scene's lines are known once caught up or added in turn order; a line added
// out of order is known but does not pretend the turns before it are.
func TestSaid(t *testing.T) {
	s := newSaid()
	conv := uuid.New()
	sc := s.of(conv)
	if s.of(conv) != sc || sc.through() != 0 || sc.has("Hello.") {
		t.Fatal("a new scene knows something")
	}
	hello := md5.Sum([]byte("Hello."))
	sc.catchUp([][]byte{hello[:], {1, 2}}, 3)
	tests := []struct {
		turn    int32
		line    string
		through int32
	}{
		{4, "Good day.", 4},
		{6, "Farewell.", 4}, // turn 5 is missing: still known through 4
	}
	for _, tc := range tests {
		sc.add(tc.turn, tc.line)
		if !sc.has(tc.line) || sc.through() != tc.through {
			t.Fatalf("after turn %d: has %v, through %d, want through %d", tc.turn, sc.has(tc.line), sc.through(), tc.through)
		}
	}
	if !sc.has("Hello.") || sc.has("Hello") {
		t.Fatal("caught-up lines are not known exactly")
	}
	if s.of(uuid.New()).has("Hello.") {
		t.Fatal("scenes share their lines")
	}
}
