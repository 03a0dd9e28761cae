package observatory

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/db"
)

func TestLabel(t *testing.T) {
	tests := []struct {
		typ             string
		strength, delta float64
		want            string
	}{
		{"ENEMY", -0.6, -0.05, "arguing"},
		{"ACQUAINTANCE", -0.2, -0.05, "arguing"},
		{"ACQUAINTANCE", 0.2, -0.05, "drifting apart"},
		{"ROMANCE", 0.5, -0.05, "quarrelling"},
		{"FRIEND", 0.5, -0.05, "falling out"},
		{"ROMANCE", 0.5, 0.05, "courting"},
		{"ALLY", 0.3, 0.05, "allied"},
		{"FAMILY", 0.3, 0.05, "bonding"},
		{"MENTOR", 0.3, 0.05, "mentoring"},
		{"RIVAL", 0.1, 0.05, "reconciling"},
		{"FRIEND", -0.1, 0.05, "reconciling"},
		{"ACQUAINTANCE", 0.1, 0, "getting acquainted"},
	}
	for _, tt := range tests {
		if got := label(tt.typ, tt.strength, tt.delta); got != tt.want {
			t.Errorf("label(%s, %.2f, %+.2f) = %q, want %q", tt.typ, tt.strength, tt.delta, got, tt.want)
		}
	}
}

func TestPairsOf(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	f := func(v float64) *float64 { return &v }
	now := time.Now()
	changes := []db.RelationshipEvent{ // newest first
		{FromID: a, ToID: b, Type: "ENEMY", Strength: -0.7, OldStrength: f(-0.65), At: now},
		{FromID: c, ToID: a, Type: "FRIEND", Strength: 0.55, OldStrength: f(0.5), At: now.Add(-time.Second)},
		{FromID: b, ToID: a, Type: "ENEMY", Strength: -0.6, OldStrength: f(-0.58), At: now.Add(-2 * time.Second)},
		{FromID: a, ToID: c, Type: "FRIEND", Strength: 0.4, OldStrength: nil, At: now.Add(-3 * time.Second)},
	}
	pairs := pairsOf(changes)
	if len(pairs) != 2 {
		t.Fatalf("pairs: %+v", pairs)
	}
	if p := pairs[0]; p.A != a || p.B != b || !p.Mutual || p.Activity != "arguing" || p.StrengthChange != -0.07 {
		t.Fatalf("enemies: %+v", p)
	}
	if p := pairs[1]; p.A != c || p.Mutual || p.Activity != "bonding" || p.StrengthChange != 0.05 {
		t.Fatalf("friends: %+v", p)
	}
}
