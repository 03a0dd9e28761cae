package resolvers_test

import (
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

type character struct {
	ID, Name, Description, Backstory, SpeakingStyle, CurrentEmotion string
	Goals                                                           []string
	PersonalityTraits                                               struct {
		Openness, Conscientiousness, Extraversion, Agreeableness, Neuroticism float64
	}
	AutonomyLevel, SocialEnergy float64
	IsActive                    bool
	MemorySummary               string
	CurrentContext              map[string]any
	LastInteraction             *string
	Ecosystem                   struct{ Name string }
}

const characterFields = `id name description backstory speakingStyle currentEmotion goals
	personalityTraits { openness conscientiousness extraversion agreeableness neuroticism }
	autonomyLevel socialEnergy isActive memorySummary currentContext lastInteraction ecosystem { name }`

func TestCharacterLifecycle(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "austen")
	eco := c.CreateEcosystem(t, "Pemberley")

	var created struct{ CreateCharacter character }
	c.Must(t, `mutation($in: CreateCharacterInput!) { createCharacter(input: $in) { `+characterFields+` } }`,
		map[string]any{"in": map[string]any{
			"ecosystemId": eco, "name": "Fitzwilliam Darcy", "description": "Proud", "goals": []string{"win Elizabeth"},
			"personalityTraits": map[string]any{"openness": 0.4, "agreeableness": 0.2},
			"currentContext":    map[string]any{"location": "Pemberley"},
		}}, &created)
	d := created.CreateCharacter
	tr := d.PersonalityTraits
	if d.Name != "Fitzwilliam Darcy" || d.Description != "Proud" || d.Ecosystem.Name != "Pemberley" ||
		tr.Openness != 0.4 || tr.Agreeableness != 0.2 || tr.Extraversion != 0.5 ||
		d.AutonomyLevel != 0.5 || d.SocialEnergy != 1.0 || d.CurrentEmotion != "neutral" || !d.IsActive ||
		d.CurrentContext["location"] != "Pemberley" || len(d.Goals) != 1 || d.LastInteraction != nil {
		t.Fatalf("created %+v", d)
	}

	var updated struct{ UpdateCharacter character }
	c.Must(t, `mutation($id: ID!) { updateCharacter(id: $id, input: {
		personalityTraits: {neuroticism: 0.9}, currentEmotion: "jealous", isActive: false }) { `+characterFields+` } }`,
		map[string]any{"id": d.ID}, &updated)
	u := updated.UpdateCharacter
	if u.PersonalityTraits.Neuroticism != 0.9 || u.PersonalityTraits.Openness != 0.4 || u.Description != "Proud" ||
		u.CurrentEmotion != "jealous" || u.IsActive || u.CurrentContext["location"] != "Pemberley" {
		t.Fatalf("update lost or missed fields: %+v", u)
	}

	var del struct{ DeleteCharacter string }
	c.Must(t, `mutation($id: ID!) { deleteCharacter(id: $id) }`, map[string]any{"id": d.ID}, &del)
	if n := s.Count(t, "characters"); n != 0 {
		t.Fatalf("characters = %d after delete", n)
	}
}

func TestCharacterFilters(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "bronte")
	a := c.CreateEcosystem(t, "Thornfield")
	b := c.CreateEcosystem(t, "Wuthering Heights")
	c.CreateCharacter(t, a, "Jane Eyre")
	c.CreateCharacter(t, a, "Edward Rochester")
	c.CreateCharacter(t, b, "Heathcliff")
	c.CreateCharacter(t, b, "100% Catherine_Earnshaw")
	bertha := c.CreateCharacter(t, a, "Bertha Mason")
	c.Must(t, `mutation($id: ID!) { updateCharacter(id: $id, input: {isActive: false}) { id } }`, map[string]any{"id": bertha}, &struct{}{})

	tests := []struct {
		name   string
		filter map[string]any
		want   string
	}{
		{"all", nil, "Jane Eyre,Edward Rochester,Heathcliff,100% Catherine_Earnshaw,Bertha Mason"},
		{"one ecosystem", map[string]any{"ecosystemId": a}, "Jane Eyre,Edward Rochester,Bertha Mason"},
		{"active only", map[string]any{"ecosystemId": a, "isActive": true}, "Jane Eyre,Edward Rochester"},
		{"inactive only", map[string]any{"isActive": false}, "Bertha Mason"},
		{"search ignores case", map[string]any{"search": "heath"}, "Heathcliff"},
		{"search treats % literally", map[string]any{"search": "0%"}, "100% Catherine_Earnshaw"},
		{"search treats _ literally", map[string]any{"search": "e_e"}, "100% Catherine_Earnshaw"},
		{"search finds nothing", map[string]any{"search": "Darcy"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out struct {
				Characters struct {
					TotalCount int
					Nodes      []struct{ Name string }
				}
			}
			c.Must(t, `query($f: CharacterFilter) { characters(filter: $f) { totalCount nodes { name } } }`,
				map[string]any{"f": tc.filter}, &out)
			var names []string
			for _, n := range out.Characters.Nodes {
				names = append(names, n.Name)
			}
			if got := strings.Join(names, ","); got != tc.want || out.Characters.TotalCount != len(names) {
				t.Fatalf("got %q (total %d), want %q", got, out.Characters.TotalCount, tc.want)
			}
		})
	}
}

