package db_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/literaryai/ensemble/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestUUIDsTravelAsBytes round-trips uuid.UUID values, pointers, NULLs and arrays through
// PostgreSQL, in both formats, with the codec AfterConnect registers.
func TestUUIDsTravelAsBytes(t *testing.T) {
	pool := testkit.DB(t)
	ctx := t.Context()
	a, b := uuid.New(), uuid.New()
	var (
		gotA    uuid.UUID
		gotB    *uuid.UUID
		gotNull *uuid.UUID
		gotArr  []uuid.UUID
		text    string
	)
	err := pool.QueryRow(ctx, `SELECT $1::uuid, $2::uuid, NULL::uuid, $3::uuid[], $1::uuid::text`, a, &b, []uuid.UUID{b, a}).
		Scan(&gotA, &gotB, &gotNull, &gotArr, &text)
	if err != nil {
		t.Fatal(err)
	}
	if gotA != a || gotB == nil || *gotB != b || gotNull != nil || len(gotArr) != 2 || gotArr[0] != b || gotArr[1] != a || text != a.String() {
		t.Fatalf("got %s %v %v %v %q; want %s %s <nil> [%s %s]", gotA, gotB, gotNull, gotArr, text, a, b, b, a)
	}
	var null *uuid.UUID
	var isNull bool
	if err := pool.QueryRow(ctx, `SELECT $1::uuid IS NULL`, null).Scan(&isNull); err != nil || !isNull {
		t.Fatalf("a nil *uuid.UUID is not NULL: %v %v", isNull, err)
	}
	// The simple protocol sends and reads text.
	var viaText uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT $1::uuid`, pgx.QueryExecModeSimpleProtocol, a).Scan(&viaText); err != nil || viaText != a {
		t.Fatalf("simple protocol: %s %v", viaText, err)
	}
	var scanNull uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT NULL::uuid`).Scan(&scanNull); err == nil {
		t.Fatal("NULL scanned into a uuid.UUID without an error")
	}
}
