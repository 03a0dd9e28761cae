package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// recorder is a publisher that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recorder) Publish(_ context.Context, evs ...events.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
}

// TestEventsAreWrittenWithTheCommit appends events of two ecosystems, interleaved, and a
// graph change: each ecosystem's events get its next numbers in the order appended, its
// graph version moves once, and they are published once committed, in that order.
func TestEventsAreWrittenWithTheCommit(t *testing.T) {
	pool := testkit.DB(t)
	ctx := t.Context()
	var owner uuid.UUID
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, email, password_hash) VALUES ('owner', 'o@example.com', 'x') RETURNING id`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	ecos := make([]uuid.UUID, 2)
	for i := range ecos {
		if err := pool.QueryRow(ctx, `INSERT INTO ecosystems (owner_id, name) VALUES ($1, 'e') RETURNING id`, owner).Scan(&ecos[i]); err != nil {
			t.Fatal(err)
		}
	}
	pub := &recorder{}
	for range 2 {
		err := events.Transact(ctx, pool, pub, func(q *db.Queries, box *events.Outbox) error {
			for _, a := range []struct {
				eco   uuid.UUID
				topic string
			}{{ecos[0], "a"}, {ecos[1], "b"}, {ecos[0], "c"}} {
				if err := box.Append(a.eco, a.topic, map[string]string{"topic": a.topic}); err != nil {
					return err
				}
			}
			box.GraphChanged(ecos[1])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []struct {
		eco   uuid.UUID
		topic string
		seq   int64
	}{{ecos[0], "a", 1}, {ecos[0], "c", 2}, {ecos[1], "b", 1}, {ecos[0], "a", 3}, {ecos[0], "c", 4}, {ecos[1], "b", 2}}
	if len(pub.evs) != len(want) {
		t.Fatalf("published %d events, want %d", len(pub.evs), len(want))
	}
	for i, e := range pub.evs {
		if e.EcosystemID != want[i].eco || e.Topic != want[i].topic || e.Seq != want[i].seq || e.ID == 0 {
			t.Errorf("event %d: %s %s #%d (id %d), want %s %s #%d", i, e.EcosystemID, e.Topic, e.Seq, e.ID, want[i].eco, want[i].topic, want[i].seq)
		}
	}
	for i, wantVersion := range []int64{0, 2} {
		var version int64
		if err := pool.QueryRow(ctx, `SELECT graph_version FROM ecosystems WHERE id = $1`, ecos[i]).Scan(&version); err != nil {
			t.Fatal(err)
		}
		if version != wantVersion {
			t.Errorf("ecosystem %d: graph version %d, want %d", i, version, wantVersion)
		}
	}
}

// TestFailedTransactionWritesAndAnnouncesNothing checks that events of a transaction
// that fails, in its work or in writing the events themselves, are neither stored nor
// published, and that the connection is fit for the next transaction.
func TestFailedTransactionWritesAndAnnouncesNothing(t *testing.T) {
	pool := testkit.DB(t)
	ctx := t.Context()
	pub := &recorder{}
	boom := errors.New("boom")
	err := events.Transact(ctx, pool, pub, func(_ *db.Queries, box *events.Outbox) error {
		if err := box.Append(uuid.New(), "x", 1); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the work's error", err)
	}
	// PostgreSQL refuses a NUL in jsonb, which JSON encodes: the write of the events
	// fails, in the round trip that was to commit.
	err = events.Transact(ctx, pool, pub, func(_ *db.Queries, box *events.Outbox) error {
		return box.Append(uuid.New(), "x", "\x00")
	})
	if err == nil {
		t.Fatal("an event PostgreSQL cannot store was accepted")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d events stored (%v), want none", n, err)
	}
	if len(pub.evs) != 0 {
		t.Fatalf("%d events published, want none", len(pub.evs))
	}
	// Every connection is back in the pool outside any transaction.
	for range 8 {
		if err := events.Transact(ctx, pool, pub, func(q *db.Queries, _ *events.Outbox) error {
			_, err := q.EcosystemEventSeq(ctx, uuid.New())
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}
