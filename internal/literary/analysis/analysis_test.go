package analysis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// story is a small synthetic text exercising titles, nicknames, speech tags
// of every kind and a two-person exchange without tags.
const story = `CHAPTER I.

Mr. Arthur Pendleton was a tall, grave man of fifty, and Mrs. Pendleton was his cheerful wife. Their daughter, Miss Eleanor Pendleton, was the pride of the village.

“My dear Mr. Pendleton,” said his wife one morning, “have you heard that Mr. Crawley has come back?”

“I have not,” replied he.

“He came yesterday. Nell saw him at church.”

Eleanor looked up from her book. “I did, mamma. He was very civil.”

“Civil!” cried Mr. Pendleton. “He is never civil to anybody.”

“You are unjust, papa,” said Eleanor.

CHAPTER II.

Mr. Crawley called at noon. Eleanor was alone in the garden when he came up to her.

“Good morning, Miss Pendleton,” said Mr. Crawley.

“Good morning, sir.”

“Your father does not like me, I think.”

“My father likes very few people.”

“And you?”

“I like a great many, Mr. Crawley.”

Mr. Crawley laughed. Eleanor laughed too, and Nell—as her mother called her—walked with him to the gate. Arthur Pendleton watched them from the window; Arthur Pendleton did not smile.

“Nell is too kind to him,” said Mrs. Pendleton.
`

func analyzeStory(t *testing.T) *Result {
	t.Helper()
	res, err := Analyze(context.Background(), story, Options{MinMentions: 2})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return res
}

