package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"
)

// spineBomb builds an EPUB whose spine lists n documents, each body deflated once and
// stored n times, so a thousand-entry archive costs the test one compression.
func spineBomb(t testing.TB, n int, body string) (archive []byte, ratio float64) {
	t.Helper()
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var manifest, spine strings.Builder
	for i := range n {
		fmt.Fprintf(&manifest, `<item id="i%d" href="%d.xhtml" media-type="application/xhtml+xml"/>`, i, i)
		fmt.Fprintf(&spine, `<itemref idref="i%d"/>`, i)
	}
	head := buildZip(t, []testEntry{
		{name: "mimetype", body: "application/epub+zip", store: true},
		{name: "META-INF/container.xml", body: `<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`},
		{name: "c.opf", body: "<package><manifest>" + manifest.String() + "</manifest><spine>" + spine.String() + "</spine></package>"},
	})
	zr, err := zip.NewReader(bytes.NewReader(head), int64(len(head)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	crc := crc32.ChecksumIEEE([]byte(body))
	for i := range n {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("%d.xhtml", i), Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(deflated.Len()), UncompressedSize64: uint64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(deflated.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), float64(len(body)) / float64(deflated.Len())
}

// xhtmlOf wraps text in an XHTML document of exactly size bytes (text is repeated).
func xhtmlOf(size int, text string) string {
	const head, tail = `<html xmlns="http://www.w3.org/1999/xhtml"><body><p>`, `</p></body></html>`
	fill := size - len(head) - len(tail)
	return head + strings.Repeat(text, fill/len(text)+1)[:fill] + tail
}

// sparseText is text of which about one byte in a hundred is random, so that it deflates
// well under MaxRatio yet far over MaxBookRatio.
func sparseText(size int) string {
	rng := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	for b.Len() < size {
		for range 10 {
			b.WriteByte(byte('a' + rng.IntN(26)))
		}
		b.WriteString(strings.Repeat(" ", 1014))
	}
	return b.String()[:size]
}

// TestEPUBBombRefusedBeforeInflating: an EPUB whose spine documents each pass the entry
// checks but together are a bomb is refused from the declared sizes, before any spine
// document is inflated. It used to inflate and parse them one by one until a limit
// stopped it (3 s of CPU for a 2.7 MB upload).
func TestEPUBBombRefusedBeforeInflating(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		body     string
		minRatio float64
		maxRatio float64
		reason   string
	}{
		{"1000 documents under the ratio floor", 1000, xhtmlOf(ratioFloor, "All work and no play. "),
			DefaultMaxRatio, 1e6, "epub: decompressed size exceeds 256 MiB (the spine's documents declare more)"},
		{"200 documents under the ratio floor, within the budget", 200, xhtmlOf(ratioFloor, "All work and no play. "),
			DefaultMaxRatio, 1e6, "the spine's documents expand more than 20 times"},
		{"1000 documents just under the ratio", 1000, xhtmlOf(2*ratioFloor, sparseText(2*ratioFloor)),
			DefaultMaxBookRatio, DefaultMaxRatio, "epub: decompressed size exceeds 256 MiB"},
		{"100 documents just under the ratio, within the budget", 100, xhtmlOf(2*ratioFloor, sparseText(2*ratioFloor)),
			DefaultMaxBookRatio, DefaultMaxRatio, "the spine's documents expand more than 20 times"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, ratio := spineBomb(t, tc.n, tc.body)
			if ratio <= tc.minRatio || ratio >= tc.maxRatio {
				t.Fatalf("the fixture deflates %.0f times, want between %g and %g", ratio, tc.minRatio, tc.maxRatio)
			}
			z, err := openZip(data, "epub", Limits{}.withDefaults())
			if err != nil {
				t.Fatal(err)
			}
			_, err = readEPUB(context.Background(), z)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %v, want ErrTooLarge: %s", err, tc.reason)
			}
			// Only container.xml and the package document were inflated.
			var read int64
			for _, name := range []string{"META-INF/container.xml", "c.opf"} {
				read += int64(z.lookup(name).UncompressedSize64)
			}
			if z.used != read {
				t.Fatalf("inflated %d bytes before refusing, want %d (no spine document)", z.used, read)
			}
		})
	}
}

// TestEPUBSpineWithinBudget: a book whose documents add up to honest sizes is still read.
func TestEPUBSpineWithinBudget(t *testing.T) {
	const phrase = "All work and no play. "
	data, _ := spineBomb(t, 3, xhtmlOf(64<<10, phrase))
	book, err := Extract(context.Background(), data, FormatEPUB, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(book.Text, "All work"), 3*(64<<10-100)/len(phrase); got < want {
		t.Fatalf("read %d phrases, want at least %d", got, want)
	}
}

// BenchmarkEPUBSpineBomb: what refusing the thousand-document EPUB costs (it was 3 s of
// CPU, inflating and parsing until the text limit).
func BenchmarkEPUBSpineBomb(b *testing.B) {
	data, _ := spineBomb(b, 1000, xhtmlOf(ratioFloor, "All work and no play. "))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Extract(context.Background(), data, FormatEPUB, Limits{}); !errors.Is(err, ErrTooLarge) {
			b.Fatal(err)
		}
	}
}
