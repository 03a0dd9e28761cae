package resolvers_test

import (
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

const scenarioFields = `id title setting mood premise opening maxTurns paceMs shareCode
	cast { character { name } role goal secret maySpeak }`

type scenarioOut struct {
	ID, Title, Setting, Mood, Premise, Opening string
	MaxTurns, PaceMs                           int
	ShareCode                                  *string
	Cast                                       []struct {
		Character          struct{ Name string }
		Role, Goal, Secret string
		MaySpeak           bool
	}
}

func TestScenariosSaveLoadShareAndImport(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, _ := srv.Register(t, "author")
	s := newStage(t, c, "Garden")

	// Load, update (the cast replaced), page.
	var got struct{ Scenario scenarioOut }
	c.Must(t, `query($id: ID!) { scenario(id: $id) { `+scenarioFields+` } }`, map[string]any{"id": s.scenario}, &got)
	if sc := got.Scenario; sc.Title != "The letter" || sc.Setting != "Victorian Garden" || sc.Mood != "Tense" || len(sc.Cast) != 4 ||
		sc.Cast[3].Character.Name != "Diana" || sc.Cast[3].Secret != dianaSecret || sc.ShareCode != nil {
		t.Fatalf("scenario: %+v", sc)
	}
	var upd struct{ UpdateScenario scenarioOut }
	c.Must(t, `mutation($id: ID!, $in: UpdateScenarioInput!) { updateScenario(id: $id, input: $in) { `+scenarioFields+` } }`,
		map[string]any{"id": s.scenario, "in": map[string]any{"mood": "Stormy", "cast": []map[string]any{
			{"characterId": s.ids["Bob"], "role": "the accuser"}, {"characterId": s.ids["Diana"], "secret": dianaSecret},
			{"characterId": s.ids["Alice"], "maySpeak": false}}}}, &upd)
	if u := upd.UpdateScenario; u.Mood != "Stormy" || u.Title != "The letter" || len(u.Cast) != 3 || u.Cast[2].MaySpeak {
		t.Fatalf("updated: %+v", u)
	}
	c.Must(t, `mutation($in: CreateScenarioInput!) { createScenario(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"ecosystemId": s.ecosystem, "title": "Second", "cast": []map[string]any{{"characterId": s.ids["Bob"]}, {"characterId": s.ids["Alice"]}}}}, &struct{}{})
	var list struct {
		Scenarios struct {
			TotalCount int
			Nodes      []struct{ Title string }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	c.Must(t, `query($e: ID!) { scenarios(ecosystemId: $e, first: 1) { totalCount nodes { title } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"e": s.ecosystem}, &list)
	if l := list.Scenarios; l.TotalCount != 2 || len(l.Nodes) != 1 || l.Nodes[0].Title != "The letter" || !l.PageInfo.HasNextPage {
		t.Fatalf("first page: %+v", l)
	}
	c.Must(t, `query($e: ID!, $a: String) { scenarios(ecosystemId: $e, first: 1, after: $a) { totalCount nodes { title } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"e": s.ecosystem, "a": list.Scenarios.PageInfo.EndCursor}, &list)
	if l := list.Scenarios; len(l.Nodes) != 1 || l.Nodes[0].Title != "Second" || l.PageInfo.HasNextPage {
		t.Fatalf("second page: %+v", l)
	}

	// Share: another user reads it by code and imports it; the characters they lack are
	// made, the ones they have (by name) are reused, and running it works there.
	var shared struct{ ShareScenario struct{ ShareCode string } }
	c.Must(t, `mutation($id: ID!) { shareScenario(id: $id) { shareCode } }`, map[string]any{"id": s.scenario}, &shared)
	code := shared.ShareScenario.ShareCode
	if len(code) != 12 {
		t.Fatalf("share code %q", code)
	}
	other, _ := srv.Register(t, "reader")
	eco := other.CreateEcosystem(t, "Elsewhere")
	other.CreateCharacter(t, eco, "bob")
	var doc struct{ SharedScenario map[string]any }
	other.Must(t, `query($c: String!) { sharedScenario(code: $c) }`, map[string]any{"c": strings.ToLower(code)}, &doc)
	if doc.SharedScenario["format"] != "ensemble.scenario/v1" || doc.SharedScenario["mood"] != "Stormy" {
		t.Fatalf("shared document: %v", doc.SharedScenario)
	}
	characters := srv.Count(t, "characters")
	var imported struct{ ImportScenario scenarioOut }
	other.Must(t, `mutation($e: ID!, $c: String) { importScenario(ecosystemId: $e, shareCode: $c) { `+scenarioFields+` } }`,
		map[string]any{"e": eco, "c": code}, &imported)
	if im := imported.ImportScenario; im.Title != "The letter" || len(im.Cast) != 3 || im.Cast[0].Character.Name != "bob" ||
		im.Cast[1].Character.Name != "Diana" || im.Cast[1].Secret != dianaSecret || im.Cast[2].MaySpeak {
		t.Fatalf("imported: %+v", im)
	}
	if n := srv.Count(t, "characters"); n != characters+2 {
		t.Fatalf("import made %d characters, want 2 (Bob existed as bob)", n-characters)
	}
	var run struct{ RunScenario struct{ Status string } }
	other.Must(t, `mutation($id: ID!) { runScenario(id: $id, input: {maxTurns: 2, paceMs: 0}) { status } }`,
		map[string]any{"id": imported.ImportScenario.ID}, &run)
	// The exported document round-trips: importing it again reuses every character.
	var exported struct{ ExportScenario map[string]any }
	c.Must(t, `query($id: ID!) { exportScenario(id: $id) }`, map[string]any{"id": s.scenario}, &exported)
	characters = srv.Count(t, "characters")
	var again struct{ ImportScenario scenarioOut }
	c.Must(t, `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { `+scenarioFields+` } }`,
		map[string]any{"e": s.ecosystem, "d": exported.ExportScenario}, &again)
	if n := srv.Count(t, "characters"); n != characters || again.ImportScenario.Mood != "Stormy" {
		t.Fatalf("re-import made %d characters: %+v", n-characters, again.ImportScenario)
	}

	// Unshared, the code finds nothing; the other user cannot see or touch the original.
	c.Must(t, `mutation($id: ID!) { unshareScenario(id: $id) { shareCode } }`, map[string]any{"id": s.scenario}, &struct{}{})
	if code := other.Do(t, `query($c: String!) { sharedScenario(code: $c) }`, map[string]any{"c": code}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("unshared code: %s", code)
	}
	var none struct{ Scenario *struct{ ID string } }
	other.Must(t, `query($id: ID!) { scenario(id: $id) { id } }`, map[string]any{"id": s.scenario}, &none)
	if none.Scenario != nil {
		t.Fatal("another user sees the scenario")
	}
	for _, q := range []string{
		`mutation($id: ID!) { updateScenario(id: $id, input: {title: "Mine"}) { id } }`,
		`mutation($id: ID!) { deleteScenario(id: $id) }`,
		`mutation($id: ID!) { shareScenario(id: $id) { id } }`,
		`query($id: ID!) { exportScenario(id: $id) }`,
	} {
		if code := other.Do(t, q, map[string]any{"id": s.scenario}).Code(t); code != "NOT_FOUND" {
			t.Fatalf("%s by another user: %s", q, code)
		}
	}
	var del struct{ DeleteScenario string }
	c.Must(t, `mutation($id: ID!) { deleteScenario(id: $id) }`, map[string]any{"id": s.scenario}, &del)
	if del.DeleteScenario != s.scenario {
		t.Fatalf("deleted %q", del.DeleteScenario)
	}
}

func TestScenarioBadInput(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, _ := srv.Register(t, "author")
	s := newStage(t, c, "Garden")
	other, _ := srv.Register(t, "stranger")
	strangersCharacter := other.CreateCharacter(t, other.CreateEcosystem(t, "Theirs"), "Mallory")
	cast := func(extra ...map[string]any) []map[string]any {
		return append([]map[string]any{{"characterId": s.ids["Alice"]}, {"characterId": s.ids["Bob"]}}, extra...)
	}
	create := func(in map[string]any) map[string]any {
		base := map[string]any{"ecosystemId": s.ecosystem, "title": "T", "cast": cast()}
		for k, v := range in {
			base[k] = v
		}
		return map[string]any{"in": base}
	}
	const createQ = `mutation($in: CreateScenarioInput!) { createScenario(input: $in) { id } }`
	validDoc := map[string]any{"format": "ensemble.scenario/v1", "title": "T", "maxTurns": 5, "paceMs": 0,
		"cast": []map[string]any{{"name": "Alice", "maySpeak": true}, {"name": "Zed", "maySpeak": true}}}
	with := func(k string, v any) map[string]any {
		d := map[string]any{}
		for kk, vv := range validDoc {
			d[kk] = vv
		}
		d[k] = v
		return d
	}
	tests := []struct {
		name   string
		query  string
		vars   map[string]any
		client *testkit.Client
		code   string
	}{
		{"blank title", createQ, create(map[string]any{"title": "  "}), c, "BAD_USER_INPUT"},
		{"long title", createQ, create(map[string]any{"title": strings.Repeat("t", 201)}), c, "BAD_USER_INPUT"},
		{"NUL in the setting", createQ, create(map[string]any{"setting": "gar\u0000den"}), c, "BAD_USER_INPUT"},
		{"long premise", createQ, create(map[string]any{"premise": strings.Repeat("p", 5001)}), c, "BAD_USER_INPUT"},
		{"a cast of one", createQ, create(map[string]any{"cast": []map[string]any{{"characterId": s.ids["Alice"]}}}), c, "BAD_USER_INPUT"},
		{"a character twice", createQ, create(map[string]any{"cast": cast(map[string]any{"characterId": s.ids["Alice"]})}), c, "BAD_USER_INPUT"},
		{"nobody may speak", createQ, create(map[string]any{"cast": []map[string]any{{"characterId": s.ids["Alice"], "maySpeak": false}, {"characterId": s.ids["Bob"]}}}), c, "BAD_USER_INPUT"},
		{"another user's character", createQ, create(map[string]any{"cast": cast(map[string]any{"characterId": strangersCharacter})}), c, "BAD_USER_INPUT"},
		{"long secret", createQ, create(map[string]any{"cast": cast(map[string]any{"characterId": s.ids["Diana"], "secret": strings.Repeat("s", 2001)})}), c, "BAD_USER_INPUT"},
		{"no turns", createQ, create(map[string]any{"maxTurns": 0}), c, "BAD_USER_INPUT"},
		{"pace too long", createQ, create(map[string]any{"paceMs": 600001}), c, "BAD_USER_INPUT"},
		{"maxTurns of the wrong type", createQ, create(map[string]any{"maxTurns": "many"}), c, "GRAPHQL_VALIDATION_FAILED"},
		{"another user's ecosystem", createQ, create(nil), other, "NOT_FOUND"},
		{"malformed id", `query { scenario(id: "%%%") { id } }`, nil, c, "BAD_USER_INPUT"},
		{"unknown share code", `query { sharedScenario(code: "ZZZZZZZZZZZZ") }`, nil, c, "NOT_FOUND"},
		{"long share code", `query($c: String!) { sharedScenario(code: $c) }`, map[string]any{"c": strings.Repeat("Z", 33)}, c, "BAD_USER_INPUT"},
		{"import with both", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d, shareCode: "X") { id } }`, map[string]any{"e": s.ecosystem, "d": validDoc}, c, "BAD_USER_INPUT"},
		{"import with neither", `mutation($e: ID!) { importScenario(ecosystemId: $e) { id } }`, map[string]any{"e": s.ecosystem}, c, "BAD_USER_INPUT"},
		{"wrong format", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { id } }`, map[string]any{"e": s.ecosystem, "d": with("format", "v0")}, c, "BAD_USER_INPUT"},
		{"unknown field", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { id } }`, map[string]any{"e": s.ecosystem, "d": with("extra", 1)}, c, "BAD_USER_INPUT"},
		{"wrong type", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { id } }`, map[string]any{"e": s.ecosystem, "d": with("maxTurns", "ten")}, c, "BAD_USER_INPUT"},
		{"not an object", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { id } }`, map[string]any{"e": s.ecosystem, "d": []int{1}}, c, "BAD_USER_INPUT"},
		{"a nameless cast member", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { id } }`,
			map[string]any{"e": s.ecosystem, "d": with("cast", []map[string]any{{"name": ""}, {"name": "Zed"}})}, c, "BAD_USER_INPUT"},
		{"traits out of range", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { id } }`,
			map[string]any{"e": s.ecosystem, "d": with("cast", []map[string]any{{"name": "Ann", "maySpeak": true, "traits": map[string]any{"openness": 2}}, {"name": "Zed", "maySpeak": true}})}, c, "BAD_USER_INPUT"},
		{"import into another user's ecosystem", `mutation($e: ID!, $d: JSON) { importScenario(ecosystemId: $e, document: $d) { id } }`, map[string]any{"e": s.ecosystem, "d": validDoc}, other, "NOT_FOUND"},
	}
	scenarios, characters := srv.Count(t, "scenarios"), srv.Count(t, "characters")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := tt.client.Do(t, tt.query, tt.vars).Code(t); code != tt.code {
				t.Fatalf("got %s, want %s", code, tt.code)
			}
		})
	}
	if srv.Count(t, "scenarios") != scenarios || srv.Count(t, "characters") != characters {
		t.Fatal("a refused request wrote something")
	}
}
