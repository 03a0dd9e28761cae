package resolvers_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/cards"
	"github.com/literaryai/ensemble/internal/testkit"
)

// cardsDir holds the real character cards (read in place, never copied into the project).
const cardsDir = "../../shared/data/cards"

const (
	importCardQuery = `mutation($eco: ID!, $file: Upload!) {
		importCharacterCard(ecosystemId: $eco, file: $file) {
			character { id name description speakingStyle backstory } lorebookEntries warnings } }`
	exportCardQuery = `query($id: ID!, $format: CharacterCardFormat!) {
		exportCharacterCard(characterId: $id, format: $format) { filename contentType content warnings } }`
	factsQuery = `query($id: ID!) { character(id: $id) {
		memories(filter: {types: [FACT]}, first: 100) { nodes { id content } } } }`
)

type cardCharacter struct{ ID, Name, Description, SpeakingStyle, Backstory string }

type cardImport struct {
	Character       cardCharacter
	LorebookEntries int
	Warnings        []string
}

type cardExport struct {
	Filename, ContentType, Content string
	Warnings                       []string
}

func importCard(t *testing.T, c *testkit.Client, eco, filename string, file []byte) cardImport {
	t.Helper()
	var out struct{ ImportCharacterCard cardImport }
	c.Upload(t, importCardQuery, map[string]any{"eco": eco}, testkit.Upload{Filename: filename, Content: file}).Decode(t, &out)
	return out.ImportCharacterCard
}

func exportCard(t *testing.T, c *testkit.Client, id, format string) cardExport {
	t.Helper()
	var out struct{ ExportCharacterCard cardExport }
	c.Must(t, exportCardQuery, map[string]any{"id": id, "format": format}, &out)
	return out.ExportCharacterCard
}

// exportedPNG decodes a PNG export's bytes and checks that image/png decodes them.
func exportedPNG(t *testing.T, e cardExport) []byte {
	t.Helper()
	if e.ContentType != "image/png" || !strings.HasSuffix(e.Filename, ".png") {
		t.Fatalf("PNG export named %q as %q", e.Filename, e.ContentType)
	}
	b, err := base64.StdEncoding.DecodeString(e.Content)
	if err != nil {
		t.Fatalf("PNG export is not base64: %v", err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("the exported PNG does not decode: %v", err)
	}
	return b
}

// decodeJSON reads JSON for comparison regardless of key order, numbers as written.
func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode card: %v", err)
	}
	return v
}

// sameCard compares two cards key by key, top level and data, naming the first field that
// differs.
func sameCard(t *testing.T, what string, got, want []byte) {
	t.Helper()
	g, w := decodeJSON(t, got), decodeJSON(t, want)
	gd, _ := g["data"].(map[string]any)
	wd, _ := w["data"].(map[string]any)
	for _, side := range []struct {
		name      string
		got, want map[string]any
	}{{"", g, w}, {"data.", gd, wd}} {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range side.want {
				if !yield(k) {
					return
				}
			}
			for k := range side.got {
				if _, ok := side.want[k]; !ok && !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			if side.name == "" && k == "data" {
				continue
			}
			if !reflect.DeepEqual(side.got[k], side.want[k]) {
				t.Fatalf("%s: %s%s differs:\n got %.300v\nwant %.300v", what, side.name, k, side.got[k], side.want[k])
			}
		}
	}
}

// samePicture checks that two PNGs have the same pixels.
func samePicture(t *testing.T, got, want []byte) {
	t.Helper()
	g, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	w, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if g.Bounds() != w.Bounds() {
		t.Fatalf("picture bounds %v, want %v", g.Bounds(), w.Bounds())
	}
	for y := w.Bounds().Min.Y; y < w.Bounds().Max.Y; y++ {
		for x := w.Bounds().Min.X; x < w.Bounds().Max.X; x++ {
			if g.At(x, y) != w.At(x, y) {
				t.Fatalf("pixel (%d, %d) changed", x, y)
			}
		}
	}
}

