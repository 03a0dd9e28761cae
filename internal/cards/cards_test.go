package cards

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/errs"
)

// cardsDir holds the real cards the tests read (never copied into the project).
const cardsDir = "../../../shared/data/cards"

// realCards lists the PNG cards under cardsDir: skipped only when the shared data is not
// there at all, failed when it is there without its cards.
func realCards(t *testing.T) []string {
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

// textPNG is a PNG picture with the given tEXt chunks (keyword, text as written).
func textPNG(t testing.TB, texts ...[2]string) []byte {
	t.Helper()
	var picture bytes.Buffer
	if err := png.Encode(&picture, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	cs, err := chunks(picture.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.NewBuffer(append([]byte{}, pngSignature...))
	for _, c := range cs {
		if c.typ == "IEND" {
			for _, kv := range texts {
				writeChunk(out, "tEXt", []byte(kv[0]+"\x00"+kv[1]))
			}
		}
		out.Write(c.raw)
	}
	return out.Bytes()
}

const (
	v2Card = `{"spec":"chara_card_v2","spec_version":"2.0","name":"Ada","data":{"name":"Ada","description":"A mathematician.",
		"personality":"precise","scenario":"London, 1843","first_mes":"Hello.","mes_example":"<START>\n{{char}}: Numbers!",
		"creator_notes":"n","tags":["math"],"extensions":{"x":{"deep":[1,2.50,"z"]}},"unknown_key":{"kept":true},
		"character_book":{"name":"B","scan_depth":3,"entries":[{"keys":["engine"],"content":"The Analytical Engine.","enabled":true,"insertion_order":0,"extensions":{"e":1}}]}}}`
	v3Card = `{"spec":"chara_card_v3","spec_version":"3.0","data":{"name":"Bo","description":"d","group_only_greetings":[],
		"assets":[{"type":"icon","uri":"ccdefault:","name":"main","ext":"png"}]}}`
)

// b64 is s in base64, as a tEXt chunk holds a card.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		file     []byte
		wantName string
		wantSpec Spec
		// wantErr is a phrase of the BAD_USER_INPUT message; tooLarge wants ErrTooLarge.
		wantErr  string
		tooLarge bool
	}{
		{name: "V2 JSON", file: []byte(v2Card), wantName: "Ada", wantSpec: V2},
		{name: "V3 JSON", file: []byte(v3Card), wantName: "Bo", wantSpec: V3},
		{name: "PNG with chara", file: textPNG(t, [2]string{"chara", b64(v2Card)}), wantName: "Ada", wantSpec: V2},
		{name: "PNG with ccv3", file: textPNG(t, [2]string{"ccv3", b64(v3Card)}), wantName: "Bo", wantSpec: V3},
		{name: "PNG with both prefers ccv3", file: textPNG(t, [2]string{"chara", b64(v2Card)}, [2]string{"ccv3", b64(v3Card)}), wantName: "Bo", wantSpec: V3},
		{name: "PNG without a card", file: textPNG(t, [2]string{"Comment", "hi"}), wantErr: "no character card"},
		{name: "malformed base64", file: textPNG(t, [2]string{"chara", "not*base64!"}), wantErr: "not valid base64"},
		{name: "malformed JSON", file: []byte(`{"spec":"chara_card_v2","data":{`), wantErr: "not valid JSON"},
		{name: "malformed JSON in PNG", file: textPNG(t, [2]string{"chara", b64(`{"spec":`)}), wantErr: "not valid JSON"},
		{name: "not a PNG", file: []byte("\x89PNX\r\n\x1a\nrest"), wantErr: "not a PNG"},
		{name: "truncated PNG", file: textPNG(t, [2]string{"chara", b64(v2Card)})[:100], wantErr: "truncated"},
		{name: "corrupt chunk", file: corrupt(textPNG(t, [2]string{"chara", b64(v2Card)})), wantErr: "CRC"},
		{name: "oversized card", file: []byte(`{"spec":"chara_card_v2","data":{"name":"` + strings.Repeat("a", MaxCardBytes) + `"}}`), tooLarge: true},
		{name: "oversized card in PNG", file: textPNG(t, [2]string{"ccv3", strings.Repeat("QUFB", MaxCardBytes/3+2)}), tooLarge: true},
		{name: "wrong spec", file: []byte(`{"spec":"chara_card_v9","data":{"name":"x"}}`), wantErr: "unsupported card spec"},
		{name: "V1 card", file: []byte(`{"name":"x","description":"y"}`), wantErr: "names no spec"},
		{name: "data not an object", file: []byte(`{"spec":"chara_card_v2","data":[]}`), wantErr: "data is not a JSON object"},
		{name: "no name", file: []byte(`{"spec":"chara_card_v2","data":{"name":"  "}}`), wantErr: "no name"},
		{name: "description not a string", file: []byte(`{"spec":"chara_card_v2","data":{"name":"x","description":3}}`), wantErr: "description must be a string"},
		{name: "tags not strings", file: []byte(`{"spec":"chara_card_v2","data":{"name":"x","tags":[1]}}`), wantErr: "tags must be a list of strings"},
		{name: "entry keys not strings", file: []byte(`{"spec":"chara_card_v2","data":{"name":"x","character_book":{"entries":[{"keys":"k","content":"c"}]}}}`), wantErr: "lorebook entry 0: keys"},
		{name: "too many entries", file: []byte(`{"spec":"chara_card_v2","data":{"name":"x","character_book":{"entries":[` + strings.Repeat(`{},`, MaxEntries) + `{}]}}}`), wantErr: "more than 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var card *Card
			var err error
			if IsPNG(tc.file) || bytes.HasPrefix(tc.file, []byte("\x89PNX")) {
				card, _, err = ReadPNG(tc.file)
			} else {
				card, err = Parse(tc.file)
			}
			var bad *errs.InvalidError
			switch {
			case tc.tooLarge:
				if !errors.Is(err, errs.ErrTooLarge) {
					t.Fatalf("got %v, want too large", err)
				}
			case tc.wantErr != "":
				if !errors.As(err, &bad) || bad.Field != "file" || !strings.Contains(bad.Message, tc.wantErr) {
					t.Fatalf("got %v, want invalid file: ...%s...", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case card.Text("name") != tc.wantName || card.Spec != tc.wantSpec:
				t.Fatalf("got %s %q, want %s %q", card.Spec, card.Text("name"), tc.wantSpec, tc.wantName)
			}
		})
	}
}

// corrupt flips a byte inside the first chunk after IHDR.
func corrupt(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(pngSignature)+25+10] ^= 0xff
	return out
}

// semantic decodes JSON for comparison regardless of key order and spacing.
func semantic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %.80q: %v", b, err)
	}
	return v
}

