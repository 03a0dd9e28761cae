package resolvers_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

const uploadQuery = `mutation($file: Upload!, $title: String, $eco: ID) {
	uploadDocument(file: $file, title: $title, ecosystemId: $eco) {
		id title filename contentType sizeBytes sha256 owner { username } ecosystem { name }
		text { content offset totalLength } } }`

type document struct {
	ID, Title, Filename, ContentType, Sha256 string
	SizeBytes                                int
	Owner                                    struct{ Username string }
	Ecosystem                                *struct{ Name string }
	Text                                     *struct {
		Content     string
		Offset      int
		TotalLength int
	}
}

func TestUploadDocument(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "reader")
	eco := c.CreateEcosystem(t, "Library")
	book, err := os.ReadFile("../../shared/data/novels/alice_in_wonderland.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                       string
		up                         testkit.Upload
		title                      any
		wantType, wantTitle        string
		wantText                   string // prefix of the text; "" for no text
		withEcosystem, textMissing bool
	}{
		// The title comes from the book's own title page.
		{"plain text book", testkit.Upload{Filename: "alice.txt", ContentType: "text/plain", Content: book},
			nil, "text/plain", "Alice’s Adventures in Wonderland", "[Illustration]", true, false},
		{"markdown by name", testkit.Upload{Filename: "notes.md", ContentType: "application/octet-stream", Content: []byte("# Chapter 1\r\nIt *was*.\r\n")},
			"My notes", "text/markdown", "My notes", "Chapter 1\n\nIt was.", false, false},
		{"latin-1 text", testkit.Upload{Filename: "caf.txt", Content: []byte("caf\xe9 cr\xe8me")},
			nil, "text/plain", "caf", "café crème", false, false},
		{"utf-16 text", testkit.Upload{Filename: "u16.txt", ContentType: "text/plain", Content: []byte("\xff\xfeH\x00i\x00")},
			nil, "text/plain", "u16", "Hi", false, false},
		{"utf-8 with BOM", testkit.Upload{Filename: "bom.txt", ContentType: "text/plain; charset=utf-8", Content: []byte("\xef\xbb\xbfHello")},
			nil, "text/plain", "bom", "Hello", false, false},
		{"pdf", testkit.Upload{Filename: "book.pdf", ContentType: "application/pdf", Content: testkit.PDF(t, "It is a truth universally acknowledged,", "that a single man in possession")},
			nil, "application/pdf", "book", "It is a truth universally acknowledged,", false, false},
		// The spine's order, not the zip's.
		{"epub", testkit.Upload{Filename: "book.epub", Content: testkit.EPUB(t, "Pride and Prejudice", "Jane Austen",
			testkit.Chapter{Title: "Chapter 1", Text: "It is a truth universally acknowledged."},
			testkit.Chapter{Title: "Chapter 2", Text: "Mr. Bennet was among the earliest."})},
			nil, "application/epub+zip", "Pride and Prejudice", "Chapter 1\n\nIt is a truth universally acknowledged.\n\nChapter 2", false, false},
		{"docx", testkit.Upload{Filename: "draft.docx", Content: testkit.DOCX(t, testkit.Chapter{Title: "Opening", Text: "The first line."})},
			nil, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "draft", "Opening\n\nThe first line.", false, false},
		{"path in the file name", testkit.Upload{Filename: `C:\Users\me\chapter.txt`, ContentType: "text/plain", Content: []byte("text")},
			nil, "text/plain", "chapter", "text", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]any{"title": tc.title}
			if tc.withEcosystem {
				vars["eco"] = eco
			}
			var out struct{ UploadDocument document }
			c.Upload(t, uploadQuery, vars, tc.up).Decode(t, &out)
			d := out.UploadDocument
			sum := sha256.Sum256(tc.up.Content)
			if d.ContentType != tc.wantType || d.Title != tc.wantTitle || d.SizeBytes != len(tc.up.Content) ||
				d.Sha256 != hex.EncodeToString(sum[:]) || d.Owner.Username != "reader" {
				t.Fatalf("uploaded %+v", d)
			}
			if tc.withEcosystem != (d.Ecosystem != nil) {
				t.Fatalf("ecosystem = %+v", d.Ecosystem)
			}
			if tc.textMissing {
				if d.Text != nil {
					t.Fatalf("text for a format without an extractor: %+v", d.Text)
				}
				return
			}
			if d.Text == nil || !strings.HasPrefix(d.Text.Content, tc.wantText) {
				t.Fatalf("text = %+v, want prefix %q", d.Text, tc.wantText)
			}
		})
	}

	// Page through the book's text.
	var list struct {
		Documents struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	c.Must(t, `{ documents(first: 1) { totalCount nodes { id } } }`, nil, &list)
	if list.Documents.TotalCount != len(tests) {
		t.Fatalf("documents = %d", list.Documents.TotalCount)
	}
	var slice struct {
		Document struct {
			Text struct {
				Content     string
				Offset      int
				TotalLength int
			}
		}
	}
	var whole struct {
		Document struct{ Text struct{ Content string } }
	}
	c.Must(t, `query($id: ID!) { document(id: $id) { text { content } } }`, map[string]any{"id": list.Documents.Nodes[0].ID}, &whole)
	c.Must(t, `query($id: ID!) { document(id: $id) { text(offset: 10, length: 20) { content offset totalLength } } }`,
		map[string]any{"id": list.Documents.Nodes[0].ID}, &slice)
	full := []rune(whole.Document.Text.Content)
	if slice.Document.Text.Content != string(full[10:30]) || slice.Document.Text.TotalLength != len(full) ||
		strings.Contains(whole.Document.Text.Content, "Project Gutenberg") || strings.Contains(whole.Document.Text.Content, "\r") {
		t.Fatalf("slice = %+v of %d characters", slice.Document.Text, len(full))
	}
	for _, bad := range []string{`text(offset: -1)`, `text(length: 1000001)`, `text(length: -5)`} {
		r := c.Do(t, `query($id: ID!) { document(id: $id) { `+bad+` { content } } }`, map[string]any{"id": list.Documents.Nodes[0].ID})
		if code := r.Code(t); code != "BAD_USER_INPUT" {
			t.Fatalf("%s: %s", bad, code)
		}
	}
}

