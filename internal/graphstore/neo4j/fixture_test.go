package neo4j

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/events"
)

// graphFixture writes characters and relationships to PostgreSQL as the services do: the
// change and its outbox event in one transaction. Rows are written with plain SQL so the
// fixture does not depend on the services' queries.
type graphFixture struct {
	t    *testing.T
	pool *pgxpool.Pool
}

// inTx runs fn in a transaction and fails the test on error.
func (f graphFixture) inTx(fn func(ctx context.Context, tx pgx.Tx, q *db.Queries) error) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return fn(ctx, tx, db.New(tx)) }); err != nil {
		f.t.Fatalf("fixture: %v", err)
	}
}

// appendEvent writes an outbox event in the fixture's transaction.
func appendEvent(ctx context.Context, q *db.Queries, eco uuid.UUID, topic string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = q.AppendEvents(ctx, db.AppendEventsParams{EcosystemID: eco, Topics: []string{topic}, Payloads: []json.RawMessage{b}})
	return err
}

func (f graphFixture) ecosystem() uuid.UUID {
	f.t.Helper()
	var eco uuid.UUID
	f.inTx(func(ctx context.Context, tx pgx.Tx, _ *db.Queries) error {
		var owner uuid.UUID
		name := "u" + uuid.NewString()[:8]
		if err := tx.QueryRow(ctx, `INSERT INTO users (username, email, password_hash) VALUES ($1, $1 || '@example.com', 'x') RETURNING id`,
			name).Scan(&owner); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO ecosystems (owner_id, name) VALUES ($1, 'cast') RETURNING id`, owner).Scan(&eco)
	})
	return eco
}

func (f graphFixture) character(eco uuid.UUID, name string) uuid.UUID {
	f.t.Helper()
	var id uuid.UUID
	f.inTx(func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		if err := tx.QueryRow(ctx, `INSERT INTO characters (ecosystem_id, name) VALUES ($1, $2) RETURNING id`, eco, name).Scan(&id); err != nil {
			return err
		}
		return appendEvent(ctx, q, eco, events.CharacterChanged, events.CharacterPayload{
			Op: events.OpUpsert, ID: id, EcosystemID: eco, Name: name, CurrentEmotion: "neutral", IsActive: true})
	})
	return id
}

func (f graphFixture) relationship(eco, from, to uuid.UUID, typ string, strength float64) uuid.UUID {
	f.t.Helper()
	var id uuid.UUID
	f.inTx(func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		if err := tx.QueryRow(ctx, `INSERT INTO relationships (ecosystem_id, from_id, to_id, type, strength) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			eco, from, to, typ, strength).Scan(&id); err != nil {
			return err
		}
		return appendEvent(ctx, q, eco, events.RelationshipChanged, events.RelationshipPayload{
			Kind: "CREATED", ID: id, EcosystemID: eco, FromID: from, ToID: to, Type: typ, Strength: strength, Actor: "test"})
	})
	return id
}

func (f graphFixture) setStrength(eco, id uuid.UUID, strength float64) {
	f.t.Helper()
	f.inTx(func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		if _, err := tx.Exec(ctx, `UPDATE relationships SET strength = $2 WHERE id = $1`, id, strength); err != nil {
			return err
		}
		return appendEvent(ctx, q, eco, events.RelationshipChanged, events.RelationshipPayload{
			Kind: "UPDATED", ID: id, EcosystemID: eco, Strength: strength, Actor: "test"})
	})
}

func (f graphFixture) deleteRelationship(eco, id uuid.UUID) {
	f.t.Helper()
	f.inTx(func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		if _, err := tx.Exec(ctx, `DELETE FROM relationships WHERE id = $1`, id); err != nil {
			return err
		}
		return appendEvent(ctx, q, eco, events.RelationshipChanged, events.RelationshipPayload{
			Kind: "DELETED", ID: id, EcosystemID: eco, Actor: "test"})
	})
}

// deleteCharacter deletes a character; its relationships go by cascade, with no event of
// their own.
func (f graphFixture) deleteCharacter(eco, id uuid.UUID) {
	f.t.Helper()
	f.inTx(func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		if _, err := tx.Exec(ctx, `DELETE FROM characters WHERE id = $1`, id); err != nil {
			return err
		}
		return appendEvent(ctx, q, eco, events.CharacterChanged, events.CharacterPayload{Op: events.OpDelete, ID: id, EcosystemID: eco})
	})
}

func (f graphFixture) deleteEcosystem(eco uuid.UUID) {
	f.t.Helper()
	f.inTx(func(ctx context.Context, tx pgx.Tx, q *db.Queries) error {
		if _, err := tx.Exec(ctx, `DELETE FROM ecosystems WHERE id = $1`, eco); err != nil {
			return err
		}
		return appendEvent(ctx, q, eco, events.EcosystemChanged, events.EcosystemPayload{Op: events.OpDelete, ID: eco})
	})
}
