package db

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// recorder is a DBTX that records the statement a generated method sends, and fails it.
type recorder struct {
	sql  string
	args []any
}

var errRecorded = errors.New("recorded")

func (r *recorder) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.sql, r.args = sql, args
	return pgconn.CommandTag{}, errRecorded
}

func (r *recorder) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.sql, r.args = sql, args
	return nil, errRecorded
}

func (r *recorder) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	r.sql, r.args = sql, args
	return failedRow{}
}

func (r *recorder) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, errRecorded
}

type failedRow struct{}

func (failedRow) Scan(...any) error { return errRecorded }

// TestQueuedAsGenerated checks that every Queue function sends the statement and the
// arguments, in order, that sqlc's generated method sends for the same parameters: a
// query whose placeholders sqlc numbers anew would otherwise get its values in the wrong
// places. Every parameter gets a distinct value, so a swap shows.
func TestQueuedAsGenerated(t *testing.T) {
	ctx := context.Background()
	ids := func() []uuid.UUID { return []uuid.UUID{uuid.New(), uuid.New()} }
	at, at2 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	lo, hi, turn := 0.1, 0.9, int32(7)
	a, b := uuid.New(), uuid.New()
	page := ListRelationshipsOfCharactersParams{CharacterIds: ids(), PageLimit: 3, Direction: "OUT", Types: []string{"x"},
		MinStrength: &lo, MaxStrength: &hi, AfterCreatedAt: &at, AfterID: &a}
	yes, search := true, "s"
	chars := ListCharactersParams{OwnerID: &a, EcosystemID: &b, IsActive: &yes, Search: &search, AfterCreatedAt: &at, AfterID: &a,
		PageLimit: 9}
	charCount := CountCharactersParams{OwnerID: &b, EcosystemID: &a, IsActive: &yes, Search: &search}
	count := CountRelationshipsOfCharactersParams{Direction: "IN", Types: []string{"y"}, MinStrength: &lo, MaxStrength: &hi, CharacterIds: ids()}
	evs := AppendEventsParams{EcosystemID: a, Topics: []string{"t"}, Payloads: []json.RawMessage{json.RawMessage(`{}`)}, GraphChanged: true}
	lines := SceneLinesParams{ConversationID: a, BeforeSeq: 11, MaxLines: 12}
	line := AppendSceneLineParams{ID: uuid.New(), Turn: 3, SpeakerID: uuid.New(), AddresseeID: &a, ReplyToID: &b, Content: "c",
		Emotion: "e", Intensity: 0.5, Metadata: json.RawMessage(`{"m":1}`), ConversationID: uuid.New(), At: at}
	hashes := SceneLineHashesParams{ConversationID: a, AfterTurn: 3, BeforeTurn: 9}
	states := SetCharacterStatesParams{At: at, Ids: ids(), Emotions: []string{"e"}, Energies: []float64{0.3}}
	acquaint := CreateSceneRelationshipsParams{EcosystemID: a, FromIds: ids(), ToIds: ids(), Cause: "c", MessageID: b}
	adjust := AdjustRelationshipsParams{Cause: "c", MessageID: a, Ids: ids(), DStrength: []float64{0.1}, DTrust: []float64{0.2},
		DFamiliarity: []float64{0.3}}
	touch := TouchMemoriesParams{At: at2, Ids: ids()}
	witnessed := AddSceneMemoriesParams{EcosystemID: a, EmbeddingModel: "m", SourceMessageID: &b, CharacterIds: ids(),
		Contents: []string{"c"}, Types: []string{"T"}, Importances: []float64{0.4}, Embeddings: [][]byte{{1}}}
	used := UseDirectionsParams{Turn: &turn, ConversationID: a, CharacterID: b}
	cases := []struct {
		name      string
		queue     func(*pgx.Batch)
		generated func(*Queries)
	}{
		{"ListRelationshipsOfCharacters", func(bt *pgx.Batch) { QueueListRelationshipsOfCharacters(bt, page, nil) },
			func(q *Queries) { _, _ = q.ListRelationshipsOfCharacters(ctx, page) }},
		{"ListCharacters", func(bt *pgx.Batch) { QueueListCharacters(bt, chars, nil) },
			func(q *Queries) { _, _ = q.ListCharacters(ctx, chars) }},
		{"CountCharacters", func(bt *pgx.Batch) { QueueCountCharacters(bt, charCount, new(int64)) },
			func(q *Queries) { _, _ = q.CountCharacters(ctx, charCount) }},
		{"CountRelationshipsOfCharacters", func(bt *pgx.Batch) { QueueCountRelationshipsOfCharacters(bt, count, nil) },
			func(q *Queries) { _, _ = q.CountRelationshipsOfCharacters(ctx, count) }},
		{"AppendEvents", func(bt *pgx.Batch) { QueueAppendEvents(bt, evs, nil) },
			func(q *Queries) { _, _ = q.AppendEvents(ctx, evs) }},
		{"SceneCast", func(bt *pgx.Batch) { QueueSceneCast(bt, a, nil) },
			func(q *Queries) { _, _ = q.SceneCast(ctx, a) }},
		{"SceneRelationships", func(bt *pgx.Batch) { QueueSceneRelationships(bt, a, nil) },
			func(q *Queries) { _, _ = q.SceneRelationships(ctx, a) }},
		{"SceneLines", func(bt *pgx.Batch) { QueueSceneLines(bt, lines, nil) },
			func(q *Queries) { _, _ = q.SceneLines(ctx, lines) }},
		{"PendingDirections", func(bt *pgx.Batch) { QueuePendingDirections(bt, a, nil) },
			func(q *Queries) { _, _ = q.PendingDirections(ctx, a) }},
		{"SceneLineHashes", func(bt *pgx.Batch) { QueueSceneLineHashes(bt, hashes, nil) },
			func(q *Queries) { _, _ = q.SceneLineHashes(ctx, hashes) }},
		{"LockCharacters", func(bt *pgx.Batch) { QueueLockCharacters(bt, states.Ids) },
			func(q *Queries) { _, _ = q.LockCharacters(ctx, states.Ids) }},
		{"AppendSceneLine", func(bt *pgx.Batch) { QueueAppendSceneLine(bt, line, nil) },
			func(q *Queries) { _, _ = q.AppendSceneLine(ctx, line) }},
		{"SetCharacterStates", func(bt *pgx.Batch) { QueueSetCharacterStates(bt, states, nil) },
			func(q *Queries) { _, _ = q.SetCharacterStates(ctx, states) }},
		{"CreateSceneRelationships", func(bt *pgx.Batch) { QueueCreateSceneRelationships(bt, acquaint, nil) },
			func(q *Queries) { _, _ = q.CreateSceneRelationships(ctx, acquaint) }},
		{"AdjustRelationships", func(bt *pgx.Batch) { QueueAdjustRelationships(bt, adjust, nil) },
			func(q *Queries) { _, _ = q.AdjustRelationships(ctx, adjust) }},
		{"TouchMemories", func(bt *pgx.Batch) { QueueTouchMemories(bt, touch) },
			func(q *Queries) { _ = q.TouchMemories(ctx, touch) }},
		{"AddSceneMemories", func(bt *pgx.Batch) { QueueAddSceneMemories(bt, witnessed, nil) },
			func(q *Queries) { _, _ = q.AddSceneMemories(ctx, witnessed) }},
		{"UseDirections", func(bt *pgx.Batch) { QueueUseDirections(bt, used) },
			func(q *Queries) { _ = q.UseDirections(ctx, used) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var bt pgx.Batch
			tc.queue(&bt)
			var r recorder
			tc.generated(New(&r))
			if len(bt.QueuedQueries) != 1 {
				t.Fatalf("queued %d statements, want 1", len(bt.QueuedQueries))
			}
			got := bt.QueuedQueries[0]
			if got.SQL != r.sql {
				t.Errorf("queued another statement than the generated method's")
			}
			if !reflect.DeepEqual(got.Arguments, r.args) {
				t.Errorf("queued arguments %v, the generated method sends %v", got.Arguments, r.args)
			}
		})
	}
}
