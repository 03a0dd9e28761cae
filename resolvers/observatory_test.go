package resolvers_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

const observatoryFields = `activeCharacters relationships ongoingConversations storyThreads energyLevel
	mood { dominant distribution { emotion count share } }
	activePairs { a { name } b { name } mutual activity type strengthChange }
	feed { turn content senderCharacter { name } emotion relationshipChanges { from { name } to { name } delta { strength } } }`

type observatoryOut struct {
	ActiveCharacters, Relationships, OngoingConversations, StoryThreads int
	EnergyLevel                                                         float64
	Mood                                                                struct {
		Dominant     string
		Distribution []struct {
			Emotion string
			Count   int
			Share   float64
		}
	}
	ActivePairs []struct {
		A, B           struct{ Name string }
		Mutual         bool
		Activity, Type string
		StrengthChange float64
	}
	Feed []struct {
		Turn                int
		Content             string
		SenderCharacter     struct{ Name string }
		Emotion             string
		RelationshipChanges []struct{ From, To struct{ Name string } }
	}
}

func TestObservatoryMatchesTheDatabase(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, session := srv.Register(t, "watcher")
	s := newStage(t, c, "Garden")
	done := s.run(t, map[string]any{"seed": 9, "maxTurns": 12})
	s.waitFor(t, done, 60*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	s.run(t, map[string]any{"paceMs": 600000}) // a running scene that waits for its first turn
	c.Must(t, `mutation($ch: ID!) { chat(characterId: $ch, content: "Good morning") { reply { id } } }`,
		map[string]any{"ch": s.ids["Alice"]}, &struct{}{})
	c.Must(t, `mutation($ch: ID!) { updateCharacter(id: $ch, input: {isActive: false}) { id } }`, map[string]any{"ch": s.ids["Charlie"]}, &struct{}{})

	var out struct{ Observatory observatoryOut }
	c.Must(t, `query($e: ID!) { observatory(ecosystemId: $e) { `+observatoryFields+` } }`, map[string]any{"e": s.ecosystem}, &out)
	o := out.Observatory
	eco := uuidOf(t, s.ecosystem)
	var want struct {
		active, rels, ongoing, threads int
		energy                         float64
	}
	if err := srv.Pool.QueryRow(t.Context(), `SELECT
		(SELECT count(*) FROM characters WHERE ecosystem_id = $1::uuid AND is_active),
		(SELECT count(*) FROM relationships WHERE ecosystem_id = $1::uuid),
		(SELECT count(*) FROM conversations WHERE ecosystem_id = $1::uuid AND status = 'ACTIVE'),
		(SELECT count(*) FROM conversations c JOIN scenes s ON s.conversation_id = c.id WHERE c.ecosystem_id = $1::uuid AND c.status = 'ACTIVE'),
		(SELECT avg(social_energy) FROM characters WHERE ecosystem_id = $1::uuid AND is_active)`, eco).
		Scan(&want.active, &want.rels, &want.ongoing, &want.threads, &want.energy); err != nil {
		t.Fatal(err)
	}
	if o.ActiveCharacters != want.active || o.Relationships != want.rels || o.OngoingConversations != want.ongoing ||
		o.StoryThreads != want.threads || math.Abs(o.EnergyLevel-want.energy) > 0.001 {
		t.Fatalf("observatory %+v, database %+v", o, want)
	}
	if want.active != 3 || want.ongoing != 2 || want.threads != 1 || want.rels < 4 {
		t.Fatalf("the stage is not what the test meant: %+v", want)
	}
	rows, err := srv.Pool.Query(t.Context(), `SELECT current_emotion, count(*) FROM characters WHERE ecosystem_id = $1::uuid AND is_active
		GROUP BY current_emotion ORDER BY count(*) DESC, current_emotion`, eco)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for rows.Next() {
		var e string
		var n int
		if err := rows.Scan(&e, &n); err != nil {
			t.Fatal(err)
		}
		if i >= len(o.Mood.Distribution) || o.Mood.Distribution[i].Emotion != e || o.Mood.Distribution[i].Count != n {
			t.Fatalf("mood %+v; the database has %s %d at %d", o.Mood, e, n, i)
		}
		i++
	}
	rows.Close()
	if i != len(o.Mood.Distribution) || o.Mood.Dominant != o.Mood.Distribution[0].Emotion {
		t.Fatalf("mood %+v", o.Mood)
	}
	if len(o.ActivePairs) == 0 || len(o.Feed) != 12 || o.Feed[0].Turn != 12 || len(o.Feed[0].RelationshipChanges) == 0 {
		t.Fatalf("pairs %+v, feed of %d", o.ActivePairs, len(o.Feed))
	}
	labels := map[string]bool{"arguing": true, "quarrelling": true, "falling out": true, "drifting apart": true, "reconciling": true,
		"courting": true, "allied": true, "bonding": true, "mentoring": true, "getting acquainted": true}
	for _, p := range o.ActivePairs {
		if !labels[p.Activity] || p.A.Name == p.B.Name {
			t.Fatalf("pair %+v", p)
		}
		if (p.A.Name == "Bob" || p.A.Name == "Diana") && (p.B.Name == "Bob" || p.B.Name == "Diana") && p.StrengthChange < 0 && p.Activity != "arguing" {
			t.Fatalf("enemies whose bond fell: %+v", p)
		}
	}

	// The subscription sends the state at once, then again when something changes.
	ws := srv.Live(t, session.AccessToken)
	ws.Subscribe("obs", `subscription($e: ID!) { observatory(ecosystemId: $e) { activeCharacters mood { dominant } } }`, map[string]any{"e": s.ecosystem})
	read := func() (int, string) {
		for {
			m := ws.Read(20 * time.Second)
			if m.ID != "obs" || m.Type != "next" {
				t.Fatalf("observatory: %s %s", m.Type, m.Payload)
			}
			var p struct {
				Data struct {
					Observatory struct {
						ActiveCharacters int
						Mood             struct{ Dominant string }
					}
				}
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			return p.Data.Observatory.ActiveCharacters, p.Data.Observatory.Mood.Dominant
		}
	}
	if n, _ := read(); n != 3 {
		t.Fatalf("first state: %d active", n)
	}
	c.Must(t, `mutation($ch: ID!) { updateCharacter(id: $ch, input: {isActive: true}) { id } }`, map[string]any{"ch": s.ids["Charlie"]}, &struct{}{})
	if n, _ := read(); n != 4 {
		t.Fatalf("after Charlie came back: %d active", n)
	}
	other, _ := srv.Register(t, "stranger")
	if code := other.Do(t, `query($e: ID!) { observatory(ecosystemId: $e) { activeCharacters } }`, map[string]any{"e": s.ecosystem}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("another user's observatory: %s", code)
	}
}
