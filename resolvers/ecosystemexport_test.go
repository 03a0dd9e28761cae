package resolvers_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

const (
	exportEcosystemQuery = `query($id: ID!) { exportEcosystem(id: $id) }`
	importEcosystemQuery = `mutation($file: Upload!) { importEcosystem(file: $file) {
		ecosystem { id name } characters relationships memories scenarios conversations messages warnings } }`
)

type ecosystemImport struct {
	Ecosystem     struct{ ID, Name string }
	Characters    int
	Relationships int
	Memories      int
	Scenarios     int
	Conversations int
	Messages      int
	Warnings      []string
}

// exportEcosystem returns an ecosystem's document, as sent.
func exportEcosystem(t *testing.T, c *testkit.Client, id string) []byte {
	t.Helper()
	var out struct{ ExportEcosystem json.RawMessage }
	c.Must(t, exportEcosystemQuery, map[string]any{"id": id}, &out)
	return out.ExportEcosystem
}

func importEcosystem(t *testing.T, c *testkit.Client, doc []byte) ecosystemImport {
	t.Helper()
	var out struct{ ImportEcosystem ecosystemImport }
	c.Upload(t, importEcosystemQuery, nil, testkit.Upload{Filename: "ecosystem.json", Content: doc}).Decode(t, &out)
	return out.ImportEcosystem
}

// exportedDocument decodes a document for comparison, numbers as written.
func exportedDocument(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("the export is not a JSON object: %v", err)
	}
	return v
}

// compareDocuments reports every field of want that got does not hold alike, by path.
func compareDocuments(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %v, want an object", path, got)
			return
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("%s.%s: not in the first export", path, k)
			}
		}
		for k, v := range w {
			compareDocuments(t, path+"."+k, v, g[k])
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %v, want %d elements", path, got, len(w))
			return
		}
		for i := range w {
			compareDocuments(t, path+"."+strconv.Itoa(i), w[i], g[i])
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}

