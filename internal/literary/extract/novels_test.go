package extract

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// novelsDir holds the project's sample novels: /work/shared beside the repository, which
// is ../../../../shared from this package.
const novelsDir = "../../../../shared/data/novels"

// novel describes what is known about each sample novel.
type novel struct {
	file        string
	minChapters int
	maxChapters int
	title       string
	author      string
	gutenberg   bool
	firstWords  string // the book's opening, expected near the start of the text
	lastWords   string // the book's closing, expected at the end
	firstTitle  string // the first chapter's title
}

var novels = []novel{
	{
		file: "pride_and_prejudice.txt", minChapters: 61, maxChapters: 61,
		title: "Pride and Prejudice", author: "Jane Austen", gutenberg: true,
		firstWords: "PRIDE AND PREJUDICE", lastWords: "the means of uniting them.",
		firstTitle: "Chapter 1",
	},
	{
		file: "alice_in_wonderland.txt", minChapters: 12, maxChapters: 12,
		title: "Alice’s Adventures in Wonderland", author: "Lewis Carroll",
		firstWords: "[Illustration]", lastWords: "THE END",
		firstTitle: "CHAPTER I. Down the Rabbit-Hole",
	},
	{
		file: "christmas_carol.txt", minChapters: 5, maxChapters: 5,
		title: "A Christmas Carol", author: "Charles Dickens", gutenberg: true,
		firstWords: "A CHRISTMAS CAROL", lastWords: "God bless Us, Every One!",
		firstTitle: "STAVE I: MARLEY'S GHOST",
	},
	{
		file: "les_miserables.txt", minChapters: 300, maxChapters: 400,
		title: "Les Misérables", author: "Victor Hugo", gutenberg: true,
		firstWords: "LES MISÉRABLES", lastWords: "as the night comes when day is gone.]",
		firstTitle: "CHAPTER I--M. MYRIEL",
	},
	{
		file: "sherlock_holmes.txt", minChapters: 12, maxChapters: 12,
		title: "The Adventures of Sherlock Holmes", author: "Arthur Conan Doyle",
		firstWords: "The Adventures of Sherlock Holmes", lastWords: "considerable success.",
		firstTitle: "I. A SCANDAL IN BOHEMIA",
	},
}

// readNovel returns a sample novel's bytes, skipping the test when the shared data is not
// beside the repository.
func readNovel(tb testing.TB, file string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(novelsDir, file))
	if os.IsNotExist(err) {
		tb.Skipf("sample novel %s not found under %s (the shared data directory beside the repository); skipping", file, novelsDir)
	}
	if err != nil {
		tb.Fatalf("reading %s: %v", file, err)
	}
	return data
}

func TestNovels(t *testing.T) {
	for _, n := range novels {
		t.Run(n.file, func(t *testing.T) {
			data := readNovel(t, n.file)
			if got := Sniff(data); got != FormatPlain {
				t.Errorf("Sniff = %q, want %q", got, FormatPlain)
			}
			start := time.Now()
			book, err := Extract(context.Background(), data, FormatPlain, Limits{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			t.Logf("%s: %d chapters, %d runes, %s, encoding %s, gutenberg %v, title %q, author %q",
				n.file, len(book.Chapters), utf8.RuneCountInString(book.Text), time.Since(start),
				book.Encoding, book.Gutenberg, book.Title, book.Author)
			if len(book.Chapters) < n.minChapters || len(book.Chapters) > n.maxChapters {
				t.Errorf("%d chapters, want %d..%d", len(book.Chapters), n.minChapters, n.maxChapters)
				for i, c := range book.Chapters {
					t.Logf("  %3d %8d %7d %q", i, c.Offset, c.Length, c.Title)
				}
			}
			if book.Gutenberg != n.gutenberg {
				t.Errorf("Gutenberg = %v, want %v", book.Gutenberg, n.gutenberg)
			}
			if book.Title != n.title || book.Author != n.author {
				t.Errorf("title, author = %q, %q; want %q, %q", book.Title, book.Author, n.title, n.author)
			}
			if i := strings.Index(book.Text, n.firstWords); i < 0 || i > 200 {
				t.Errorf("text should open with %q within 200 bytes, found at %d; starts %q", n.firstWords, i, head(book.Text, 300))
			}
			if !strings.HasSuffix(book.Text, n.lastWords) {
				t.Errorf("text should end with %q; ends %q", n.lastWords, tail(book.Text, 300))
			}
			if rest := tail(book.Text, 10<<10); strings.Contains(strings.ToLower(rest), "project gutenberg") {
				t.Errorf("licence text remains in the last 10 KB: %q", rest[max(0, strings.Index(strings.ToLower(rest), "project gutenberg")-200):])
			}
			if strings.Contains(book.Text, "\r") {
				t.Error("text still holds carriage returns")
			}
			if strings.HasPrefix(book.Text, "\ufeff") {
				t.Error("text still starts with a byte-order mark")
			}
			checkChapters(t, book)
			checkChapterStarts(t, book)
			if len(book.Chapters) > 0 && book.Chapters[0].Title != n.firstTitle {
				t.Errorf("first chapter title %q, want %q", book.Chapters[0].Title, n.firstTitle)
			}
		})
	}
}

// checkChapters asserts the invariants of Book.Chapters: in order, non-overlapping, within
// the text, the last running to its end.
func checkChapters(t *testing.T, book *Book) {
	t.Helper()
	n := utf8.RuneCountInString(book.Text)
	end := 0
	for i, c := range book.Chapters {
		if c.Offset < end || c.Length <= 0 || c.Offset+c.Length > n {
			t.Fatalf("chapter %d %q at %d+%d overlaps or leaves the text (%d runes, previous end %d)",
				i, c.Title, c.Offset, c.Length, n, end)
		}
		end = c.Offset + c.Length
	}
	if len(book.Chapters) > 0 && end != n {
		t.Errorf("last chapter ends at %d, want the end of the text %d", end, n)
	}
}

// checkChapterStarts asserts that each chapter starts with the first word of its title,
// for chapters found from headings in the text.
func checkChapterStarts(t *testing.T, book *Book) {
	t.Helper()
	runes := []rune(book.Text)
	for i, c := range book.Chapters {
		body := string(runes[c.Offset : c.Offset+c.Length])
		if words := strings.Fields(c.Title); len(words) > 0 && !strings.HasPrefix(body, words[0]) {
			t.Errorf("chapter %d %q does not start at its heading: %q", i, c.Title, head(body, 80))
		}
	}
}

func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

func BenchmarkExtractNovels(b *testing.B) {
	for _, n := range novels {
		b.Run(strings.TrimSuffix(n.file, ".txt"), func(b *testing.B) {
			data := readNovel(b, n.file)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Extract(context.Background(), data, FormatPlain, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