func TestUploadRefused(t *testing.T) {
	s := testkit.NewServer(t, "MAX_UPLOAD_BYTES=1024")
	c, _ := s.Register(t, "writer")
	other, _ := s.Register(t, "stranger")
	theirEco := other.CreateEcosystem(t, "Theirs")
	tests := []struct {
		name   string
		up     testkit.Upload
		vars   map[string]any
		status int
		code   string
	}{
		{"over the limit", testkit.Upload{Filename: "big.txt", ContentType: "text/plain", Content: bytes.Repeat([]byte("a"), 1025)}, nil, 200, "PAYLOAD_TOO_LARGE"},
		{"far over the limit", testkit.Upload{Filename: "huge.txt", ContentType: "text/plain", Content: bytes.Repeat([]byte("a"), 2<<20)}, nil, 413, "PAYLOAD_TOO_LARGE"},
		{"pdf declared as text", testkit.Upload{Filename: "lie.txt", ContentType: "text/plain", Content: []byte("%PDF-1.7\nbinary")}, nil, 200, "BAD_USER_INPUT"},
		{"text declared as pdf", testkit.Upload{Filename: "lie.pdf", ContentType: "application/pdf", Content: []byte("just words")}, nil, 200, "BAD_USER_INPUT"},
		{"png", testkit.Upload{Filename: "cover.png", ContentType: "image/png", Content: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")}, nil, 200, "BAD_USER_INPUT"},
		{"binary garbage declared as text", testkit.Upload{Filename: "x.txt", ContentType: "text/plain", Content: garbage(900)}, nil, 200, "BAD_USER_INPUT"},
		{"truncated pdf", testkit.Upload{Filename: "cut.pdf", ContentType: "application/pdf", Content: testkit.PDF(t, "Chapter 1")[:200]}, nil, 200, "BAD_USER_INPUT"},
		{"corrupt epub", testkit.Upload{Filename: "bad.epub", Content: testkit.ZipOf(t, "mimetype", "application/epub+zip", "META-INF/container.xml", "<container/>")}, nil, 200, "BAD_USER_INPUT"},
		{"truncated docx", testkit.Upload{Filename: "cut.docx", Content: testkit.DOCX(t, testkit.Chapter{Title: "A", Text: "b"})[:300]}, nil, 200, "BAD_USER_INPUT"},
		{"docx with no text", testkit.Upload{Filename: "blank.docx", Content: testkit.ZipOf(t, "[Content_Types].xml", "<Types/>", "word/document.xml", "<w:document/>")}, nil, 200, "BAD_USER_INPUT"},
		{"whitespace only", testkit.Upload{Filename: "blank.txt", ContentType: "text/plain", Content: []byte(" \n\t\n ")}, nil, 200, "BAD_USER_INPUT"},
		{"empty file", testkit.Upload{Filename: "empty.txt", ContentType: "text/plain", Content: nil}, nil, 200, "BAD_USER_INPUT"},
		{"empty title", testkit.Upload{Filename: "a.txt", ContentType: "text/plain", Content: []byte("ok")}, map[string]any{"title": " "}, 200, "BAD_USER_INPUT"},
		{"another user's ecosystem", testkit.Upload{Filename: "a.txt", ContentType: "text/plain", Content: []byte("ok")}, map[string]any{"eco": theirEco}, 200, "NOT_FOUND"},
		{"no preflight header", testkit.Upload{Filename: "a.txt", ContentType: "text/plain", Content: []byte("ok"), NoPreflightHeader: true}, nil, 400, "BAD_REQUEST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Upload(t, uploadQuery, tc.vars, tc.up)
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d", r.Status, tc.status)
			}
			if code := r.Code(t); code != tc.code {
				t.Fatalf("code = %s, want %s: %+v", code, tc.code, r.Errors)
			}
			if n := s.Count(t, "documents") + s.Count(t, "document_contents"); n != 0 {
				t.Fatalf("a refused upload stored %d rows", n)
			}
		})
	}
	if code := s.Client().Upload(t, uploadQuery, nil, testkit.Upload{Filename: "a.txt", ContentType: "text/plain", Content: []byte("ok")}).Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("anonymous upload: %s", code)
	}
}