// richEcosystem builds an ecosystem through the API with something in every part of the
// document: characters with their state, relationships changed by a scene's lines,
// memories added and witnessed, a scenario, a scene run to its end, and a direct chat.
func richEcosystem(t *testing.T, c *testkit.Client) *stage {
	t.Helper()
	s := newStage(t, c, "Persuasion")
	c.Must(t, `mutation($id: ID!, $in: UpdateCharacterInput!) { updateCharacter(id: $id, input: $in) { id } }`,
		map[string]any{"id": s.ids["Alice"], "in": map[string]any{
			"backstory": "Raised in Kellynch <by the sea> & the hedgerows.", "goals": []string{"reconcile the family", "read everything"},
			"autonomyLevel": 0.8, "socialEnergy": 0.35, "currentEmotion": "wistful",
			"currentContext": map[string]any{"location": "the garden", "weather": []any{"rain", 3}}}}, &struct{}{})
	for _, m := range []map[string]any{
		{"content": "Bob once saved my brother from drowning.", "type": "FACT", "importance": 0.9},
		{"content": "I plan to write to Charlie tomorrow — «avec plaisir».", "type": "PLAN"},
	} {
		c.Must(t, `mutation($id: ID!, $in: AddMemoryInput!) { addMemory(characterId: $id, input: $in) { id } }`,
			map[string]any{"id": s.ids["Alice"], "in": m}, &struct{}{})
	}
	conv := s.run(t, map[string]any{"maxTurns": 4, "paceMs": 0, "seed": 11})
	s.waitFor(t, conv, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	c.Must(t, `mutation($ch: ID!) { chat(characterId: $ch, content: "Good morning, Diana. Any letters?") { reply { id } } }`,
		map[string]any{"ch": s.ids["Diana"]}, &struct{}{})
	return s
}

// TestEcosystemExportImportRoundTrip exports an ecosystem made through the API, imports it
// as another user, exports that, and compares the documents field by field. Only the
// export's time and the ecosystem's creation time may differ (an import makes a new
// ecosystem now); ids are local to a document and come out alike.
func TestEcosystemExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	owner, _ := s.Register(t, "anne")
	other, _ := s.Register(t, "wentworth")
	st := richEcosystem(t, owner)

	first := exportEcosystem(t, owner, st.ecosystem)
	doc := exportedDocument(t, first)
	if doc["format"] != "ensemble.ecosystem" || doc["version"] != json.Number("1") {
		t.Fatalf("header: %v %v", doc["format"], doc["version"])
	}
	for _, part := range []string{"characters", "relationships", "memories", "scenarios", "conversations"} {
		if n := len(doc[part].([]any)); n == 0 {
			t.Fatalf("the export holds no %s", part)
		}
	}
	if bytes.Contains(first, []byte("embedding")) || bytes.Contains(first, []byte(uuidOf(t, st.ids["Alice"]))) {
		t.Fatal("the export holds embeddings or database ids")
	}
	// The scene's lines caused relationship changes, and the history points at them.
	if !bytes.Contains(first, []byte(`"message":"m`)) {
		t.Fatal("no relationship change points at the line that caused it")
	}

	got := importEcosystem(t, other, first)
	conversations := doc["conversations"].([]any)
	messages := 0
	for _, v := range conversations {
		messages += len(v.(map[string]any)["messages"].([]any))
	}
	want := ecosystemImport{Characters: len(doc["characters"].([]any)), Relationships: len(doc["relationships"].([]any)),
		Memories: len(doc["memories"].([]any)), Scenarios: len(doc["scenarios"].([]any)), Conversations: len(conversations),
		Messages: messages, Warnings: []string{}}
	want.Ecosystem = got.Ecosystem
	if !reflect.DeepEqual(got, want) || got.Ecosystem.Name != "Persuasion" {
		t.Fatalf("import: got %+v, want %+v", got, want)
	}
	// Another user's ecosystem now: the owner of the original does not see it.
	if code := owner.Do(t, exportEcosystemQuery, map[string]any{"id": got.Ecosystem.ID}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("the original owner exported the copy: %s", code)
	}

	again := exportedDocument(t, exportEcosystem(t, other, got.Ecosystem.ID))
	for _, d := range []map[string]any{doc, again} {
		delete(d, "exportedAt")
		delete(d["ecosystem"].(map[string]any), "createdAt")
	}
	compareDocuments(t, "document", doc, again)

	// The memories were embedded again: recall finds the imported fact.
	var chars struct {
		Ecosystem struct {
			Characters struct{ Nodes []struct{ ID, Name string } }
		}
	}
	other.Must(t, `query($id: ID!) { ecosystem(id: $id) { characters(first: 10) { nodes { id name } } } }`,
		map[string]any{"id": got.Ecosystem.ID}, &chars)
	var alice string
	for _, c := range chars.Ecosystem.Characters.Nodes {
		if c.Name == "Alice" {
			alice = c.ID
		}
	}
	var recall struct {
		Recall []struct{ Memory struct{ Content string } }
	}
	other.Must(t, `query($id: ID!) { recall(characterId: $id, query: "saved my brother from drowning", topK: 1,
		weights: {recency: 0, importance: 0, relevance: 1}) { memory { content } } }`, map[string]any{"id": alice}, &recall)
	if len(recall.Recall) != 1 || !strings.Contains(recall.Recall[0].Memory.Content, "drowning") {
		t.Fatalf("recall in the imported ecosystem: %+v", recall)
	}
}