// TestJSONRoundTrip writes a card back unchanged: every key, unknown ones included.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, src := range []string{v2Card, v3Card} {
		card, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := semantic(t, card.JSON()), semantic(t, []byte(src)); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip changed the card:\n got %v\nwant %v", got, want)
		}
	}
	card, _ := Parse([]byte(v2Card))
	if e := card.Entries[0]; !reflect.DeepEqual(e.Keys, []string{"engine"}) || e.Content != "The Analytical Engine." || !e.Enabled {
		t.Fatalf("entry read as %+v", e)
	}
	if !strings.Contains(string(card.JSON()), "<START>") {
		t.Fatal("the example dialogue's <START> was escaped")
	}
}

// TestSetText changes a field and its V1 mirror, and nothing else.
func TestSetText(t *testing.T) {
	t.Parallel()
	card, _ := Parse([]byte(v2Card))
	card.SetText("name", "Augusta")
	got := semantic(t, card.JSON()).(map[string]any)
	if got["name"] != "Augusta" || got["data"].(map[string]any)["name"] != "Augusta" {
		t.Fatalf("name not set in data and mirror: %v", got)
	}
	card3, _ := Parse([]byte(v3Card))
	card3.SetText("description", "new")
	if _, ok := semantic(t, card3.JSON()).(map[string]any)["description"]; ok {
		t.Fatal("a mirror field was added to a card that had none")
	}
}