// garbage is deterministic bytes no text encoding would produce.
func garbage(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func TestDocumentOwnership(t *testing.T) {
	s := testkit.NewServer(t)
	alice, _ := s.Register(t, "alice")
	bob, _ := s.Register(t, "bob")
	var out struct{ UploadDocument document }
	alice.Upload(t, uploadQuery, nil, testkit.Upload{Filename: "diary.txt", ContentType: "text/plain", Content: []byte("secret")}).Decode(t, &out)
	id := out.UploadDocument.ID

	if code := bob.Do(t, `query($id: ID!) { document(id: $id) { title } }`, map[string]any{"id": id}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("bob reading alice's document: %s", code)
	}
	if code := bob.Do(t, `mutation($id: ID!) { deleteDocument(id: $id) }`, map[string]any{"id": id}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("bob deleting alice's document: %s", code)
	}
	var list struct{ Documents struct{ TotalCount int } }
	bob.Must(t, `{ documents { totalCount } }`, nil, &list)
	if list.Documents.TotalCount != 0 {
		t.Fatalf("bob lists %d documents", list.Documents.TotalCount)
	}
	var del struct{ DeleteDocument string }
	alice.Must(t, `mutation($id: ID!) { deleteDocument(id: $id) }`, map[string]any{"id": id}, &del)
	if n := s.Count(t, "documents") + s.Count(t, "document_contents"); n != 0 {
		t.Fatalf("rows left after delete: %d", n)
	}
}