// realCardFiles lists the real cards: skipped only when the shared data is absent.
func realCardFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(filepath.Dir(cardsDir)); err != nil {
		t.Skipf("the shared data under ../shared/data is absent (%v): skipping the real character cards", err)
	}
	files, err := filepath.Glob(filepath.Join(cardsDir, "*.png"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the character cards are expected in %s (%v)", cardsDir, err)
	}
	return files
}

// TestCharacterCardRoundTrip imports each real card, exports it as JSON and PNG, imports
// each export again and exports that: the card comes back whole every time, its picture
// unchanged, and the characters and their lorebook facts match.
func TestCharacterCardRoundTrip(t *testing.T) {
	t.Parallel()
	files := realCardFiles(t)
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "roleplayer")
	eco := c.CreateEcosystem(t, "Tavern")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, picture, err := cards.ReadPNG(raw)
			if err != nil {
				t.Fatal(err)
			}
			original := want.JSON()
			imported := importCard(t, c, eco, filepath.Base(file), raw)
			ch := imported.Character
			if ch.Name != strings.TrimSpace(want.Text("name")) || ch.Description != want.Text("description") ||
				ch.SpeakingStyle != want.Text("personality") || ch.Backstory != want.Text("scenario") {
				t.Fatalf("character %+v does not carry the card's name, description, personality and scenario", ch)
			}
			var wantFacts []string
			for _, e := range want.Entries {
				if e.Enabled && strings.TrimSpace(e.Content) != "" {
					wantFacts = append(wantFacts, strings.TrimSpace(e.Content))
				}
			}
			if imported.LorebookEntries != len(wantFacts) || !slices.Equal(facts(t, c, ch.ID), sorted(wantFacts)) {
				t.Fatalf("%d lorebook entries imported (warnings %v), want %d as FACT memories", imported.LorebookEntries, imported.Warnings, len(wantFacts))
			}

			asJSON := exportCard(t, c, ch.ID, "JSON")
			if asJSON.ContentType != "application/json" || asJSON.Filename != want.Text("name")+".json" {
				t.Fatalf("JSON export named %q as %q", asJSON.Filename, asJSON.ContentType)
			}
			sameCard(t, "JSON export", []byte(asJSON.Content), original)
			asPNG := exportedPNG(t, exportCard(t, c, ch.ID, "PNG"))
			samePicture(t, asPNG, raw)
			fromPNG, _, err := cards.ReadPNG(asPNG)
			if err != nil {
				t.Fatal(err)
			}
			// The PNG's ccv3 chunk is read first: a V2 card comes back as itself under V3.
			sameCard(t, "PNG export", fromPNG.JSON(), want.As(cards.V3).JSON())

			for _, again := range []struct {
				name string
				file []byte
				want []byte
			}{
				{"card.json", []byte(asJSON.Content), original},
				{"card.png", asPNG, want.As(cards.V3).JSON()},
			} {
				second := importCard(t, c, eco, again.name, again.file)
				got := second.Character
				got.ID = ch.ID
				if got != ch || second.LorebookEntries != imported.LorebookEntries ||
					!slices.Equal(facts(t, c, second.Character.ID), sorted(wantFacts)) {
					t.Fatalf("%s imported again as %+v with %d entries, want %+v with %d", again.name, second.Character,
						second.LorebookEntries, ch, imported.LorebookEntries)
				}
				sameCard(t, again.name+" exported again", []byte(exportCard(t, c, second.Character.ID, "JSON").Content), again.want)
				pngAgain := exportedPNG(t, exportCard(t, c, second.Character.ID, "PNG"))
				if again.name == "card.png" {
					samePicture(t, pngAgain, raw)
				} else {
					// A card that came as JSON has no picture: a generated one carries it.
					samePicture(t, pngAgain, cards.Placeholder(want.Text("name")))
				}
			}
			if picture == nil {
				t.Fatal("the real card's picture was not kept")
			}
		})
	}
}

