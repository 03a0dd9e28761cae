package scenes

import (
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
)

func TestChoose(t *testing.T) {
	quiet := func() Candidate { return Candidate{ID: uuid.New(), Extraversion: 0.5, Energy: 0.8, Autonomy: 0.5} }
	tests := []struct {
		name  string
		cands func() []Candidate
		// want is the index that must win most draws (-1: nobody may speak).
		want   int
		reason string
	}{
		{"the one addressed answers", func() []Candidate {
			c := []Candidate{quiet(), quiet(), quiet()}
			c[2].Addressed = true
			return c
		}, 2, ReasonAddressed},
		{"a direction pulls", func() []Candidate {
			c := []Candidate{quiet(), quiet(), quiet()}
			c[1].Directed = true
			return c
		}, 1, ReasonDirected},
		{"nobody twice in a row", func() []Candidate {
			c := []Candidate{quiet(), quiet()}
			c[0].Addressed, c[0].LastSpeaker = true, true
			return c
		}, 1, ""},
		{"the last speaker alone may not speak again", func() []Candidate {
			c := []Candidate{quiet(), quiet()}
			c[0].LastSpeaker, c[1].LastSpeaker = true, true
			return c
		}, -1, ""},
		{"a lone speaker goes on", func() []Candidate {
			c := []Candidate{quiet()}
			c[0].LastSpeaker = true
			return c
		}, 0, ReasonAlone},
		{"the drained yield to the eager", func() []Candidate {
			c := []Candidate{quiet(), quiet()}
			c[0].Energy, c[0].Extraversion = 0.05, 0.2
			c[1].Energy, c[1].Extraversion = 1, 0.9
			return c
		}, 1, ""},
		{"one who held the floor yields it", func() []Candidate {
			c := []Candidate{quiet(), quiet()}
			c[0].Recent, c[0].Bond = 3, 0.8
			c[1].SilentTurns = 6
			return c
		}, 1, ""},
		{"hostility pulls as love does", func() []Candidate {
			c := []Candidate{quiet(), quiet(), quiet()}
			c[2].Bond = 0.9
			return c
		}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			wins := map[int]int{}
			var reason string
			for range 400 {
				i, why := Choose(tt.cands(), rng)
				wins[i]++
				if i == tt.want {
					reason = why
				}
			}
			if tt.want == -1 {
				if wins[-1] != 400 {
					t.Fatalf("somebody spoke: %v", wins)
				}
				return
			}
			for i, n := range wins {
				if i != tt.want && n >= wins[tt.want] {
					t.Fatalf("candidate %d won %d draws, the favourite %d won %d", i, n, tt.want, wins[tt.want])
				}
			}
			if tt.reason != "" && reason != tt.reason {
				t.Fatalf("reason %q, want %q", reason, tt.reason)
			}
		})
	}
}

func TestChooseIsSeeded(t *testing.T) {
	cands := []Candidate{{ID: uuid.New(), Energy: 0.5}, {ID: uuid.New(), Energy: 0.6}, {ID: uuid.New(), Energy: 0.7}}
	draw := func(seed uint64) []int {
		rng := rand.New(rand.NewPCG(seed, 9))
		var out []int
		for range 20 {
			i, _ := Choose(cands, rng)
			out = append(out, i)
		}
		return out
	}
	a, b, c := draw(7), draw(7), draw(8)
	if !equal(a, b) || equal(a, c) {
		t.Fatalf("seed 7: %v and %v; seed 8: %v", a, b, c)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStakeAndLeaks(t *testing.T) {
	const secret = "I burned Captain Harville's letter in the potting shed"
	tests := []struct {
		line      string
		goal      string
		stake     bool
		givesAway bool
	}{
		{"Who took the letter from the desk?", "find out who took the letter", true, false},
		{"Lovely weather for roses.", "find out who took the letter", false, false},
		{"Fine. " + secret + ", and I would do it again.", "", false, true},
		{"i BURNED captain harville's LETTER in the potting-shed!", "", false, true},
		{"Harville sent a letter; it was burned, they say, near some shed where the potting is done.", "", false, true},
		{"The captain wrote a letter.", "", false, false},
	}
	for _, tt := range tests {
		if got := Stake(tt.line, tt.goal, "") > 0; got != tt.stake {
			t.Errorf("Stake(%q, %q) > 0 = %v", tt.line, tt.goal, got)
		}
		if got := Leaks(tt.line, secret); got != tt.givesAway {
			t.Errorf("Leaks(%q) = %v", tt.line, got)
		}
	}
	if Leaks("anything at all", "") {
		t.Error("an empty secret leaks")
	}
}
