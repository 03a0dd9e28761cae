package resolvers_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

const novels = "../../shared/data/novels/"

func readNovel(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(novels + name)
	if err != nil {
		t.Fatalf("the public-domain novels are expected in ../shared/data/novels: %v", err)
	}
	return b
}

type analysed struct {
	ID             string
	Title          string
	Author         string
	AnalysisStatus string
	AnalysisError  *string
	Chapters       []struct{ Title string }
	Analysis       *struct {
		Stats struct {
			Words, Chapters int
			DialogueShare   float64
		}
		Characters []struct {
			ID       int
			Name     string
			Aliases  []string
			Mentions int
			Gender   *string
			Quotes   int `json:"quoteCount"`
		}
		Relationships []struct {
			A, B         struct{ Name string }
			Type         string
			Kind, Reason *string
			Confidence   float64
			Evidence     []struct{ Start, End int }
		}
		Quotes struct {
			TotalCount int
			Quotes     []struct {
				Text    string
				Span    struct{ Start, End int }
				Speaker *struct{ Name string }
			}
		}
	}
}

const analysedQuery = `query($id: ID!, $speaker: Int) { document(id: $id) { id title author analysisStatus analysisError chapters { title }
	analysis { stats { words chapters dialogueShare }
		characters { id name aliases mentions gender quoteCount }
		relationships { a { name } b { name } type kind confidence reason evidence { start end } }
		quotes(speakerId: $speaker, first: 5) { totalCount quotes { text span { start end } speaker { name } } } } } }`

// upload sends a file and returns the document's id.
func upload(t *testing.T, c *testkit.Client, name string, content []byte) string {
	t.Helper()
	var out struct{ UploadDocument struct{ ID string } }
	c.Upload(t, `mutation($file: Upload!) { uploadDocument(file: $file) { id } }`, nil,
		testkit.Upload{Filename: name, Content: content}).Decode(t, &out)
	return out.UploadDocument.ID
}