// facts lists a character's FACT memories, sorted.
func facts(t *testing.T, c *testkit.Client, id string) []string {
	t.Helper()
	var out struct {
		Character struct {
			Memories struct {
				Nodes []struct{ ID, Content string }
			}
		}
	}
	c.Must(t, factsQuery, map[string]any{"id": id}, &out)
	var contents []string
	for _, n := range out.Character.Memories.Nodes {
		contents = append(contents, n.Content)
	}
	return sorted(contents)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestCharacterCardEdits exports what changed in Ensemble since the import: an edited
// field, a forgotten lorebook fact, a new fact; and a character from no card gets one.
func TestCharacterCardEdits(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "editor")
	eco := c.CreateEcosystem(t, "Study")
	card := `{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Ada","description":"A mathematician.",
		"personality":"precise","scenario":"London","first_mes":"Hello.","mes_example":"","creator_notes":"",
		"system_prompt":"","post_history_instructions":"","alternate_greetings":[],"tags":["math"],"creator":"",
		"character_version":"","extensions":{"x":1},"character_book":{"entries":[
			{"id":0,"keys":["engine"],"content":"Ada wrote the first program.","extensions":{},"enabled":true,"insertion_order":0},
			{"id":1,"keys":["poetry"],"content":"Ada's father was Byron.","extensions":{},"enabled":true,"insertion_order":1},
			{"id":2,"keys":["off"],"content":"Disabled entry.","extensions":{},"enabled":false,"insertion_order":2}]}}}`
	imported := importCard(t, c, eco, "ada.json", []byte(card))
	if imported.LorebookEntries != 2 || len(imported.Warnings) != 1 || !strings.Contains(imported.Warnings[0], "disabled") {
		t.Fatalf("imported %d entries with warnings %v, want 2 and the disabled one named", imported.LorebookEntries, imported.Warnings)
	}
	id := imported.Character.ID
	c.Must(t, `mutation($id: ID!) { updateCharacter(id: $id, input: {description: "Countess of Lovelace."}) { id } }`,
		map[string]any{"id": id}, &map[string]any{})
	var mem struct {
		Character struct {
			Memories struct {
				Nodes []struct{ ID, Content string }
			}
		}
	}
	c.Must(t, factsQuery, map[string]any{"id": id}, &mem)
	for _, n := range mem.Character.Memories.Nodes {
		if strings.Contains(n.Content, "Byron") {
			c.Must(t, `mutation($id: ID!) { forgetMemory(id: $id) }`, map[string]any{"id": n.ID}, &map[string]any{})
		}
	}
	c.Must(t, `mutation($id: ID!) { addMemory(characterId: $id, input: {content: "Ada met Babbage in 1833.", type: FACT}) { id } }`,
		map[string]any{"id": id}, &map[string]any{})

	got, err := cards.Parse([]byte(exportCard(t, c, id, "JSON").Content))
	if err != nil {
		t.Fatal(err)
	}
	if got.Text("description") != "Countess of Lovelace." || got.Text("personality") != "precise" || got.Text("first_mes") != "Hello." {
		t.Fatalf("export has description %q, personality %q, first_mes %q", got.Text("description"), got.Text("personality"), got.Text("first_mes"))
	}
	var contents []string
	for _, e := range got.Entries {
		contents = append(contents, e.Content)
	}
	if want := []string{"Ada wrote the first program.", "Disabled entry.", "Ada met Babbage in 1833."}; !slices.Equal(contents, want) {
		t.Fatalf("lorebook %q, want %q", contents, want)
	}
	if id, _ := got.Entries[2].ID(); id != 3 || len(got.Entries[2].Keys) != 0 {
		t.Fatalf("the new fact's entry: id %d, keys %v; want id 3 and no keys", id, got.Entries[2].Keys)
	}

	// A field over its limit is cut on the character and written back whole while left alone.
	long := strings.Repeat("Ada counts. ", 1200)
	cut := importCard(t, c, eco, "long.json", []byte(`{"spec":"chara_card_v3","spec_version":"3.0","data":{"name":"Long","description":"`+long+`"}}`))
	if len([]rune(cut.Character.Description)) != 10000 || len(cut.Warnings) != 1 || !strings.Contains(cut.Warnings[0], "cut") {
		t.Fatalf("long description imported as %d characters, warnings %v", len([]rune(cut.Character.Description)), cut.Warnings)
	}
	whole, err := cards.Parse([]byte(exportCard(t, c, cut.Character.ID, "JSON").Content))
	if err != nil || whole.Text("description") != long {
		t.Fatalf("the long description was not exported whole (%v)", err)
	}

	fresh := c.CreateCharacter(t, eco, "Cleo")
	c.Must(t, `mutation($id: ID!) { addMemory(characterId: $id, input: {content: "Cleo fears the sea.", type: FACT}) { id } }`,
		map[string]any{"id": fresh}, &map[string]any{})
	made, _, err := cards.ReadPNG(exportedPNG(t, exportCard(t, c, fresh, "PNG")))
	if err != nil {
		t.Fatal(err)
	}
	if made.Spec != cards.V3 || made.Text("name") != "Cleo" || len(made.Entries) != 1 || made.Entries[0].Content != "Cleo fears the sea." {
		t.Fatalf("the card of a character from no card: %s", made.JSON())
	}
}

