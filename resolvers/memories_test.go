package resolvers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/literaryai/ensemble/internal/testkit"
)

const addMemory = `mutation($c: ID!, $in: AddMemoryInput!) { addMemory(characterId: $c, input: $in) { id content type importance accessCount } }`

type memory struct {
	ID, Content, Type string
	Importance        float64
	AccessCount       int
}

func remember(t *testing.T, c *testkit.Client, character, content, typ string, importance any) memory {
	t.Helper()
	in := map[string]any{"content": content, "type": typ}
	if importance != nil {
		in["importance"] = importance
	}
	var out struct{ AddMemory memory }
	c.Must(t, addMemory, map[string]any{"c": character, "in": in}, &out)
	return out.AddMemory
}

type scored struct {
	Memory                                memory
	Score, Recency, Importance, Relevance float64
	Similarity                            float64
}

const recallQuery = `query($c: ID!, $q: String!, $k: Int, $w: RecallWeights) { recall(characterId: $c, query: $q, topK: $k, weights: $w) {
	memory { id content type importance accessCount } score recency importance relevance similarity } }`

func TestMemoryLifecycle(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "keeper")
	eco, ids := cast(t, c, "Elizabeth", "Darcy")
	lizzy := ids["Elizabeth"]

	given := remember(t, c, lizzy, "Mr Darcy refused to dance with me at the Meryton assembly.", "OBSERVATION", 0.7)
	scoredByText := remember(t, c, lizzy, "Jane loves Mr Bingley and he loves her; they will marry!", "FACT", nil)
	remember(t, c, lizzy, "I walked three miles through the mud to Netherfield to see Jane.", "OBSERVATION", 0.4)
	remember(t, c, ids["Darcy"], "Miss Elizabeth Bennet has fine eyes.", "OBSERVATION", 0.6)
	if given.Importance != 0.7 || given.Type != "OBSERVATION" {
		t.Fatalf("added %+v", given)
	}
	if scoredByText.Importance <= 0.4 || scoredByText.Importance > 1 {
		t.Fatalf("importance scored offline = %g, want above the FACT base (love, marry, !)", scoredByText.Importance)
	}

	var list struct {
		Character struct {
			Memories struct {
				TotalCount int
				Nodes      []memory
			}
		}
	}
	c.Must(t, `query($c: ID!) { character(id: $c) { memories(first: 2, filter: {types: [OBSERVATION]}) { totalCount nodes { content type } } } }`,
		map[string]any{"c": lizzy}, &list)
	if m := list.Character.Memories; m.TotalCount != 2 || len(m.Nodes) != 2 || !strings.Contains(m.Nodes[0].Content, "mud") {
		t.Fatalf("memories newest first = %+v", m)
	}

	var rec struct{ Recall []scored }
	c.Must(t, recallQuery, map[string]any{"c": lizzy, "q": "Why did Darcy refuse to dance?", "k": 2}, &rec)
	if len(rec.Recall) != 2 || rec.Recall[0].Memory.ID != given.ID {
		t.Fatalf("recall = %+v", rec.Recall)
	}
	for _, r := range rec.Recall {
		want := r.Recency + r.Importance + r.Relevance
		if d := r.Score - want; d > 1e-9 || d < -1e-9 || r.Relevance < 0 || r.Relevance > 1 {
			t.Fatalf("score %g is not the sum of its normalised parts (%g): %+v", r.Score, want, r)
		}
	}
	// Recall marked what it returned as accessed.
	var again struct{ Memory memory }
	c.Must(t, `query($id: ID!) { memory(id: $id) { id accessCount } }`, map[string]any{"id": given.ID}, &again)
	if again.Memory.AccessCount != 1 {
		t.Fatalf("access count after recall = %d", again.Memory.AccessCount)
	}

	var search struct{ SearchMemories []scored }
	c.Must(t, `query($e: ID!, $q: String!) { searchMemories(ecosystemId: $e, query: $q, topK: 3) { memory { content } similarity } }`,
		map[string]any{"e": eco, "q": "Elizabeth's fine eyes"}, &search)
	if len(search.SearchMemories) != 3 || !strings.Contains(search.SearchMemories[0].Memory.Content, "fine eyes") {
		t.Fatalf("search = %+v", search.SearchMemories)
	}

	var forgot struct{ ForgetMemory string }
	c.Must(t, `mutation($id: ID!) { forgetMemory(id: $id) }`, map[string]any{"id": given.ID}, &forgot)
	c.Must(t, recallQuery, map[string]any{"c": lizzy, "q": "Why did Darcy refuse to dance?", "k": 10}, &rec)
	for _, r := range rec.Recall {
		if r.Memory.ID == given.ID {
			t.Fatal("a forgotten memory was recalled")
		}
	}
}