// TestEcosystemImportRefusals checks that forged ids, other users' ecosystems and bad
// documents are refused with a typed error naming the element at fault, and change nothing.
func TestEcosystemImportRefusals(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	s := testkit.NewServer(t, "MAX_UPLOAD_BYTES="+strconv.Itoa(limit))
	owner, _ := s.Register(t, "elliot")
	stranger, _ := s.Register(t, "clay")
	st := newStage(t, owner, "Kellynch")
	good := exportEcosystem(t, owner, st.ecosystem)

	// edit returns the good document changed by fn.
	edit := func(fn func(d map[string]any)) []byte {
		d := exportedDocument(t, good)
		fn(d)
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := func(d map[string]any, part string) map[string]any { return d[part].([]any)[0].(map[string]any) }

	tables := []string{"ecosystems", "characters", "relationships", "relationship_events", "memories", "scenarios",
		"scenario_cast", "conversations", "messages", "events"}
	before := map[string]int{}
	for _, table := range tables {
		before[table] = s.Count(t, table)
	}
	for _, tc := range []struct {
		name   string
		client *testkit.Client
		export string // an id to export; otherwise file is imported
		file   []byte
		code   string
		field  string
	}{
		{name: "another user's ecosystem", client: stranger, export: st.ecosystem, code: "NOT_FOUND"},
		{name: "a character's id as an ecosystem", client: owner, export: st.ids["Alice"], code: "NOT_FOUND"},
		{name: "a forged id", client: owner, export: base64.RawURLEncoding.EncodeToString([]byte("Ecosystem:" + uuidOf(t, st.ids["Alice"]))), code: "NOT_FOUND"},
		{name: "signed out", client: s.Client(), export: st.ecosystem, code: "UNAUTHENTICATED"},
		{name: "signed out import", client: s.Client(), file: good, code: "UNAUTHENTICATED"},
		{name: "malformed JSON", client: owner, file: good[:len(good)/2], code: "BAD_USER_INPUT", field: "file"},
		{name: "not a document", client: owner, file: []byte(`{"characters": []}`), code: "BAD_USER_INPUT", field: "file.format"},
		{name: "a later version", client: owner, file: edit(func(d map[string]any) { d["version"] = 2 }),
			code: "BAD_USER_INPUT", field: "file.version"},
		{name: "a dangling relationship end", client: owner, file: edit(func(d map[string]any) { first(d, "relationships")["to"] = "c99" }),
			code: "BAD_USER_INPUT", field: "file.relationships.0.to"},
		{name: "a dangling cast member", client: owner, file: edit(func(d map[string]any) {
			first(d, "scenarios")["cast"].([]any)[2].(map[string]any)["character"] = "nobody"
		}), code: "BAD_USER_INPUT", field: "file.scenarios.0.cast.2.character"},
		{name: "an id twice", client: owner, file: edit(func(d map[string]any) { d["characters"].([]any)[1].(map[string]any)["id"] = "c1" }),
			code: "BAD_USER_INPUT", field: "file.characters.1.id"},
		{name: "an over-long name", client: owner, file: edit(func(d map[string]any) { first(d, "characters")["name"] = strings.Repeat("A", 256) }),
			code: "BAD_USER_INPUT", field: "file.characters.0.name"},
		{name: "a trait out of range", client: owner, file: edit(func(d map[string]any) {
			first(d, "characters")["personalityTraits"].(map[string]any)["neuroticism"] = 1.5
		}), code: "BAD_USER_INPUT", field: "file.characters.0.personalityTraits.neuroticism"},
		{name: "a wrong type", client: owner, file: edit(func(d map[string]any) { d["characters"].([]any)[2].(map[string]any)["socialEnergy"] = "lots" }),
			code: "BAD_USER_INPUT", field: "file.characters.2.socialEnergy"},
		{name: "a context that is not an object", client: owner, file: edit(func(d map[string]any) { first(d, "characters")["currentContext"] = []any{1} }),
			code: "BAD_USER_INPUT", field: "file.characters.0.currentContext"},
		{name: "an unknown relationship type", client: owner, file: edit(func(d map[string]any) { first(d, "relationships")["type"] = "NEMESIS" }),
			code: "BAD_USER_INPUT", field: "file.relationships.0.type"},
		{name: "oversized", client: owner, file: append(bytes.Clone(good), bytes.Repeat([]byte(" "), limit)...), code: "PAYLOAD_TOO_LARGE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *testkit.Response
			if tc.export != "" {
				r = tc.client.Do(t, exportEcosystemQuery, map[string]any{"id": tc.export})
			} else {
				r = tc.client.Upload(t, importEcosystemQuery, nil, testkit.Upload{Filename: "ecosystem.json", Content: tc.file})
			}
			if code := r.Code(t); code != tc.code {
				t.Fatalf("got %s (%s), want %s", code, r.Errors[0].Message, tc.code)
			}
			if field, _ := r.Errors[0].Extensions["field"].(string); field != tc.field {
				t.Fatalf("got field %q (%s), want %q", field, r.Errors[0].Message, tc.field)
			}
			for _, table := range tables {
				if n := s.Count(t, table); n != before[table] {
					t.Fatalf("%s: %d rows, %d before", table, n, before[table])
				}
			}
		})
	}

	// An ecosystem whose document would be over the upload limit is refused, not streamed.
	c := owner.CreateCharacter(t, st.ecosystem, "Mr Shepherd")
	for range 8 {
		owner.Must(t, `mutation($id: ID!, $in: [AddMemoryInput!]!) { addMemories(characterId: $id, input: $in) }`,
			map[string]any{"id": c, "in": []map[string]any{{"content": strings.Repeat("Rent is due. ", 700), "type": "FACT"}}}, &struct{}{})
	}
	r := owner.Do(t, exportEcosystemQuery, map[string]any{"id": st.ecosystem})
	if code := r.Code(t); code != "PAYLOAD_TOO_LARGE" || !strings.Contains(r.Errors[0].Message, "MAX_UPLOAD_BYTES") {
		t.Fatalf("an export over the limit: %s %s", code, r.Errors[0].Message)
	}
}
