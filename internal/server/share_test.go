package server

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/literaryai/ensemble/graph"
	"github.com/literaryai/ensemble/internal/auth"
)

func TestShareSubscriptions(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	ada := auth.Identity{UserID: uuid.MustParse("00000000-0000-0000-0000-00000000000a"), Role: auth.RoleUser}
	admin := auth.Identity{UserID: ada.UserID, Role: auth.RoleAdmin}
	const (
		follow   = `subscription($c: ID!, $a: String) { messageAdded(conversationId: $c, after: $a) { seq } }`
		activity = `subscription($e: ID!, $a: String) { ecosystemActivity(ecosystemId: $e, after: $a) { cursor } }`
		stream   = `subscription($c: ID!) { messageStream(conversationId: $c) { text } }`
		analysis = `subscription($d: ID!) { documentAnalysis(documentId: $d) { status } }`
	)
	tests := []struct {
		name      string
		viewer    *auth.Identity
		query     string
		vars      map[string]any
		wantScope string
		wantLate  bool
	}{
		{name: "live messages", viewer: &ada, query: follow, vars: map[string]any{"c": "x"},
			wantScope: ada.UserID.String() + "/USER", wantLate: true},
		{name: "null cursor", viewer: &ada, query: follow, vars: map[string]any{"c": "x", "a": nil},
			wantScope: ada.UserID.String() + "/USER", wantLate: true},
		{name: "messages after a cursor replay first", viewer: &ada, query: follow, vars: map[string]any{"c": "x", "a": "cursor"},
			wantScope: ada.UserID.String() + "/USER"},
		{name: "cursor as a literal", viewer: &ada, query: `subscription { messageAdded(conversationId: "x", after: "c") { seq } }`,
			wantScope: ada.UserID.String() + "/USER"},
		{name: "activity after a cursor", viewer: &ada, query: activity, vars: map[string]any{"e": "x", "a": "cursor"},
			wantScope: ada.UserID.String() + "/USER"},
		{name: "deltas", viewer: &ada, query: stream, vars: map[string]any{"c": "x"},
			wantScope: ada.UserID.String() + "/USER", wantLate: true},
		{name: "analysis sends its state first", viewer: &ada, query: analysis, vars: map[string]any{"d": "x"},
			wantScope: ada.UserID.String() + "/USER"},
		{name: "an admin sees more than the same user", viewer: &admin, query: stream, vars: map[string]any{"c": "x"},
			wantScope: ada.UserID.String() + "/ADMIN", wantLate: true},
		{name: "nobody", query: stream, vars: map[string]any{"c": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tt.query, nil)
			if errs != nil {
				t.Fatalf("parse: %v", errs)
			}
			op := doc.Operations[0]
			vars, err := validator.VariableValues(schema, op, tt.vars)
			if err != nil {
				t.Fatalf("variables: %v", err)
			}
			ctx := context.Background()
			if tt.viewer != nil {
				ctx = auth.WithIdentity(ctx, *tt.viewer)
			}
			got := shareSubscriptions(ctx, &graphql.OperationContext{RawQuery: tt.query, Doc: doc, Operation: op, Variables: vars})
			if got.Scope != tt.wantScope || got.Late != tt.wantLate {
				t.Fatalf("got scope %q late %v, want %q %v", got.Scope, got.Late, tt.wantScope, tt.wantLate)
			}
		})
	}
}