func TestCharacterBadInput(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "shelley")
	eco := c.CreateEcosystem(t, "Geneva")
	victor := c.CreateCharacter(t, eco, "Victor")
	const create = `mutation($in: CreateCharacterInput!) { createCharacter(input: $in) { id } }`
	const update = `mutation($id: ID!, $in: UpdateCharacterInput!) { updateCharacter(id: $id, input: $in) { id } }`
	with := func(extra map[string]any) map[string]any {
		in := map[string]any{"ecosystemId": eco, "name": "Creature"}
		for k, v := range extra {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	tests := []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"empty name", create, with(map[string]any{"name": ""}), "BAD_USER_INPUT", "input.name"},
		{"blank name", create, with(map[string]any{"name": "   "}), "BAD_USER_INPUT", "input.name"},
		{"256-character name", create, with(map[string]any{"name": strings.Repeat("x", 256)}), "BAD_USER_INPUT", "input.name"},
		{"openness above 1", create, with(map[string]any{"personalityTraits": map[string]any{"openness": 1.5}}), "BAD_USER_INPUT", "input.personalityTraits.openness"},
		{"neuroticism below 0", create, with(map[string]any{"personalityTraits": map[string]any{"neuroticism": -0.1}}), "BAD_USER_INPUT", "input.personalityTraits.neuroticism"},
		{"unknown trait", create, with(map[string]any{"personalityTraits": map[string]any{"charisma": 0.5}}), "GRAPHQL_VALIDATION_FAILED", ""},
		{"trait of the wrong type", create, with(map[string]any{"personalityTraits": map[string]any{"openness": "high"}}), "GRAPHQL_VALIDATION_FAILED", ""},
		{"autonomy above 1", create, with(map[string]any{"autonomyLevel": 2}), "BAD_USER_INPUT", "input.autonomyLevel"},
		{"social energy below 0", create, with(map[string]any{"socialEnergy": -1}), "BAD_USER_INPUT", "input.socialEnergy"},
		{"context not an object", create, with(map[string]any{"currentContext": []int{1, 2}}), "BAD_USER_INPUT", "input.currentContext"},
		{"too many goals", create, with(map[string]any{"goals": make([]string, 21)}), "BAD_USER_INPUT", "input.goals"},
		{"empty goal", create, with(map[string]any{"goals": []string{"live", ""}}), "BAD_USER_INPUT", "input.goals.1"},
		{"long emotion", create, with(map[string]any{"currentEmotion": strings.Repeat("a", 65)}), "BAD_USER_INPUT", "input.currentEmotion"},
		{"ecosystem id of another type", create, map[string]any{"in": map[string]any{"ecosystemId": victor, "name": "x"}}, "NOT_FOUND", ""},
		{"malformed ecosystem id", create, map[string]any{"in": map[string]any{"ecosystemId": "%%%", "name": "x"}}, "BAD_USER_INPUT", "input.ecosystemId"},
		{"update trait out of range", update, map[string]any{"id": victor, "in": map[string]any{"personalityTraits": map[string]any{"extraversion": 1.01}}}, "BAD_USER_INPUT", "input.personalityTraits.extraversion"},
		{"update with empty name", update, map[string]any{"id": victor, "in": map[string]any{"name": ""}}, "BAD_USER_INPUT", "input.name"},
		{"search too long", `query($s: String) { characters(filter: {search: $s}) { totalCount } }`, map[string]any{"s": strings.Repeat("s", 300)}, "BAD_USER_INPUT", "filter.search"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Do(t, tc.query, tc.vars)
			if code := r.Code(t); code != tc.code {
				t.Fatalf("code = %s, want %s: %+v", code, tc.code, r.Errors)
			}
			if tc.field != "" && r.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("field = %v, want %s", r.Errors[0].Extensions["field"], tc.field)
			}
			var n int
			var name string
			var extraversion float64
			if err := s.Pool.QueryRow(t.Context(), `SELECT count(*) OVER (), name, extraversion FROM characters`).Scan(&n, &name, &extraversion); err != nil {
				t.Fatal(err)
			}
			if n != 1 || name != "Victor" || extraversion != 0.5 {
				t.Fatalf("characters changed: %d rows, %q, extraversion %g", n, name, extraversion)
			}
		})
	}
}
