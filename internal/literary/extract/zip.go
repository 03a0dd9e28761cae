package extract

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ratioFloor is the entry size below which the compression ratio is not checked: a small
// file of repeated characters (a blank stylesheet, an XML file of whitespace) compresses
// far beyond any sane ratio yet costs nothing to read.
const ratioFloor = 1 << 20

// zipBox reads entries of a zip container (EPUB, DOCX) within Limits. The archive's
// declared sizes are checked first because that rejects an honest bomb without inflating
// a byte, but they are attacker-controlled, so every read is also counted and cut off.
type zipBox struct {
	kind  string // "epub" or "docx", for error messages
	lim   Limits
	size  int64 // bytes of the whole archive
	files map[string]*zip.File
	fold  map[string]*zip.File // by lower-cased name, for links that differ in case
	used  int64                // decompressed bytes read so far
}

// openZip opens a zip container, refusing archives with more than MaxEntries entries.
func openZip(data []byte, kind string, lim Limits) (*zipBox, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath still returns a usable reader; names are only looked up,
		// never used as file paths.
		return nil, fmt.Errorf("%s: not a readable zip archive (%v): %w", kind, err, ErrCorrupt)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%s: %d zip entries exceed the limit of %d: %w",
			kind, len(zr.File), lim.MaxEntries, ErrTooLarge)
	}
	z := &zipBox{
		kind:  kind,
		lim:   lim,
		size:  int64(len(data)),
		files: make(map[string]*zip.File, len(zr.File)),
		fold:  make(map[string]*zip.File, len(zr.File)),
	}
	for _, f := range zr.File {
		name := strings.TrimPrefix(f.Name, "/")
		if _, dup := z.files[name]; !dup {
			z.files[name] = f
		}
		lower := strings.ToLower(name)
		if _, dup := z.fold[lower]; !dup {
			z.fold[lower] = f
		}
	}
	return z, nil
}

// lookup finds an entry by exact name, or failing that by case-insensitive name, since
// EPUBs made on Windows and macOS often link "Chapter1.xhtml" as "chapter1.xhtml".
func (z *zipBox) lookup(name string) *zip.File {
	if f, ok := z.files[name]; ok {
		return f
	}
	return z.fold[strings.ToLower(name)]
}

// has reports whether the archive holds an entry.
func (z *zipBox) has(name string) bool { return z.lookup(name) != nil }

// read returns the whole decompressed content of an entry; see stream for the limits. It
// returns an error wrapping errMissing when there is no such entry.
func (z *zipBox) read(name string) ([]byte, error) {
	r, closer, err := z.stream(name)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// errMissing reports an entry that is not in the archive; callers say which entry and
// why it mattered.
var errMissing = errors.New("missing")

// stream opens an entry for reading. Its size is checked against the remaining MaxUnzipped
// budget and MaxRatio times its compressed size, first as declared and then as actually
// read: the reader fails with ErrTooLarge the moment either is exceeded, so a lying
// header costs at most the budget, never the bomb's full size.
func (z *zipBox) stream(name string) (io.Reader, io.Closer, error) {
	f := z.lookup(name)
	if f == nil {
		return nil, nil, fmt.Errorf("%s: %s %w", z.kind, name, errMissing)
	}
	remaining := z.lim.MaxUnzipped - z.used
	perEntry := z.perEntry(f)
	if f.UncompressedSize64 > uint64(perEntry) {
		return nil, nil, z.tooDense(name)
	}
	if f.UncompressedSize64 > uint64(remaining) {
		return nil, nil, z.tooLarge(name)
	}
	rc, err := f.Open()
	if err != nil {
		if errors.Is(err, zip.ErrAlgorithm) {
			return nil, nil, fmt.Errorf("%s: %s uses an unsupported compression method: %w", z.kind, name, ErrUnsupported)
		}
		return nil, nil, fmt.Errorf("%s: opening %s (%v): %w", z.kind, name, err, ErrCorrupt)
	}
	return &zipEntry{z: z, name: name, rc: rc, remaining: remaining, perEntry: perEntry}, rc, nil
}

// reserve checks, from the archive's declared sizes alone, that reading the entries
// names (each as often as it is named) fits the remaining MaxUnzipped budget and expands
// no more than MaxBookRatio times their compressed size together. Refusing here costs no
// inflating: entries that each pass stream's checks, such as a thousand just under
// MaxRatio or under ratioFloor, would otherwise be inflated and parsed one by one until
// a limit stopped them. archive/zip refuses an entry longer than declared, so the
// declared sizes bound what stream then reads.
func (z *zipBox) reserve(what string, names []string) error {
	remaining := uint64(max(z.lim.MaxUnzipped-z.used, 0))
	var declared, compressed uint64
	for _, name := range names {
		f := z.lookup(name)
		if f == nil {
			continue
		}
		if f.UncompressedSize64 > uint64(z.perEntry(f)) {
			return z.tooDense(name)
		}
		if f.UncompressedSize64 > remaining-declared {
			return fmt.Errorf("%s: decompressed size exceeds %s (%s declare more): %w",
				z.kind, formatBytes(z.lim.MaxUnzipped), what, ErrTooLarge)
		}
		declared += f.UncompressedSize64
		compressed += min(f.CompressedSize64, uint64(z.size))
	}
	if declared > uint64(max(ratioFloor, z.lim.MaxBookRatio*float64(compressed))) {
		return fmt.Errorf("%s: %s expand more than %g times their compressed size: %w",
			z.kind, what, z.lim.MaxBookRatio, ErrTooLarge)
	}
	return nil
}

// perEntry is the most an entry may expand to: MaxRatio times its compressed size (as
// declared, but never more than the archive), and at least ratioFloor.
func (z *zipBox) perEntry(f *zip.File) int64 {
	compressed := int64(min(f.CompressedSize64, uint64(z.size)))
	return max(int64(ratioFloor), int64(z.lim.MaxRatio*float64(compressed)))
}

// tooLarge reports the MaxUnzipped budget exhausted while reading name.
func (z *zipBox) tooLarge(name string) error {
	return fmt.Errorf("%s: decompressed size exceeds %s (reading %s): %w",
		z.kind, formatBytes(z.lim.MaxUnzipped), name, ErrTooLarge)
}

// tooDense reports an entry expanding past MaxRatio.
func (z *zipBox) tooDense(name string) error {
	return fmt.Errorf("%s: %s expands more than %g times its compressed size: %w", z.kind, name, z.lim.MaxRatio, ErrTooLarge)
}

// zipEntry counts the bytes read from one entry and fails once a limit is passed.
type zipEntry struct {
	z         *zipBox
	name      string
	rc        io.Reader
	n         int64
	remaining int64
	perEntry  int64
	err       error
}

func (e *zipEntry) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	// Never ask for more than one byte past the tighter limit, so the inflater is not
	// driven further than needed to see that the limit is passed.
	limit := min(e.remaining, e.perEntry) - e.n + 1
	if int64(len(p)) > limit {
		p = p[:limit]
	}
	n, err := e.rc.Read(p)
	e.n += int64(n)
	e.z.used += int64(n)
	switch {
	case e.n > e.remaining:
		e.err = e.z.tooLarge(e.name)
		return n, e.err
	case e.n > e.perEntry:
		e.err = e.z.tooDense(e.name)
		return n, e.err
	case err != nil && err != io.EOF:
		e.err = fmt.Errorf("%s: reading %s (%v): %w", e.z.kind, e.name, err, ErrCorrupt)
		return n, e.err
	}
	return n, err
}
