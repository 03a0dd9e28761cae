package limits

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/errs"
)

// queued waits until n turns are waited for at g.
func queued(t *testing.T, g *Gate, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		g.mu.Lock()
		got := g.waiters.Len()
		g.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d waiting, want %d", got, n)
		}
	}
}

func TestGateTurnsGoInOrderOfArrival(t *testing.T) {
	t.Parallel()
	g := NewGate(1, 3, time.Hour)
	leave, err := g.Enter(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 3)
	for i := range 3 {
		go func() {
			leave, err := g.Enter(t.Context())
			if err != nil {
				t.Error(err)
				return
			}
			order <- i
			leave()
		}()
		queued(t, g, i+1)
	}
	if _, err := g.Enter(t.Context()); !errors.Is(err, errs.ErrOverloaded) {
		t.Fatalf("past a full queue: %v, want ErrOverloaded", err)
	}
	leave()
	leave() // a second call gives back nothing more
	for want := range 3 {
		if got := <-order; got != want {
			t.Fatalf("turn %d went to waiter %d", want, got)
		}
	}
	// Every turn is back: the gate admits at once again, and only one at a time.
	again, err := g.Enter(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer again()
	if g.running != 1 {
		t.Fatalf("%d running, want 1", g.running)
	}
}

func TestGateRefuses(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		queue int
		wait  time.Duration
		ctx   context.Context
		want  error
	}{
		{"no queue", 0, time.Hour, context.Background(), errs.ErrOverloaded},
		{"no wait", 5, 0, context.Background(), errs.ErrOverloaded},
		{"the wait runs out", 5, 10 * time.Millisecond, context.Background(), errs.ErrOverloaded},
		{"the caller gives up", 5, time.Hour, canceled, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewGate(2, tc.queue, tc.wait)
			for range 2 {
				if _, err := g.Enter(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if leave, err := g.Enter(tc.ctx); !errors.Is(err, tc.want) || leave != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// Whoever gave up left no place behind in the queue.
			queued(t, g, 0)
		})
	}
}

func TestWaiting(t *testing.T) {
	t.Parallel()
	Waiting(context.Background()) // holds nothing: nothing happens
	called := 0
	Waiting(OnWaiting(context.Background(), func() { called++ }))
	if called != 1 {
		t.Fatalf("called %d times, want 1", called)
	}
}
