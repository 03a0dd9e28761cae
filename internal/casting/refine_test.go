package casting

import (
	"context"
	"errors"
	"log/slog"
	"testing"

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