// analyse asks for the analysis, follows it on the documentAnalysis subscription until it
// finishes, and returns the statuses seen.
func analyse(t *testing.T, srv *testkit.Server, c *testkit.Client, token, id string) []string {
	t.Helper()
	ws := srv.Live(t, token)
	ws.Subscribe("a", `subscription($id: ID!) { documentAnalysis(documentId: $id) { status stage error } }`, map[string]any{"id": id})
	first := ws.Read(10 * time.Second)
	var out struct {
		AnalyzeDocument struct{ AnalysisStatus string }
	}
	c.Must(t, `mutation($id: ID!) { analyzeDocument(id: $id) { analysisStatus } }`, map[string]any{"id": id}, &out)
	if s := out.AnalyzeDocument.AnalysisStatus; s != "PENDING" && s != "RUNNING" && s != "DONE" {
		t.Fatalf("analyzeDocument answered %s", s)
	}
	var seen []string
	for m := first; ; m = ws.Read(60 * time.Second) {
		if m.Type == "complete" {
			break
		}
		var p struct {
			Data struct{ DocumentAnalysis struct{ Status string } }
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || m.Type != "next" {
			t.Fatalf("documentAnalysis: %s %s", m.Type, m.Payload)
		}
		seen = append(seen, p.Data.DocumentAnalysis.Status)
	}
	return seen
}

func TestFromABookToALivingCast(t *testing.T) {
	srv := testkit.NewServer(t)
	c, sess := srv.Register(t, "reader")
	id := upload(t, c, "pride_and_prejudice.txt", readNovel(t, "pride_and_prejudice.txt"))
	statuses := analyse(t, srv, c, sess.AccessToken, id)
	if got := strings.Join(statuses, " "); !strings.HasPrefix(got, "NONE") || !strings.HasSuffix(got, "DONE") || !strings.Contains(got, "RUNNING") {
		t.Fatalf("the analysis went %s", got)
	}
	var out struct{ Document analysed }
	c.Must(t, analysedQuery, map[string]any{"id": id}, &out)
	d := out.Document
	if d.Title != "Pride and Prejudice" || d.Author != "Jane Austen" || len(d.Chapters) != 61 || d.Analysis == nil {
		t.Fatalf("document: %s by %s, %d chapters, analysis %v", d.Title, d.Author, len(d.Chapters), d.Analysis != nil)
	}
	a := d.Analysis
	if a.Stats.Words < 100000 || a.Stats.Chapters != 61 || a.Stats.DialogueShare < 0.2 {
		t.Fatalf("stats: %+v", a.Stats)
	}
	byName := map[string]int{}
	for _, ch := range a.Characters {
		byName[ch.Name] = ch.ID
	}
	lizzy, ok := byName["Elizabeth Bennet"]
	if !ok {
		t.Fatalf("no Elizabeth Bennet among %v", byName)
	}
	for _, ch := range a.Characters {
		if ch.ID == lizzy && (!contains(ch.Aliases, "Lizzy") || ch.Gender == nil || *ch.Gender != "female" || ch.Quotes < 100) {
			t.Fatalf("Elizabeth: %+v", ch)
		}
	}
	// Elizabeth and Darcy are a romance, with the sentence that shows it.
	romance := false
	for _, r := range a.Relationships {
		if pair := r.A.Name + "+" + r.B.Name; pair == "Elizabeth Bennet+Mr. Darcy" || pair == "Mr. Darcy+Elizabeth Bennet" {
			romance = r.Type == "romance" && r.Reason != nil && *r.Reason != "" && r.Confidence > 0 && len(r.Evidence) > 0
			if !romance {
				t.Errorf("Elizabeth and Darcy: %+v", r)
			}
		}
	}
	if !romance {
		t.Errorf("no romance between Elizabeth and Darcy among %d relationships", len(a.Relationships))
	}
	// Her quotes, with the offsets of the evidence in the document's text.
	var q struct{ Document analysed }
	c.Must(t, analysedQuery, map[string]any{"id": id, "speaker": lizzy}, &q)
	lines := q.Document.Analysis.Quotes
	if lines.TotalCount < 100 || len(lines.Quotes) != 5 || lines.Quotes[0].Speaker.Name != "Elizabeth Bennet" {
		t.Fatalf("Elizabeth's quotes: %+v", lines)
	}
	first := lines.Quotes[0]
	var slice struct {
		Document struct{ Text struct{ Content string } }
	}
	c.Must(t, `query($id: ID!, $o: Int!, $l: Int!) { document(id: $id) { text(offset: $o, length: $l) { content } } }`,
		map[string]any{"id": id, "o": first.Span.Start, "l": first.Span.End - first.Span.Start}, &slice)
	if strings.Join(strings.Fields(slice.Document.Text.Content), " ") != strings.Join(strings.Fields(first.Text), " ") {
		t.Fatalf("the quote's span reads %q, the quote is %q", slice.Document.Text.Content, first.Text)
	}

	// Export it three ways.
	for format, want := range map[string]string{"MARKDOWN": "## Characters", "JSON": `"analysis"`, "TXT": "Characters:"} {
		var ex struct {
			ExportDocument struct{ Filename, ContentType, Content string }
		}
		c.Must(t, `mutation($id: ID!, $f: ExportFormat!) { exportDocument(id: $id, format: $f) { filename contentType content } }`,
			map[string]any{"id": id, "f": format}, &ex)
		e := ex.ExportDocument
		if !strings.Contains(e.Content, want) || !strings.Contains(e.Content, "Elizabeth Bennet") || !strings.Contains(e.Content, "It is a truth universally acknowledged") {
			t.Fatalf("%s export %s (%s) lacks %q", format, e.Filename, e.ContentType, want)
		}
	}

	// A cast that remembers its own lines and already feels for the others.
	eco := c.CreateEcosystem(t, "Longbourn")
	const castMutation = `mutation($d: ID!, $e: ID!) { createCastFromDocument(documentId: $d, ecosystemId: $e, options: {maxCharacters: 12}) {
		created existing relationshipsCreated memoriesCreated characters { id name personalityTraits { extraversion } } } }`
	var cast struct {
		CreateCastFromDocument struct {
			Created, Existing, RelationshipsCreated, MemoriesCreated int
			Characters                                               []struct {
				ID, Name          string
				PersonalityTraits struct{ Extraversion float64 }
			}
		}
	}
	c.Must(t, castMutation, map[string]any{"d": id, "e": eco}, &cast)
	r := cast.CreateCastFromDocument
	if r.Created != 12 || r.Existing != 0 || r.RelationshipsCreated < 10 || r.MemoriesCreated < 200 {
		t.Fatalf("cast: %+v", r)
	}
	var elizabeth string
	for _, ch := range r.Characters {
		if ch.Name == "Elizabeth Bennet" {
			elizabeth = ch.ID
		}
	}
	var mem struct {
		Recall []struct {
			Memory struct{ Content, Type string }
		}
	}
	c.Must(t, `query($c: ID!) { recall(characterId: $c, query: "Mr. Darcy pride", topK: 5) { memory { content type } } }`,
		map[string]any{"c": elizabeth}, &mem)
	// Her own lines as things she said to someone (or a reflection drawn from them, once
	// enough have piled up), never a transcript's "I said:".
	ownLines := 0
	for _, m := range mem.Recall {
		if strings.HasPrefix(m.Memory.Content, "I said: ") {
			t.Fatalf("Elizabeth remembers a transcript: %q", m.Memory.Content)
		}
		if regexp.MustCompile(`\bI (told [^:]+|said, in front of [^:]+|remember saying): “`).MatchString(m.Memory.Content) {
			ownLines++
		}
	}
	if ownLines == 0 {
		t.Fatalf("Elizabeth recalls %+v", mem.Recall)
	}
	checkBookProfiles(t, c, r.Characters)
	var rels struct {
		Character struct {
			Relationships struct {
				TotalCount int
				Nodes      []struct {
					Type     string
					Strength float64
					To       struct{ Name string }
				}
			}
		}
	}
	c.Must(t, `query($c: ID!) { character(id: $c) { relationships(filter: {direction: OUTGOING}, first: 50) { totalCount nodes { type strength to { name } } } } }`,
		map[string]any{"c": elizabeth}, &rels)
	if rels.Character.Relationships.TotalCount < 3 {
		t.Fatalf("Elizabeth's relationships: %+v", rels.Character.Relationships)
	}
	// Twice is once.
	c.Must(t, castMutation, map[string]any{"d": id, "e": eco}, &cast)
	if r := cast.CreateCastFromDocument; r.Created != 0 || r.Existing != 12 || r.RelationshipsCreated != 0 || r.MemoriesCreated != 0 {
		t.Fatalf("second cast: %+v", r)
	}
	if n := srv.Count(t, "characters"); n != 12 {
		t.Fatalf("%d characters after casting twice", n)
	}
}

// statistic is a count in prose, where a reader of the book expects words.
var statistic = regexp.MustCompile(`\d|mentioned \w+ times|lines of dialogue`)

// checkBookProfiles asserts what a reader of Pride and Prejudice notices in its cast:
// Elizabeth introduced by her own introduction, a manner of speaking read from her lines,
// prose without statistics, someone who wants something, and memories of what others
// said in her presence.
func checkBookProfiles(t *testing.T, c *testkit.Client, cast []struct {
	ID, Name          string
	PersonalityTraits struct{ Extraversion float64 }
}) {
	t.Helper()
	type profile struct {
		Name, Description, Backstory, SpeakingStyle string
		Goals                                       []string
		Memories                                    struct {
			Nodes []struct{ Content, Type string }
		}
	}
	withGoals := 0
	for _, ch := range cast {
		var out struct{ Character profile }
		c.Must(t, `query($c: ID!) { character(id: $c) { name description backstory speakingStyle goals
			memories(filter: {types: [OBSERVATION]}, first: 100) { nodes { content type } } } }`, map[string]any{"c": ch.ID}, &out)
		p := out.Character
		for _, prose := range []string{p.Description, p.Backstory, p.SpeakingStyle} {
			if statistic.MatchString(prose) || strings.HasSuffix(prose, "\"") {
				t.Errorf("%s reads as a statistic or a stray quotation: %q", p.Name, prose)
			}
		}
		if p.SpeakingStyle == "Speaks briefly; often exclaims." {
			t.Errorf("%s speaks in the stock phrase", p.Name)
		}
		if len(p.Goals) > 0 {
			withGoals++
		}
		if p.Name != "Elizabeth Bennet" {
			continue
		}
		if !strings.HasPrefix(p.Description, "Elizabeth") || strings.ContainsAny(p.Description, "\"“”") {
			t.Errorf("Elizabeth's description is not her introduction: %q", p.Description)
		}
		if !strings.Contains(p.SpeakingStyle, "In her own words: “") ||
			!regexp.MustCompile(`question|exclam|“my dear”|Favourite words`).MatchString(p.SpeakingStyle) {
			t.Errorf("Elizabeth's style names no habit of her lines: %q", p.SpeakingStyle)
		}
		heard := 0
		for _, m := range p.Memories.Nodes {
			if regexp.MustCompile(`(told me|I heard .+ (tell|say)): “`).MatchString(m.Content) {
				heard++
			}
		}
		if heard == 0 {
			t.Errorf("Elizabeth witnessed nothing: %+v", p.Memories.Nodes)
		}
	}
	if withGoals == 0 {
		t.Error("no one in the cast wants anything")
	}
}

// TestEPUBOfABook: the same book as an EPUB reads in spine order and analyses alike.
func TestEPUBOfABook(t *testing.T) {
	srv := testkit.NewServer(t)
	c, sess := srv.Register(t, "reader")
	text := string(readNovel(t, "pride_and_prejudice.txt"))
	parts := regexp.MustCompile(`(?m)^Chapter \d+\s*$`).Split(text, -1)[1:13]
	var chapters []testkit.Chapter
	for i, p := range parts {
		chapters = append(chapters, testkit.Chapter{Title: "Chapter " + string(rune('A'+i)), Text: strings.TrimSpace(p)})
	}
	id := upload(t, c, "pp.epub", testkit.EPUB(t, "Pride and Prejudice", "Jane Austen", chapters...))
	if got := analyse(t, srv, c, sess.AccessToken, id); got[len(got)-1] != "DONE" {
		t.Fatalf("analysis: %v", got)
	}
	var out struct{ Document analysed }
	c.Must(t, analysedQuery, map[string]any{"id": id}, &out)
	d := out.Document
	if len(d.Chapters) != 12 || d.Chapters[0].Title != "Chapter A" || d.Chapters[11].Title != "Chapter L" {
		t.Fatalf("chapters: %+v", d.Chapters)
	}
	found := map[string]bool{}
	for _, ch := range d.Analysis.Characters {
		found[ch.Name] = true
	}
	for _, name := range []string{"Elizabeth Bennet", "Mr. Darcy", "Mr. Bingley", "Mrs. Bennet"} {
		if !found[name] && !found[strings.TrimPrefix(name, "Mr. ")] {
			t.Fatalf("%s not found in the EPUB: %v", name, found)
		}
	}
}

// TestBooksThatAreHardToRead: odd but valid texts are analysed with what can be found;
// broken files are refused at upload with the reason, and nothing is stored.
func TestBooksThatAreHardToRead(t *testing.T) {
	srv := testkit.NewServer(t)
	c, sess := srv.Register(t, "reader")
	valid := map[string][]byte{
		"no dialogue.txt":       []byte(strings.Repeat("The river ran past the mill and under the bridge. ", 400)),
		"no names.txt":          []byte(strings.Repeat("\"Where are you going?\" asked the old man.\n\n\"Home,\" said the girl.\n\n", 200)),
		"one enormous line.txt": []byte(strings.Repeat("Emma walked with Mr. Knightley and said \"yes\" to him; ", 40000)),
		"invalid utf-8.txt":     append([]byte("Anne Elliot was there. \"Yes,\" said Anne Elliot. "), 0xff, 0xfe, 0xfd, 'A', 'n', 'n', 'e', '.'),
	}
	for name, content := range valid {
		t.Run(name, func(t *testing.T) {
			id := upload(t, c, name, content)
			seen := analyse(t, srv, c, sess.AccessToken, id)
			if seen[len(seen)-1] != "DONE" {
				var out struct{ Document analysed }
				c.Must(t, analysedQuery, map[string]any{"id": id}, &out)
				t.Fatalf("%s: %v, %v", name, seen, out.Document.AnalysisError)
			}
		})
	}
	before := srv.Count(t, "documents")
	lies := testkit.PDF(t, "not really a text file")
	for name, tc := range map[string]struct {
		file []byte
		code string
	}{
		"zip bomb.epub":        {bombEPUB(t), "PAYLOAD_TOO_LARGE"},
		"pdf with a .txt name": {lies, ""},
		"binary garbage.txt":   {garbage(4096), "BAD_USER_INPUT"},
		"empty.txt":            {nil, "BAD_USER_INPUT"},
		"corrupt.epub":         {testkit.EPUB(t, "T", "A", testkit.Chapter{Title: "1", Text: "x"})[:400], "BAD_USER_INPUT"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.Upload(t, `mutation($file: Upload!) { uploadDocument(file: $file) { id contentType } }`, nil,
				testkit.Upload{Filename: name, Content: tc.file})
			if tc.code == "" {
				// A file whose name lies is read for what it is.
				var out struct{ UploadDocument struct{ ContentType string } }
				r.Decode(t, &out)
				if out.UploadDocument.ContentType != "application/pdf" {
					t.Fatalf("a PDF named .txt became %s", out.UploadDocument.ContentType)
				}
				before++
				return
			}
			if code := r.Code(t); code != tc.code {
				t.Fatalf("code %s, want %s: %+v", code, tc.code, r.Errors)
			}
			if n := srv.Count(t, "documents"); n != before {
				t.Fatalf("a refused upload left %d documents (had %d)", n, before)
			}
		})
	}
}

// bombEPUB is an EPUB whose chapter inflates from about 60 KiB to 64 MiB.
func bombEPUB(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	_, _ = m.Write([]byte("application/epub+zip"))
	for name, content := range map[string]string{
		"META-INF/container.xml": `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
		"content.opf":            `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata/><manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>`,
	} {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte(content))
	}
	w, _ := zw.Create("c.xhtml")
	zeros := make([]byte, 1<<20)
	for range 64 {
		_, _ = w.Write(zeros)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
