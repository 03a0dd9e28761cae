package casting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/literary/analysis"
	"github.com/literaryai/ensemble/internal/llm"
)

type fakeRefiner struct {
	p   llm.Profile
	err error
	got llm.ProfileEvidence
}

func (f *fakeRefiner) RefineProfile(_ context.Context, ev llm.ProfileEvidence) (llm.Profile, error) {
	f.got = ev
	return f.p, f.err
}

// TestRefine: the model's profile replaces the draft; when the model fails, the draft stands.
func TestRefine(t *testing.T) {
	b := &book{title: "Pride and Prejudice", said: []utterance{{speaker: 0, text: "I could easily forgive his pride."}, {speaker: 1, text: "Not mine."}}}
	c := analysis.Character{ID: 0, Name: "Elizabeth Bennet"}
	draft := profileOf{description: "Elizabeth listened in silence.", style: "Speaks in plain words.", goals: []string{}}

	f := &fakeRefiner{p: llm.Profile{Description: "Quick and lively.", Backstory: "Of Longbourn.", SpeakingStyle: "Witty.", Goals: []string{"See Jane happy"}}}
	p := draft
	if err := (&Service{refiner: f}).refine(context.Background(), b, c, &p); err != nil {
		t.Fatal(err)
	}
	if p.description != "Quick and lively." || p.goals[0] != "See Jane happy" {
		t.Fatalf("refined profile %+v", p)
	}
	if len(f.got.Lines) != 1 || f.got.Draft.Description != draft.description {
		t.Fatalf("evidence sent %+v", f.got)
	}

	p = draft
	failing := &Service{refiner: &fakeRefiner{err: llm.ErrInvalidProfile}, logger: slog.New(slog.DiscardHandler)}
	if err := failing.refine(context.Background(), b, c, &p); err != nil || p.description != draft.description {
		t.Fatalf("a failed refinement gave %+v, %v", p, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := failing.refine(ctx, b, c, &p); !errors.Is(err, context.Canceled) {
		t.Fatalf("refine with an ended context: %v", err)
	}
}

// slowRefiner answers only when its context ends, and counts the calls running at once.
type slowRefiner struct {
	mu            sync.Mutex
	running, most int
}

func (f *slowRefiner) RefineProfile(ctx context.Context, _ llm.ProfileEvidence) (llm.Profile, error) {
	f.mu.Lock()
	f.running++
	f.most = max(f.most, f.running)
	f.mu.Unlock()
	<-ctx.Done()
	f.mu.Lock()
	f.running--
	f.mu.Unlock()
	return llm.Profile{}, ctx.Err()
}

// TestRefineAllWithinItsBudget: a model too slow for the mutation's time leaves the drafts
// as they are after half of that time, asked a few at a time, and the cast is still made;
// characters that exist already are not asked about.
func TestRefineAllWithinItsBudget(t *testing.T) {
	b := &book{title: "Emma"}
	var cast []analysis.Character
	drafts := make([]profileOf, 10)
	for i := range drafts {
		cast = append(cast, analysis.Character{ID: i, Name: fmt.Sprintf("Character %d", i)})
		drafts[i] = profileOf{description: fmt.Sprintf("Draft %d.", i)}
	}
	f := &slowRefiner{}
	s := &Service{refiner: f, logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	if err := s.refineAll(ctx, b, cast, drafts, map[string]bool{sourceKey("Character 0"): true}); err != nil {
		t.Fatalf("refineAll: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("refineAll used up the mutation's time")
	}
	if f.most != refineAt {
		t.Fatalf("%d profiles refined at once, want %d", f.most, refineAt)
	}
	for i, d := range drafts {
		if d.description != fmt.Sprintf("Draft %d.", i) {
			t.Fatalf("draft %d became %+v", i, d)
		}
	}
}