func findChar(res *Result, name string) *Character {
	for i := range res.Characters {
		c := &res.Characters[i]
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

func TestCharactersAndAliases(t *testing.T) {
	res := analyzeStory(t)
	eleanor := findChar(res, "Eleanor")
	if eleanor == nil {
		t.Fatalf("Eleanor not found; characters: %+v", res.Characters)
	}
	for _, alias := range []string{"Nell", "Miss Pendleton"} {
		if c := findChar(res, alias); c == nil || c.ID != eleanor.ID {
			t.Errorf("%q should be an alias of %q (got %+v)", alias, eleanor.Name, c)
		}
	}
	if eleanor.Gender != "female" {
		t.Errorf("Eleanor gender = %q, want female", eleanor.Gender)
	}
	father := findChar(res, "Mr. Pendleton")
	mother := findChar(res, "Mrs. Pendleton")
	if father == nil || mother == nil || father.ID == mother.ID {
		t.Fatalf("Mr. and Mrs. Pendleton must be two characters: %+v / %+v", father, mother)
	}
	if c := findChar(res, "Arthur Pendleton"); c == nil || c.ID != father.ID {
		t.Errorf("Arthur Pendleton should be Mr. Pendleton")
	}
	if father.Gender != "male" || mother.Gender != "female" {
		t.Errorf("genders: father %q, mother %q", father.Gender, mother.Gender)
	}
	for i := 1; i < len(res.Characters); i++ {
		if res.Characters[i-1].Mentions < res.Characters[i].Mentions {
			t.Errorf("characters not sorted by mentions: %d < %d", res.Characters[i-1].Mentions, res.Characters[i].Mentions)
		}
	}
	if eleanor.Description == "" || !strings.Contains(eleanor.Description, "Eleanor") {
		t.Errorf("Eleanor description = %q", eleanor.Description)
	}
}

func TestQuoteAttribution(t *testing.T) {
	res := analyzeStory(t)
	want := map[string]string{
		"My dear Mr. Pendleton,":                 "Mrs. Pendleton",
		"I have not,":                            "Mr. Pendleton",
		"Civil!":                                 "Mr. Pendleton",
		"You are unjust, papa,":                  "Eleanor",
		"I did, mamma. He was very civil.":       "Eleanor",
		"Good morning, Miss Pendleton,":          "Mr. Crawley",
		"Good morning, sir.":                     "Eleanor",
		"Your father does not like me, I think.": "Mr. Crawley",
		"My father likes very few people.":       "Eleanor",
		"I like a great many, Mr. Crawley.":      "Eleanor",
		"Nell is too kind to him,":               "Mrs. Pendleton",
	}
	got := map[string]string{}
	for _, q := range res.Quotes {
		if q.SpeakerID >= 0 {
			got[q.Text] = res.Characters[q.SpeakerID].Name
		}
	}
	for text, name := range want {
		c := findChar(res, name)
		if c == nil {
			t.Errorf("character %q missing", name)
			continue
		}
		if got[text] != c.Name {
			t.Errorf("quote %q: speaker %q, want %q", text, got[text], c.Name)
		}
	}
	// The turn addressing Mr. Crawley by name is spoken to him.
	for _, q := range res.Quotes {
		if q.Text == "I like a great many, Mr. Crawley." {
			if q.AddresseeID < 0 || res.Characters[q.AddresseeID].Name != findChar(res, "Mr. Crawley").Name {
				t.Errorf("addressee of %q = %d", q.Text, q.AddresseeID)
			}
		}
	}
}

func TestSpansAreRuneOffsets(t *testing.T) {
	// Multi-byte text before the quotes shifts byte offsets away from rune
	// offsets; spans must index runes.
	text := "Éléonore—naïve, café-loving—smiled.\n\n“Ça va?” asked Éléonore.\n\n“Très bien,” said Hélène.\n\nÉléonore and Hélène walked on. Éléonore laughed; Hélène did not.\n"
	res, err := Analyze(context.Background(), text, Options{MinMentions: 2})
	if err != nil {
		t.Fatal(err)
	}
	runes := []rune(text)
	if len(res.Quotes) != 2 {
		t.Fatalf("got %d quotes, want 2: %+v", len(res.Quotes), res.Quotes)
	}
	for _, q := range res.Quotes {
		if got := string(runes[q.Span.Start:q.Span.End]); got != q.Text {
			t.Errorf("span %v gives %q, want %q", q.Span, got, q.Text)
		}
	}
	for _, c := range res.Characters {
		for _, sp := range c.MentionSpans {
			if got := string(runes[sp.Start:sp.End]); got != c.Name && !contains(c.Aliases, got) {
				t.Errorf("mention span %v of %s reads %q", sp, c.Name, got)
			}
		}
	}
	if c := findChar(res, "Hélène"); c == nil || res.Quotes[1].SpeakerID != c.ID {
		t.Errorf("second quote should be Hélène's: %+v", res.Quotes[1])
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestSingleQuoteDialogue(t *testing.T) {
	text := "Alice sat by the river with her sister.\n\n‘What is the use of a book,’ thought Alice, ‘without pictures?’\n\n‘The girls’ books have pictures,’ said Martha. ‘I don’t know why yours do not.’\n\n‘Because it is a serious book,’ said Alice.\n"
	res, err := Analyze(context.Background(), text, Options{MinMentions: 1})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, q := range res.Quotes {
		texts = append(texts, q.Text)
	}
	want := []string{"What is the use of a book,", "without pictures?", "The girls’ books have pictures,", "I don’t know why yours do not.", "Because it is a serious book,"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("quotes = %q\nwant     %q", texts, want)
	}
}

func TestMultiParagraphQuote(t *testing.T) {
	text := "Holmes leaned back.\n\n\"It was a dark night,\" said Holmes, \"and the road was empty.\n\n\"Then I heard the carriage. Watson, you must imagine it.\"\n\n\"I can,\" said Watson.\n"
	res, err := Analyze(context.Background(), text, Options{MinMentions: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Quotes) != 4 {
		t.Fatalf("got %d quotes: %+v", len(res.Quotes), res.Quotes)
	}
	holmes := findChar(res, "Holmes")
	if holmes == nil {
		t.Fatal("Holmes not found")
	}
	for _, q := range res.Quotes[:3] {
		if q.SpeakerID != holmes.ID {
			t.Errorf("%q should continue Holmes's speech, got speaker %d", q.Text, q.SpeakerID)
		}
	}
}

func TestStats(t *testing.T) {
	res := analyzeStory(t)
	st := res.Stats
	if st.Chapters != 2 {
		t.Errorf("chapters = %d, want 2", st.Chapters)
	}
	if st.Words < 170 || st.Words > 190 {
		t.Errorf("words = %d", st.Words)
	}
	if st.Paragraphs < 18 {
		t.Errorf("paragraphs = %d", st.Paragraphs)
	}
	if st.DialogueShare <= 0.2 || st.DialogueShare >= 0.8 {
		t.Errorf("dialogue share = %.2f", st.DialogueShare)
	}
	if want := float64(st.Words) / 238; st.ReadingMinutes != want {
		t.Errorf("reading minutes = %v, want %v", st.ReadingMinutes, want)
	}
	res2, err := Analyze(context.Background(), story, Options{ChapterStarts: []int{0, 100, 200, 200, -5, 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Stats.Chapters != 3 {
		t.Errorf("chapters from ChapterStarts = %d, want 3", res2.Stats.Chapters)
	}
}

func TestChapterHeadings(t *testing.T) {
	body := strings.Repeat("Some sentence of the story goes here. ", 40)
	text := "Contents\n\n CHAPTER I. Beginnings\n CHAPTER II. Endings\n\nCHAPTER I.\n\n" + body + "\n\nCHAPTER II.\n\n" + body + "\n\nIII. THE LAST PART\n\n" + body
	if got := countChapters(text); got != 3 {
		t.Errorf("countChapters = %d, want 3 (table of contents ignored)", got)
	}
}

func TestRelationships(t *testing.T) {
	res := analyzeStory(t)
	if len(res.Relationships) == 0 {
		t.Fatal("no relationships")
	}
	father, mother := findChar(res, "Mr. Pendleton"), findChar(res, "Mrs. Pendleton")
	found := false
	for i, r := range res.Relationships {
		if r.A >= r.B {
			t.Errorf("relationship %d: A=%d >= B=%d", i, r.A, r.B)
		}
		if i > 0 && r.Weight > res.Relationships[i-1].Weight {
			t.Errorf("relationships not sorted by weight")
		}
		if r.Weight <= 0 || r.Weight > 1 || len(r.Evidence) == 0 || len(r.Evidence) > 5 {
			t.Errorf("relationship %+v out of range", r)
		}
		if (r.A == father.ID && r.B == mother.ID) || (r.A == mother.ID && r.B == father.ID) {
			found = true
			// A Mr. and a Mrs. of one name are a married couple.
			if r.Type != "romance" || r.Kind != "married" {
				t.Errorf("Mr. and Mrs. Pendleton: type %q (%q), want romance (married)", r.Type, r.Kind)
			}
		}
	}
	if !found {
		t.Errorf("no relationship between Mr. and Mrs. Pendleton")
	}
}

func TestErrors(t *testing.T) {
	if _, err := Analyze(context.Background(), "", Options{}); !errors.Is(err, ErrEmptyText) {
		t.Errorf("empty text: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, story, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestNoDialogue(t *testing.T) {
	res, err := Analyze(context.Background(), "It rained. Nobody came. The end.", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Quotes) != 0 || len(res.Characters) != 0 || res.Stats.Sentences != 3 {
		t.Errorf("unexpected result %+v", res)
	}
}

// FuzzAnalyze checks that no input makes Analyze panic or return spans
// outside the text.
func FuzzAnalyze(f *testing.F) {
	for _, seed := range []string{story, "“Hi,” said Mr.", "\"\n\n\"", "‘a’ ‘", "Mr. and Mrs.", ":\n\n“x”", "I. A\n\nCHAPTER", "Miss de", "“Lizzy!” cried she; “Jane, my dear—”"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		type out struct {
			res *Result
			err error
		}
		done := make(chan out, 1)
		go func() {
			res, err := Analyze(context.Background(), text, Options{MinMentions: 1})
			done <- out{res, err}
		}()
		var o out
		select {
		case o = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Analyze took over 5 s on %d bytes", len(text))
		}
		res, err := o.res, o.err
		if err != nil {
			return
		}
		n := len([]rune(text))
		for _, q := range res.Quotes {
			if q.Span.Start < 0 || q.Span.End > n || q.Span.Start > q.Span.End {
				t.Fatalf("quote span %v outside text of %d runes", q.Span, n)
			}
		}
		for _, c := range res.Characters {
			for _, sp := range c.MentionSpans {
				if sp.Start < 0 || sp.End > n || sp.Start >= sp.End {
					t.Fatalf("mention span %v outside text of %d runes", sp, n)
				}
			}
		}
	})
}

// TestFamiliarNames checks that a familiar name used in a full name ("Bill
// Sikes") owns the bare "Bill" although the formal "William Sikes" occurs
// too, and that a diminutive's gender ("Minnie") keeps "Mr. Beebe" off a
// woman who shares his surname.
func TestFamiliarNames(t *testing.T) {
	const text = `Bill Sikes came in with his dog. The court called him William Sikes. Bill sat down by the fire, and Bill Sikes swore at the boy.

“Well,” said Bill, “where is the old man?”

Mr. Beebe met his niece Minnie Beebe at the gate. Minnie Beebe laughed, and Mr. Beebe laughed with her.

“Come along,” said Mr. Beebe.
`
	res, err := Analyze(context.Background(), text, Options{MinMentions: 2})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if bill, sikes := findChar(res, "Bill"), findChar(res, "Bill Sikes"); bill == nil || bill != sikes {
		t.Errorf("Bill and Bill Sikes are not one character: %+v", res.Characters)
	}
	if beebe, minnie := findChar(res, "Mr. Beebe"), findChar(res, "Minnie Beebe"); beebe == nil || beebe == minnie {
		t.Errorf("Mr. Beebe is not a character of his own: %+v", res.Characters)
	}
}

// TestFirstPersonNarrator checks that a narrator's "said I" lines and their
// untagged turns go to the character the others address ("my dear
// Hastings"), and that an unnamed narrator is added to the cast.
func TestFirstPersonNarrator(t *testing.T) {
	const named = `I had not seen Poirot for a month when I called on him. I found him at his desk, and I sat down.

“You look tired, my dear Hastings,” said Poirot.

“I have walked from the station,” said I.

“From the station? Then you came by the early train.”

“How do you know that?”

“Because your boots are dry, Hastings. It rained until nine.”

I laughed. “You are impossible, Poirot.”

Poirot smiled. I told him my news, and I watched him as I spoke.

“Hastings, you are a good friend,” he said at last.

“I try to be,” I answered.
`
	res, err := Analyze(context.Background(), named, Options{MinMentions: 2})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	hastings := findChar(res, "Hastings")
	if hastings == nil {
		t.Fatalf("Hastings not found; characters: %+v", res.Characters)
	}
	for _, q := range res.Quotes {
		switch q.Text {
		case "I have walked from the station,", "How do you know that?", "You are impossible, Poirot.", "I try to be,":
			if q.SpeakerID != hastings.ID {
				t.Errorf("quote %q: speaker %d (%s), want Hastings (%d)", q.Text, q.SpeakerID, q.Method, hastings.ID)
			}
		}
	}

	const unnamed = `I was walking home when I met Mr. Grey. He stopped me at the gate, and I waited.

“Good evening,” said Mr. Grey.

“Good evening,” said I. “You are out late.”

“I am always out late.”

Mr. Grey tipped his hat and went on, and I went in.
`
	res, err = Analyze(context.Background(), unnamed, Options{MinMentions: 2})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	narrator := findChar(res, narratorName)
	if narrator == nil || narrator.Mentions < 3 {
		t.Fatalf("no narrator with mentions in the cast: %+v", res.Characters)
	}
	if narrator.ID != 0 || narrator.Gender != "" {
		t.Errorf("narrator %+v: want the most mentioned (id 0) and no gender", narrator)
	}
	for _, q := range res.Quotes {
		if q.Text == "Good evening," && q.Method == "narrator" && q.SpeakerID != narrator.ID {
			t.Errorf("narrator's line %q: speaker %d, want %d", q.Text, q.SpeakerID, narrator.ID)
		}
	}

	// Answered "sir", the unnamed narrator is a man.
	const sir = `I was walking home when I met Mr. Grey. He stopped me at the gate, and I waited.

“It is late,” said I.

“Late indeed, sir,” said Mr. Grey.

“Will it rain?” said I.

“I think not, sir.”

Mr. Grey tipped his hat and went on, and I went in.
`
	res, err = Analyze(context.Background(), sir, Options{MinMentions: 2})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if narrator := findChar(res, narratorName); narrator == nil || narrator.Gender != "male" {
		t.Errorf("narrator answered \"sir\": %+v, want male", narrator)
	}
}

// TestDescriptionEndsWithItsSentence: the opening quotation mark of the next
// line of dialogue is not part of the sentence that introduces someone.
func TestDescriptionEndsWithItsSentence(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"curly", "Lestrade looked startled. “I never did,” said Lestrade. “Nor I,” said Holmes to Lestrade.\n",
			"Lestrade looked startled."},
		{"straight", "Hall very sociably pulled up. \"Evening,\" said Hall. \"Good evening,\" said Mrs. Hall to Hall.\n",
			"Hall very sociably pulled up."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), tc.text, Options{MinMentions: 2})
			if err != nil {
				t.Fatal(err)
			}
			c := findChar(res, strings.Fields(tc.want)[0])
			if c == nil {
				t.Fatalf("no %s in %v", strings.Fields(tc.want)[0], castNames(res))
			}
			if c.Description != tc.want {
				t.Errorf("description = %q, want %q", c.Description, tc.want)
			}
		})
	}
}
