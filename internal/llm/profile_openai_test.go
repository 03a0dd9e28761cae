package llm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestRefineProfile: a model's profile is taken when valid, asked for again once with what
// was wrong, and refused when it reads as statistics twice.
func TestRefineProfile(t *testing.T) {
	const valid = `{"description": "The second of the Bennet daughters, quick, lively and fond of laughing at folly.",
		"backstory": "Elizabeth lives at Longbourn with her parents and sisters, and is closest to Jane.",
		"speaking_style": "Witty and direct, often teasing: \u201cI could easily forgive his pride, if he had not mortified mine.\u201d",
		"goals": ["Marry only for love", "See Jane happy"]}`
	const statistic = `{"description": "Mentioned 620 times in the book, with 334 lines.",
		"backstory": "Elizabeth lives at Longbourn with her parents and sisters.",
		"speaking_style": "Witty and direct, often teasing, and rarely at a loss.", "goals": []}`
	ev := ProfileEvidence{Name: "Elizabeth Bennet", Book: "Pride and Prejudice", Lines: []string{"I could easily forgive his pride."},
		Draft: Profile{Description: "Elizabeth listened in silence.", Goals: []string{}}}
	tests := []struct {
		name     string
		answers  []string
		wantErr  error
		requests int
	}{
		{"valid", []string{valid}, nil, 1},
		{"statistics, then valid", []string{statistic, valid}, nil, 2},
		{"statistics twice", []string{statistic, statistic}, ErrInvalidProfile, 2},
		{"not JSON twice", []string{"Elizabeth is witty.", "Elizabeth is witty."}, ErrInvalidProfile, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, _ *http.Request, n int) {
				s := startSSE(w)
				s.content(tt.answers[min(n, len(tt.answers))-1])
				s.finish("stop")
				s.done()
			}
			p, err := f.client(nil).RefineProfile(context.Background(), ev)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			bodies, _ := f.seen()
			if len(bodies) != tt.requests {
				t.Fatalf("%d requests, want %d", len(bodies), tt.requests)
			}
			if !strings.Contains(string(bodies[0]), `"character_profile"`) || !strings.Contains(string(bodies[0]), "I could easily forgive his pride.") {
				t.Fatalf("the request asks for no structured profile from the evidence: %s", bodies[0])
			}
			if len(bodies) > 1 && !strings.Contains(string(bodies[1]), "numbers or statistics") && !strings.Contains(string(bodies[1]), "not a JSON object") {
				t.Fatalf("the second request does not say what was wrong: %s", bodies[1])
			}
			if tt.wantErr == nil && (!strings.HasPrefix(p.Description, "The second of the Bennet daughters") || len(p.Goals) != 2) {
				t.Fatalf("profile %+v", p)
			}
		})
	}
}
