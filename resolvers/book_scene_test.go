package resolvers_test

import (
	"strings"
	"testing"
	"time"

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
	eco := c.CreateEcosystem(t, "Longbourn")
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

	grounded := 0
	lines := s.lines(t, conv)
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
			book.WriteString(strings.ToLower(strings.Join(strings.Fields(m), " ")) + "\n")
		}
		rows.Close()
		words := strings.Fields(strings.ToLower(l.Content))
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
}