func TestMemoryBadInput(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "careful")
	other, _ := s.Register(t, "stranger")
	_, ids := cast(t, c, "Anne", "Wentworth")
	_, theirs := cast(t, other, "Louisa")
	anne := ids["Anne"]
	remember(t, c, anne, "Eight years ago I was persuaded to break off the engagement.", "FACT", 0.9)
	const recall = `query($c: ID!, $k: Int, $w: RecallWeights) { recall(characterId: $c, query: "engagement", topK: $k, weights: $w) { score } }`
	add := func(in map[string]any) map[string]any { return map[string]any{"c": anne, "in": in} }
	tests := []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"empty content", addMemory, add(map[string]any{"content": "", "type": "FACT"}), "BAD_USER_INPUT", "input.content"},
		{"content over 10000 characters", addMemory, add(map[string]any{"content": strings.Repeat("a", 10001), "type": "FACT"}), "BAD_USER_INPUT", "input.content"},
		{"1 MB content", addMemory, add(map[string]any{"content": strings.Repeat("a", 1<<20), "type": "FACT"}), "PAYLOAD_TOO_LARGE", ""},
		{"importance above 1", addMemory, add(map[string]any{"content": "x", "type": "FACT", "importance": 1.5}), "BAD_USER_INPUT", "input.importance"},
		{"importance below 0", addMemory, add(map[string]any{"content": "x", "type": "FACT", "importance": -0.1}), "BAD_USER_INPUT", "input.importance"},
		{"unknown type", addMemory, add(map[string]any{"content": "x", "type": "DREAM"}), "GRAPHQL_VALIDATION_FAILED", ""},
		{"another user's character", addMemory, map[string]any{"c": theirs["Louisa"], "in": map[string]any{"content": "x", "type": "FACT"}}, "NOT_FOUND", ""},
		{"weights all zero", recall, map[string]any{"c": anne, "w": map[string]any{"recency": 0, "importance": 0, "relevance": 0}}, "BAD_USER_INPUT", "weights"},
		{"negative weight", recall, map[string]any{"c": anne, "w": map[string]any{"relevance": -1}}, "BAD_USER_INPUT", "weights.relevance"},
		{"topK 0", recall, map[string]any{"c": anne, "k": 0}, "BAD_USER_INPUT", "topK"},
		{"topK 10000", recall, map[string]any{"c": anne, "k": 10000}, "BAD_USER_INPUT", "topK"},
		{"recall another user's character", recall, map[string]any{"c": theirs["Louisa"]}, "NOT_FOUND", ""},
		{"empty query", `query($c: ID!) { recall(characterId: $c, query: "") { score } }`, map[string]any{"c": anne}, "BAD_USER_INPUT", "query"},
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
			if n := s.Count(t, "memories"); n != 1 {
				t.Fatalf("memories = %d", n)
			}
		})
	}
	// A character with no memories recalls nothing, without error.
	var empty struct{ Recall []scored }
	c.Must(t, recall, map[string]any{"c": ids["Wentworth"]}, &empty)
	if len(empty.Recall) != 0 {
		t.Fatalf("recall of an empty memory = %+v", empty.Recall)
	}
}