// TestRealCards reads each real card, writes it to PNG, reads that again: the same card,
// and the same pixels.
func TestRealCards(t *testing.T) {
	t.Parallel()
	for _, file := range realCards(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			card, picture, err := ReadPNG(raw)
			if err != nil {
				t.Fatal(err)
			}
			original := cardText(t, raw, "chara")
			if got, want := semantic(t, card.JSON()), semantic(t, original); !reflect.DeepEqual(got, want) {
				t.Fatal("reading and writing the card changed it")
			}
			out, err := WritePNG(card, picture)
			if err != nil {
				t.Fatal(err)
			}
			again, _, err := ReadPNG(out)
			if err != nil {
				t.Fatal(err)
			}
			// The ccv3 chunk is read first: a V2 card comes back as the same card under V3.
			if got, want := semantic(t, again.JSON()), semantic(t, card.As(V3).JSON()); !reflect.DeepEqual(got, want) {
				t.Fatal("the card written to PNG reads back different")
			}
			if v2 := cardText(t, out, "chara"); semantic(t, v2).(map[string]any)["spec"] != string(V2) {
				t.Fatal("the chara chunk does not hold a V2 card")
			}
			samePixels(t, raw, out)
		})
	}
}

// cardText is the decoded text of a PNG's tEXt chunk.
func cardText(t *testing.T, b []byte, keyword string) []byte {
	t.Helper()
	cs, err := chunks(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if k, v, ok := textChunk(c); ok && k == keyword {
			out, err := base64.StdEncoding.DecodeString(string(v))
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatalf("no %s chunk", keyword)
	return nil
}

// samePixels decodes both PNGs and compares every pixel.
func samePixels(t *testing.T, a, b []byte) {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the written PNG does not decode: %v", err)
	}
	if ia.Bounds() != ib.Bounds() {
		t.Fatalf("bounds %v, want %v", ib.Bounds(), ia.Bounds())
	}
	for y := ia.Bounds().Min.Y; y < ia.Bounds().Max.Y; y++ {
		for x := ia.Bounds().Min.X; x < ia.Bounds().Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				t.Fatalf("pixel (%d, %d) changed", x, y)
			}
		}
	}
}

// TestNewCard is the card of a character that came from no card: valid for either spec,
// and a PNG made for it decodes.
func TestNewCard(t *testing.T) {
	t.Parallel()
	card := New(V3, "Cleo")
	card.SetEntries([]Entry{NewEntry(0, "Cleo fears the sea.")})
	back, err := Parse(card.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if back.Text("name") != "Cleo" || len(back.Entries) != 1 || back.Entries[0].Content != "Cleo fears the sea." {
		t.Fatalf("new card read back as %s", card.JSON())
	}
	out, err := WritePNG(card, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("the generated PNG does not decode: %v", err)
	}
	if _, _, err := ReadPNG(out); err != nil {
		t.Fatal(err)
	}
}

// FuzzRead: no input makes the readers panic, and whatever they accept writes back to a
// card they read again.
func FuzzRead(f *testing.F) {
	for _, s := range []string{v2Card, v3Card, `{"spec":"chara_card_v2","data":{"name":"x","character_book":{"entries":[{}]}}}`, `{}`, `[]`} {
		f.Add([]byte(s))
		f.Add(textPNG(f, [2]string{"chara", b64(s)}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var card *Card
		var err error
		if IsPNG(b) {
			card, _, err = ReadPNG(b)
		} else {
			card, err = Parse(b)
		}
		if err != nil {
			return
		}
		if _, err := Parse(card.JSON()); err != nil {
			t.Fatalf("a card read from %q does not read back: %v", b, err)
		}
	})
}
