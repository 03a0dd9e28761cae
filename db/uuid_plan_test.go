package db

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestUUIDPlansSkipTheTextForm checks that values, pointers and slices of uuid.UUID get
// the codec's own plans, not pgx's driver.Valuer plan (format, then parse again).
func TestUUIDPlansSkipTheTextForm(t *testing.T) {
	m := pgtype.NewMap()
	registerUUID(m)
	u := uuid.New()
	for _, v := range []any{u, &u} {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			switch p := m.PlanEncode(pgtype.UUIDOID, format, v); p.(type) {
			case encodeUUIDBinary, encodeUUIDText:
			default:
				t.Errorf("%T in format %d: plan %T", v, format, p)
			}
		}
	}
	buf, err := m.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, []uuid.UUID{u}, nil)
	if err != nil || len(buf) == 0 {
		t.Fatalf("encode []uuid.UUID: %v", err)
	}
	var got uuid.UUID
	if p := m.PlanScan(pgtype.UUIDOID, pgtype.BinaryFormatCode, &got); p != (scanUUIDBinary{}) {
		t.Errorf("scan plan %T", p)
	}
}
