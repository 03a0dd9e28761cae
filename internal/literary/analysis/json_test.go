package analysis

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestResultJSON: a result reads back in camelCase keys, the API's spelling, as the JSON
// export shows it; and a result stored with Go's field names still reads the same.
func TestResultJSON(t *testing.T) {
	want := Result{
		Stats:      Stats{Words: 10, Sentences: 2, Paragraphs: 1, Chapters: 1, ReadingMinutes: 0.5, DialogueShare: 0.25},
		Characters: []Character{{ID: 1, Name: "Elizabeth Bennet", Aliases: []string{"Lizzy"}, Mentions: 3, FirstMention: Span{Start: 4, End: 13}, Gender: "female", Quotes: 1, MentionSpans: []Span{{Start: 4, End: 13}}}},
		Quotes:     []Quote{{Span: Span{Start: 20, End: 30}, Text: "Yes", SpeakerID: 1, AddresseeID: -1, Confidence: 0.9, Method: "explicit"}},
		Relationships: []Relationship{{A: 0, B: 1, Weight: 1, CoOccurrences: 2, Conversations: 1, Type: "family",
			Evidence: []Span{{Start: 0, End: 5}}}},
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		present string
		absent  string
	}{
		{"top level", `"characters":`, `"Characters":`},
		{"statistics", `"readingMinutes":`, `"ReadingMinutes":`},
		{"first mention", `"firstMention":{"start":4,"end":13}`, `"FirstMention":`},
		{"speaker", `"speakerId":1`, `"SpeakerID":`},
		{"addressee", `"addresseeId":-1`, `"AddresseeID":`},
		{"relationship ends", `"a":0,"b":1`, `"A":`},
		{"co-occurrences", `"coOccurrences":2`, `"CoOccurrences":`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(b), tc.present) || strings.Contains(string(b), tc.absent) {
				t.Fatalf("want %s and no %s in %s", tc.present, tc.absent, b)
			}
		})
	}
	t.Run("stored with Go field names", func(t *testing.T) {
		type goSpan struct{ Start, End int }
		old, err := json.Marshal(map[string]any{
			"Stats": map[string]any{"Words": 10, "Sentences": 2, "Paragraphs": 1, "Chapters": 1, "ReadingMinutes": 0.5, "DialogueShare": 0.25},
			"Characters": []map[string]any{{"ID": 1, "Name": "Elizabeth Bennet", "Aliases": []string{"Lizzy"}, "Mentions": 3,
				"FirstMention": goSpan{4, 13}, "Gender": "female", "Description": "", "DescriptionSpan": goSpan{}, "Quotes": 1,
				"MentionSpans": []goSpan{{4, 13}}}},
			"Quotes": []map[string]any{{"Span": goSpan{20, 30}, "Text": "Yes", "SpeakerID": 1, "AddresseeID": -1, "Confidence": 0.9, "Method": "explicit"}},
			"Relationships": []map[string]any{{"A": 0, "B": 1, "Weight": 1, "CoOccurrences": 2, "Conversations": 1, "Type": "family",
				"Evidence": []goSpan{{0, 5}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got Result
		if err := json.Unmarshal(old, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
		}
	})
}