// TestCharacterCardRefusals: another user's ecosystem and character are not found, and a
// bad file is refused with a clear error and creates nothing.
func TestCharacterCardRefusals(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	owner, _ := s.Register(t, "owner")
	other, _ := s.Register(t, "other")
	eco := owner.CreateEcosystem(t, "Mine")
	character := owner.CreateCharacter(t, eco, "Mine too")
	good := []byte(`{"spec":"chara_card_v3","spec_version":"3.0","data":{"name":"Bo"}}`)

	up := testkit.Upload{Filename: "bo.json", Content: good}
	if code := other.Upload(t, importCardQuery, map[string]any{"eco": eco}, up).Code(t); code != "NOT_FOUND" {
		t.Fatalf("import into another user's ecosystem: %s, want NOT_FOUND", code)
	}
	if code := other.Do(t, exportCardQuery, map[string]any{"id": character, "format": "JSON"}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("export of another user's character: %s, want NOT_FOUND", code)
	}

	// The world info file is read when the shared data is there (then it must be).
	var worldInfo []byte
	if _, err := os.Stat(filepath.Dir(cardsDir)); err == nil {
		if worldInfo, err = os.ReadFile(filepath.Join(cardsDir, "sillytavern_Eldoria_worldinfo.json")); err != nil {
			t.Fatal(err)
		}
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	for _, tc := range []struct {
		name, filename string
		file           []byte
		code, message  string
	}{
		{"plain text", "notes.txt", []byte("hello"), "BAD_USER_INPUT", "not a character card"},
		{"malformed JSON", "card.json", []byte(`{"spec":`), "BAD_USER_INPUT", "not valid JSON"},
		{"wrong spec", "card.json", []byte(`{"spec":"chara_card_v1","data":{"name":"x"}}`), "BAD_USER_INPUT", "unsupported card spec"},
		{"truncated PNG", "card.png", png, "BAD_USER_INPUT", "truncated"},
		{"lorebook entry not an object", "card.json", []byte(`{"spec":"chara_card_v2","data":{"name":"x","character_book":{"entries":[3]}}}`), "BAD_USER_INPUT", "lorebook entry 0"},
		{"a SillyTavern world info file is no card", "world.json", worldInfo, "BAD_USER_INPUT", "names no spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.file == nil {
				t.Skip("the shared data under ../shared/data is absent")
			}
			r := owner.Upload(t, importCardQuery, map[string]any{"eco": eco}, testkit.Upload{Filename: tc.filename, Content: tc.file})
			if code := r.Code(t); code != tc.code || len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, tc.message) {
				t.Fatalf("got %s %v, want %s with %q", code, r.Errors, tc.code, tc.message)
			}
		})
	}
	for table, want := range map[string]int{"characters": 1, "character_cards": 0, "memories": 0} {
		if n := s.Count(t, table); n != want {
			t.Fatalf("%d rows in %s after the refusals, want %d", n, table, want)
		}
	}
}
