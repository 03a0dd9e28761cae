package resolvers_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/literaryai/ensemble/internal/testkit"
)

// TestBookCastSpeaksInItsOwnVoice makes a cast from Pride and Prejudice and runs a scene
// offline: the characters speak their own lines from the book, adapted to whom they
// speak to, rather than filling fixed sentences.
func TestBookCastSpeaksInItsOwnVoice(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, sess := srv.Register(t, "reader")
	doc := upload(t, c, "pride_and_prejudice.txt", readNovel(t, "pride_and_prejudice.txt"))
	analyse(t, srv, c, sess.AccessToken, doc)
	lines := bookScene(t, c, doc, "Longbourn")
	grounded := 0
	for _, l := range lines {
		if l.Turn == nil {
			continue
		}
		if l.Metadata["bookVoice"] != true {
			t.Errorf("turn %d: %s did not speak from the book", *l.Turn, l.SenderCharacter.Name)
		}
		// A run of six words of the line is one of the speaker's own lines in the book.
		rows, err := srv.Pool.Query(t.Context(), `SELECT content FROM memories WHERE character_id = $1::uuid
			AND type = 'DIALOGUE' AND source_document_id IS NOT NULL`, uuidOf(t, l.SenderCharacter.ID))
		if err != nil {
			t.Fatal(err)
		}
		var book strings.Builder
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				t.Fatal(err)
			}
			book.WriteString(strings.Join(wordsOf(m), " ") + "\n")
		}
		rows.Close()
		words := wordsOf(l.Content)
		for i := 0; i+6 <= len(words); i++ {
			if strings.Contains(book.String(), strings.Join(words[i:i+6], " ")) {
				grounded++
				break
			}
		}
		t.Logf("%2d %-18s %s", *l.Turn, l.SenderCharacter.Name, l.Content)
	}
	if grounded < 9 {
		t.Fatalf("%d of 12 lines come from their speaker's own lines in the book", grounded)
	}
	// The same book cast again and the same seed play the same scene.
	again := bookScene(t, c, doc, "Netherfield")
	for i := range lines {
		if i >= len(again) || again[i].Content != lines[i].Content {
			t.Fatalf("a second cast of the book with the same seed plays another scene from line %d", i)
		}
	}
}

// bookScene casts four characters of the book doc into a new ecosystem and plays a
// twelve-turn scene of them offline with seed 2, returning its messages.
func bookScene(t *testing.T, c *testkit.Client, doc, ecosystem string) []sceneLine {
	t.Helper()
	eco := c.CreateEcosystem(t, ecosystem)
	var cast struct {
		CreateCastFromDocument struct {
			Characters []struct{ ID, Name string }
		}
	}
	c.Must(t, `mutation($d: ID!, $e: ID!) { createCastFromDocument(documentId: $d, ecosystemId: $e, options: {maxCharacters: 4}) {
		characters { id name } } }`, map[string]any{"d": doc, "e": eco}, &cast)
	var roles []map[string]any
	for _, ch := range cast.CreateCastFromDocument.Characters {
		roles = append(roles, map[string]any{"characterId": ch.ID})
	}
	var sc struct{ CreateScenario struct{ ID string } }
	c.Must(t, `mutation($in: CreateScenarioInput!) { createScenario(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"ecosystemId": eco, "title": "An evening at Netherfield", "setting": "The drawing room at Netherfield",
		"premise": "Mr. Darcy has just refused to dance.", "maxTurns": 12, "paceMs": 0, "cast": roles}}, &sc)
	s := &stage{client: c, ecosystem: eco, scenario: sc.CreateScenario.ID}
	conv := s.run(t, map[string]any{"seed": 2})
	s.waitFor(t, conv, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	return s.lines(t, conv)
}

// wordsOf is text's words in lower case without punctuation: a memory quotes a line
// inside quotation marks and a scene's line may end where the book's went on with a comma.
func wordsOf(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' })
}
