package neo4j

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/testkit"
)

// These tests run the projector against a real PostgreSQL and a Neo4j that does not
// answer (downStore), which is all they need: what happens to the outbox offset when
// writing fails, or when there is nothing to write.

// syncBuffer is a log sink safe for the projector's goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func offset(t *testing.T, pool *pgxpool.Pool) (db.GetProjectorOffsetRow, bool) {
	t.Helper()
	off, err := db.New(pool).GetProjectorOffset(context.Background(), ProjectorName)
	if errors.Is(err, pgx.ErrNoRows) {
		return off, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return off, true
}

// settle waits until PostgreSQL reports every event of this test's database settled:
// transactions of other tests on the same server can hold the horizon back a moment.
func settle(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending bool
		if err := pool.QueryRow(context.Background(),
			`SELECT EXISTS (SELECT 1 FROM events WHERE txid >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint)`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if !pending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("events did not settle within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCatchUpKeepsOffsetWhenNeo4jFails(t *testing.T) {
	pool := testkit.DB(t)
	f := graphFixture{t, pool}
	eco := f.ecosystem()
	f.character(eco, "Anna")
	settle(t, pool)

	var logs syncBuffer
	p := NewProjector(pool, downStore(t), testLogger(&logs))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := p.CatchUp(ctx)
	if err == nil || !strings.Contains(err.Error(), "neo4j projector") {
		t.Fatalf("CatchUp = %d, %v; want the Neo4j failure", n, err)
	}
	if n != 0 {
		t.Errorf("CatchUp counted %d events as applied", n)
	}
	if off, ok := offset(t, pool); ok {
		t.Fatalf("offset moved to %+v although nothing was written", off)
	}
}

func TestCatchUpAdvancesPastEventsWithNothingToWrite(t *testing.T) {
	pool := testkit.DB(t)
	f := graphFixture{t, pool}
	eco := f.ecosystem()
	f.inTx(func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		for _, ev := range []struct {
			topic   string
			payload any
		}{
			{events.CharacterChanged, map[string]string{"op": events.OpUpsert}}, // no id: skipped
			{events.EcosystemChanged, events.EcosystemPayload{Op: events.OpUpsert, ID: eco}},
			{"message.created", map[string]string{"id": uuid.NewString()}}, // not a graph topic
			{events.RelationshipChanged, map[string]any{"id": 42}},         // unreadable: skipped
		} {
			if err := appendEvent(ctx, q, eco, ev.topic, ev.payload); err != nil {
				return err
			}
		}
		return nil
	})
	settle(t, pool)
	var last db.Event
	if err := pool.QueryRow(context.Background(), `SELECT id, txid FROM events ORDER BY txid DESC, id DESC LIMIT 1`).Scan(&last.ID, &last.Txid); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	p := NewProjector(pool, downStore(t), testLogger(&logs))
	p.BatchSize = 2
	n, err := p.CatchUp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("CatchUp read %d events, want the 3 of graph topics", n)
	}
	off, ok := offset(t, pool)
	if !ok || off.LastTxid != last.Txid || off.LastEventID != last.ID {
		t.Errorf("offset = %+v (stored %v), want the last event (%d, %d)", off, ok, last.Txid, last.ID)
	}
	if got := strings.Count(logs.String(), "skipping unreadable event"); got != 2 {
		t.Errorf("%d skipped events logged, want 2:\n%s", got, logs.String())
	}

	if n, err := p.CatchUp(context.Background()); err != nil || n != 0 {
		t.Errorf("second CatchUp = %d, %v; want nothing left", n, err)
	}
}

func TestRunRetriesUntilContextEnds(t *testing.T) {
	pool := testkit.DB(t)
	f := graphFixture{t, pool}
	f.character(f.ecosystem(), "Anna")
	settle(t, pool)

	var logs syncBuffer
	p := NewProjector(pool, downStore(t), testLogger(&logs))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(logs.String(), "projection failed; retrying") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not retry:\n%s", logs.String())
		}
		p.Notify() // ignored while backing off; must not block either
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil once the context ends", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
	if !strings.Contains(logs.String(), "retry_in=200ms") {
		t.Errorf("retry delay did not double:\n%s", logs.String())
	}
	if off, ok := offset(t, pool); ok {
		t.Errorf("offset moved to %+v although nothing was written", off)
	}
	if n := advisoryLocks(t, pool); n != 0 {
		t.Errorf("%d advisory locks left after Run", n)
	}
}

func TestRunYieldsToTheLockHolder(t *testing.T) {
	pool := testkit.DB(t)
	var logs syncBuffer
	p := NewProjector(pool, downStore(t), testLogger(&logs))
	p.PollInterval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	locked, err := withProjectorLock(ctx, pool, false, func(*pgxpool.Conn) error {
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(logs.String(), "another instance holds the projector lock") {
			if time.Now().After(deadline) {
				t.Fatalf("Run did not report the lock taken:\n%s", logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		return <-done
	})
	if err != nil || !locked {
		t.Fatalf("holder: locked %v, err %v", locked, err)
	}
}