// fakeEmbeddings is an OpenAI-compatible embeddings endpoint that misbehaves on demand.
func fakeEmbeddings(t *testing.T, mode *atomic.Value) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Input []string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		dim := 8
		switch mode.Load().(string) {
		case "down":
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case "slow":
			time.Sleep(2 * time.Second)
		case "wrong dimension":
			dim = 5
		}
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		out := struct {
			Data []item `json:"data"`
		}{}
		for i := range req.Input {
			v := make([]float32, dim)
			v[i%dim] = 1
			out.Data = append(out.Data, item{Index: i, Embedding: v})
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEmbeddingsEndpointFailures: a remote embedder that is down, slow or wrong gives a
// clear error and stores nothing.
func TestEmbeddingsEndpointFailures(t *testing.T) {
	var mode atomic.Value
	mode.Store("ok")
	url := fakeEmbeddings(t, &mode)
	s := testkit.NewServer(t, "EMBEDDINGS_BASE_URL="+url, "EMBEDDINGS_MODEL=fake", "EMBEDDINGS_DIMENSION=8",
		"EMBEDDINGS_TIMEOUT=300ms", "EMBEDDINGS_MAX_RETRIES=1")
	c, _ := s.Register(t, "remote")
	_, ids := cast(t, c, "Emma")
	remember(t, c, ids["Emma"], "Mr Knightley scolded me at Box Hill.", "OBSERVATION", 0.8)
	for _, m := range []string{"down", "slow", "wrong dimension"} {
		t.Run(m, func(t *testing.T) {
			mode.Store(m)
			r := c.Do(t, addMemory, map[string]any{"c": ids["Emma"], "in": map[string]any{"content": "Harriet", "type": "FACT"}})
			if code := r.Code(t); code != "SERVICE_UNAVAILABLE" {
				t.Fatalf("code = %s: %+v", code, r.Errors)
			}
			if strings.Contains(r.Errors[0].Message, url) {
				t.Fatalf("the error shows the endpoint: %s", r.Errors[0].Message)
			}
			if n := s.Count(t, "memories"); n != 1 {
				t.Fatalf("memories = %d: something was half-stored", n)
			}
			r = c.Do(t, recallQuery, map[string]any{"c": ids["Emma"], "q": "Box Hill"})
			if code := r.Code(t); code != "SERVICE_UNAVAILABLE" {
				t.Fatalf("recall code = %s", code)
			}
		})
	}
}

func TestReflection(t *testing.T) {
	s := testkit.NewServer(t, "REFLECTION_THRESHOLD=2")
	c, _ := s.Register(t, "thinker")
	_, ids := cast(t, c, "Elizabeth")
	lizzy := ids["Elizabeth"]
	for _, m := range []string{
		"Mr Darcy's letter explained what Wickham had done.",
		"Wickham lied to me about Mr Darcy and the living.",
		"I was blind, partial, prejudiced, absurd about Darcy and Wickham.",
		"Charlotte accepted Mr Collins for his house.",
	} {
		remember(t, c, lizzy, m, "OBSERVATION", 0.6)
	}
	var out struct {
		Character struct {
			MemorySummary string
			Memories      struct {
				Nodes []struct {
					Content string
					Sources []struct{ Content string }
				}
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.Must(t, `query($c: ID!) { character(id: $c) { memorySummary memories(filter: {types: [REFLECTION]}) { nodes { content sources { content } } } } }`,
			map[string]any{"c": lizzy}, &out)
		// The reflection and the summary commit together, but one query reads the
		// character and its memories at two moments.
		if len(out.Character.Memories.Nodes) > 0 && out.Character.MemorySummary != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reflection appeared after the importance crossed the threshold")
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := out.Character.Memories.Nodes[0]
	if !strings.Contains(r.Content, "Elizabeth") || len(r.Sources) < 2 {
		t.Fatalf("reflection = %+v", r)
	}
	if out.Character.MemorySummary == "" {
		t.Fatal("memory summary not renewed")
	}
}

// TestRecallFindsSentencesOfANovel: one character remembers the opening chapters of a
// novel sentence by sentence; a few words of a known sentence find it in the top 3.
func TestRecallFindsSentencesOfANovel(t *testing.T) {
	raw, err := os.ReadFile("../../shared/data/novels/pride_and_prejudice.txt")
	if err != nil {
		t.Skipf("the novels under ../shared/data are absent (%v): skipping the retrieval quality test", err)
	}
	text := string(raw)
	if i := strings.Index(text, "It is a truth universally acknowledged"); i >= 0 {
		text = text[i:]
	}
	var sentences []string
	for _, sent := range regexp.MustCompile(`[^.!?]+[.!?]`).FindAllString(strings.Join(strings.Fields(text), " "), -1) {
		if sent = strings.TrimSpace(sent); len(strings.Fields(sent)) >= 8 {
			sentences = append(sentences, sent)
		}
		if len(sentences) == 400 {
			break
		}
	}
	s := testkit.NewServer(t, "REFLECTION_THRESHOLD=100000")
	c, _ := s.Register(t, "reader")
	_, ids := cast(t, c, "Narrator")
	var batch []map[string]any
	for _, sent := range sentences {
		batch = append(batch, map[string]any{"content": sent, "type": "OBSERVATION", "importance": 0.5})
	}
	var added struct{ AddMemories int }
	c.Must(t, `mutation($c: ID!, $in: [AddMemoryInput!]!) { addMemories(characterId: $c, input: $in) }`,
		map[string]any{"c": ids["Narrator"], "in": batch}, &added)
	if added.AddMemories != len(sentences) {
		t.Fatalf("added %d of %d", added.AddMemories, len(sentences))
	}
	found, tried := 0, 0
	for i := 0; i < len(sentences); i += 10 {
		// A reader remembers the telling words, not "it is a": the sentence's five
		// longest words, in their order.
		words := strings.FieldsFunc(sentences[i], func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
		longest := slices.Clone(words)
		slices.SortStableFunc(longest, func(a, b string) int { return len(b) - len(a) })
		keep := map[string]bool{}
		for _, w := range longest[:min(5, len(longest))] {
			keep[w] = true
		}
		var picked []string
		for _, w := range words {
			if keep[w] {
				picked = append(picked, w)
				delete(keep, w)
			}
		}
		query := strings.Join(picked, " ")
		var rec struct{ Recall []scored }
		c.Must(t, `query($c: ID!, $q: String!) { recall(characterId: $c, query: $q, topK: 3, weights: {recency: 0, importance: 0, relevance: 1}) {
			memory { content } } }`, map[string]any{"c": ids["Narrator"], "q": query}, &rec)
		tried++
		hit := false
		for _, r := range rec.Recall {
			if r.Memory.Content == sentences[i] {
				found++
				hit = true
				break
			}
		}
		if !hit {
			t.Logf("missed %q for %q: got %+v", sentences[i], query, rec.Recall)
		}
	}
	t.Logf("found %d of %d sentences in the top 3 from their five longest words", found, tried)
	if found != tried {
		t.Fatalf("found %d of %d sentences in the top 3", found, tried)
	}
}
