package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/encoding/charmap"
)

// Bounds on the work one PDF may cause. The library parses whatever it is pointed at, so
// these keep a hostile file from costing unbounded time or memory.
const (
	pdfMaxTreeDepth = 64         // page tree levels
	pdfMaxNodes     = 1 << 20    // page tree nodes visited
	pdfMaxOps       = 20_000_000 // content-stream operators in the whole document
	pdfMaxGStack    = 1024       // nested q operators
	pdfMaxFormDepth = 8          // form XObjects drawn within form XObjects
	pdfMaxCMapBytes = 1 << 20    // a ToUnicode CMap is a few KiB; more is not a CMap
	pdfMaxCMapCount = 10_000     // entries declared in one CMap block (the spec allows 100)
	pdfMaxWidths    = 1 << 16    // glyph widths read for one font
	pdfDefaultWidth = 500        // glyph width, in thousandths of an em, when a font has none
)

// pdfCMapCount finds the entry counts that a CMap declares for its blocks; the library
// allocates that many entries before checking them, so they are vetted first.
var pdfCMapCount = regexp.MustCompile(`(\d+)\s*begin(?:bfchar|bfrange|codespacerange|cidchar|cidrange|notdefrange)`)

// pdfPageNumber matches a line that is only a page number: "12", "- 12 -", "xiv",
// "Page 12", "12 of 300".
var pdfPageNumber = regexp.MustCompile(`^(?i:page\s+)?[-–—\s]*(?:\d{1,4}|[ivxlc]{1,7}|[IVXLC]{1,7})(?:\s+of\s+\d{1,4})?[-–—\s]*$`)

// pdfAbort carries an error out of the library's content-stream interpreter, which offers
// no way to stop but a panic.
type pdfAbort struct{ err error }

// extractPDF reads the text of a PDF page by page with github.com/ledongthuc/pdf for
// parsing, decompression, decryption with an empty password and font decoding. Layout is
// interpreted here: the library's own text functions either ignore positions (so words
// run together) or sort glyphs globally (so columns interleave), and neither can be
// cancelled or bounded. Text is taken in content-stream order, which is reading order for
// the PDFs that word processors and typesetters write; glyph positions decide where
// spaces, line breaks and paragraph breaks go.
//
// The library panics on malformed input; every panic is recovered and reported as
// ErrCorrupt.
func extractPDF(ctx context.Context, data []byte, lim Limits) (d *doc, err error) {
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(pdfAbort); ok {
				d, err = nil, a.err
				return
			}
			d, err = nil, fmt.Errorf("pdf: malformed (%v): %w", r, ErrCorrupt)
		}
	}()
	r, err := openPDF(data)
	if err != nil {
		return nil, err
	}
	trailer := r.Trailer()
	x := &pdfExtractor{
		ctx:   ctx,
		b:     newBuilder(lim.MaxText),
		fonts: make(map[string]*pdfFont),
	}
	root := trailer.Key("Root").Key("Pages")
	if root.IsNull() {
		return nil, fmt.Errorf("pdf: no page tree: %w", ErrCorrupt)
	}
	if err := x.walkPages(root); err != nil {
		if errors.Is(err, ErrCorrupt) && !trailer.Key("Encrypt").IsNull() {
			// Pages of an encrypted file that all fail to parse were most likely
			// decrypted wrongly: the library mishandles 40-bit RC4 keys.
			return nil, fmt.Errorf("pdf: encrypted, and the content could not be decrypted (%v): %w", err, ErrUnsupported)
		}
		return nil, err
	}
	if x.b.err != nil {
		return nil, fmt.Errorf("pdf: %w", x.b.err)
	}
	info := trailer.Key("Info")
	return &doc{
		b:            x.b,
		title:        cleanTitle(info.Key("Title").Text()),
		author:       cleanTitle(info.Key("Author").Text()),
		encoding:     "pdf",
		noBareArabic: true,
	}, nil
}

// openPDF opens a PDF with the library, tolerating what viewers tolerate: bytes after
// the last "%%EOF", and bytes before the "%PDF-" header, whose presence leaves it unclear
// whether the file's offsets count from the start of the file (as PDF 2.0 says) or from
// the header (as some writers did), so both are tried. Any version is presented as 1.7,
// since the library refuses PDF 2.0 headers although the syntax it reads is the same.
func openPDF(data []byte) (*pdf.Reader, error) {
	start := bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-"))
	if start < 0 {
		return nil, fmt.Errorf("pdf: no %%PDF- header: %w", ErrCorrupt)
	}
	end := bytes.LastIndex(data, []byte("%%EOF"))
	if end < start {
		return nil, fmt.Errorf("pdf: no %%%%EOF marker, the file is truncated: %w", ErrCorrupt)
	}
	data = data[:end+len("%%EOF")]
	if len(data)-start < len(pdfHeader) {
		return nil, fmt.Errorf("pdf: %d bytes is too short: %w", len(data)-start, ErrCorrupt)
	}
	bodies := []*pdfReaderAt{{data: data}}
	if start > 0 {
		bodies = append(bodies, &pdfReaderAt{data: data[start:]})
	}
	var err error
	for _, body := range bodies {
		var r *pdf.Reader
		if r, err = pdf.NewReader(body, body.Size()); err == nil {
			return r, nil
		}
	}
	if errors.Is(err, pdf.ErrInvalidPassword) || bytes.Contains(data, []byte("/Encrypt")) {
		return nil, fmt.Errorf("pdf: encrypted documents are not supported (%v): %w", err, ErrUnsupported)
	}
	return nil, fmt.Errorf("pdf: %v: %w", err, ErrCorrupt)
}

// pdfReaderAt reads a PDF whose first bytes are replaced by the header "%PDF-1.7\n"; the
// file's own header, wherever it is, is then an ordinary comment.
type pdfReaderAt struct{ data []byte }

const pdfHeader = "%PDF-1.7\n"

func (p *pdfReaderAt) Size() int64 { return int64(len(p.data)) }

func (p *pdfReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("pdf: negative offset")
	}
	if off >= int64(len(p.data)) {
		return 0, io.EOF
	}
	n := copy(b, p.data[off:])
	for i := off; i < int64(len(pdfHeader)) && i-off < int64(n); i++ {
		b[i-off] = pdfHeader[i]
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// pdfExtractor holds the state of one document's extraction.
type pdfExtractor struct {
	ctx   context.Context
	b     *builder
	fonts map[string]*pdfFont // parsed fonts by their dictionary's text, shared by pages
	ops   int
	page  int

	badPages int   // pages skipped as malformed
	badPage  error // why the first was

	// The current page's lines, and the layout of the last text shown on it.
	lines     []pdfLine
	pageBytes int
	have      bool
	lastY     float64
	lastEndX  float64
	lastSize  float64
}

// walkPages visits the page tree depth-first in document order. The tree is walked here
// rather than by the library, which follows /Kids and /Parent links without bounds: a
// cycle would loop forever. Inherited resources are carried down the walk for the same
// reason.
func (x *pdfExtractor) walkPages(root pdf.Value) error {
	type node struct {
		v     pdf.Value
		res   pdf.Value
		depth int
	}
	stack := []node{{v: root, res: root.Key("Resources")}}
	visited := 0
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited++; visited > pdfMaxNodes {
			return fmt.Errorf("pdf: page tree has more than %d nodes: %w", pdfMaxNodes, ErrCorrupt)
		}
		if res := n.v.Key("Resources"); !res.IsNull() {
			n.res = res
		}
		kids := n.v.Key("Kids")
		if n.v.Key("Type").Name() == "Pages" || kids.Kind() == pdf.Array {
			if n.depth >= pdfMaxTreeDepth {
				return fmt.Errorf("pdf: page tree deeper than %d levels: %w", pdfMaxTreeDepth, ErrCorrupt)
			}
			for i := kids.Len() - 1; i >= 0; i-- {
				if kid := kids.Index(i); kid.Kind() == pdf.Dict {
					stack = append(stack, node{v: kid, res: n.res, depth: n.depth + 1})
				}
			}
			continue
		}
		if err := x.ctx.Err(); err != nil {
			return fmt.Errorf("pdf: %w", err)
		}
		x.page++
		if err := x.readPage(n.v, n.res); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return err
			}
			// A damaged page costs its own text, not the book's; a book that is
			// mostly damage is reported as corrupt.
			if x.badPage == nil {
				x.badPage = err
			}
			x.badPages++
		}
		if x.b.err != nil {
			return fmt.Errorf("pdf: %w", x.b.err)
		}
	}
	if x.badPages > 0 && (x.b.Len() == 0 || x.badPages*10 > x.page) {
		return fmt.Errorf("%d of %d pages unreadable, first: %w", x.badPages, x.page, x.badPage)
	}
	return nil
}

// pdfGState is the part of the graphics state that positions text.
type pdfGState struct {
	ctm                        affine
	tc, tw, th, tl, tfs, trise float64
	font                       *pdfFont
}

// readPage interprets one page's content stream.
func (x *pdfExtractor) readPage(page, res pdf.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(pdfAbort); ok {
				err = a.err
				return
			}
			err = fmt.Errorf("pdf: page %d is malformed (%v): %w", x.page, r, ErrCorrupt)
		}
	}()
	defer x.endPage()
	if contents := page.Key("Contents"); !contents.IsNull() {
		x.runContent(contents, res, pdfGState{ctm: identity, th: 1}, 0)
	}
	return nil
}

// runContent interprets a content stream (a page's, or a form XObject's drawn by "Do")
// with the given resources and initial graphics state, laying out the text it shows.
func (x *pdfExtractor) runContent(strm, res pdf.Value, g pdfGState, depth int) {
	fontRes, xobjects := res.Key("Font"), res.Key("XObject")
	fonts := make(map[string]*pdfFont)
	var gstack []pdfGState
	var tm, tlm affine

	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		args := popArgs(stk)
		if x.ops++; x.ops%1024 == 0 {
			if err := x.ctx.Err(); err != nil {
				panic(pdfAbort{fmt.Errorf("pdf: %w", err)})
			}
			if x.b.err != nil {
				panic(pdfAbort{fmt.Errorf("pdf: %w", x.b.err)})
			}
		}
		if x.ops > pdfMaxOps {
			panic(pdfAbort{fmt.Errorf("pdf: more than %d content operators: %w", pdfMaxOps, ErrTooLarge)})
		}
		switch op {
		case "q":
			if len(gstack) < pdfMaxGStack {
				gstack = append(gstack, g)
			}
		case "Q":
			if n := len(gstack); n > 0 {
				g, gstack = gstack[n-1], gstack[:n-1]
			}
		case "cm":
			if len(args) == 6 {
				g.ctm = matrixArg(args).mul(g.ctm)
			}
		case "Do":
			// Form XObjects hold content of their own, text included (some tools
			// wrap every page in one). Forms nest at most pdfMaxFormDepth deep, which
			// also ends a form that draws itself.
			if len(args) != 1 || depth >= pdfMaxFormDepth {
				return
			}
			form := xobjects.Key(args[0].Name())
			if form.Kind() != pdf.Stream || form.Key("Subtype").Name() != "Form" {
				return
			}
			fg := g
			if m := form.Key("Matrix"); m.Len() == 6 {
				fg.ctm = matrixValue(m).mul(g.ctm)
			}
			formRes := form.Key("Resources")
			if formRes.IsNull() {
				formRes = res
			}
			x.runContent(form, formRes, fg, depth+1)
		case "BT":
			tm, tlm = identity, identity
		case "Tc":
			g.tc = num(args, 0)
		case "Tw":
			g.tw = num(args, 0)
		case "Tz":
			g.th = num(args, 0) / 100
		case "TL":
			g.tl = num(args, 0)
		case "Ts":
			g.trise = num(args, 0)
		case "Tf":
			if len(args) == 2 {
				g.font = x.font(fonts, fontRes, args[0].Name())
				g.tfs = args[1].Float64()
			}
		case "Td", "TD":
			if len(args) == 2 {
				if op == "TD" {
					g.tl = -num(args, 1)
				}
				tlm = translate(num(args, 0), num(args, 1)).mul(tlm)
				tm = tlm
			}
		case "Tm":
			if len(args) == 6 {
				tm = matrixArg(args)
				tlm = tm
			}
		case "T*":
			tlm = translate(0, -g.tl).mul(tlm)
			tm = tlm
		case "Tj", "'", "\"":
			if len(args) == 0 {
				return
			}
			if op != "Tj" {
				if op == "\"" && len(args) == 3 {
					g.tw, g.tc = num(args, 0), num(args, 1)
				}
				tlm = translate(0, -g.tl).mul(tlm)
				tm = tlm
			}
			x.show(&g, &tm, args[len(args)-1].RawString())
		case "TJ":
			if len(args) == 0 {
				return
			}
			arr := args[len(args)-1]
			for i := 0; i < arr.Len(); i++ {
				el := arr.Index(i)
				if el.Kind() == pdf.String {
					x.show(&g, &tm, el.RawString())
				} else {
					tm = translate(-el.Float64()/1000*g.tfs*g.th, 0).mul(tm)
				}
			}
		}
	})
}

// show writes one shown string and advances the text matrix past it.
func (x *pdfExtractor) show(g *pdfGState, tm *affine, raw string) {
	if raw == "" {
		return
	}
	f := g.font
	if f == nil {
		f = &pdfFont{}
	}
	m := tm.mul(g.ctm)
	start := affine{g.tfs * g.th, 0, 0, g.tfs, 0, g.trise}.mul(m)
	size := math.Abs(g.tfs) * math.Hypot(m[2], m[3])

	var adv float64
	if f.twoByte {
		for i := 0; i+1 < len(raw); i += 2 {
			adv += (f.width(int(raw[i])<<8|int(raw[i+1]))/1000*g.tfs + g.tc) * g.th
		}
	} else {
		for i := 0; i < len(raw); i++ {
			w := f.width(int(raw[i]))/1000*g.tfs + g.tc
			if raw[i] == ' ' {
				w += g.tw
			}
			adv += w * g.th
		}
	}
	*tm = translate(adv, 0).mul(*tm)
	end := affine{g.tfs * g.th, 0, 0, g.tfs, 0, g.trise}.mul(tm.mul(g.ctm))
	x.place(start[4], start[5], end[4], size, f.decode(raw))
}

// place lays out a decoded string shown at (x0, y0) and ending at x1, in device space:
// a gap along the line becomes a space, a step down one line a line break, and a larger
// step (or a move up, as to a new column) a paragraph break.
func (x *pdfExtractor) place(x0, y0, x1, size float64, s string) {
	if strings.TrimSpace(s) == "" {
		if s != "" && x.have {
			last := &x.lines[len(x.lines)-1]
			last.text = append(last.text, ' ')
			x.lastEndX = x1
		}
		return
	}
	if size < 0.1 || math.IsNaN(size) || math.IsInf(size, 0) {
		size = 1
	}
	brk := 2
	if x.have {
		ref := max(size, x.lastSize)
		dy := x.lastY - y0
		switch {
		case math.Abs(dy) <= 0.5*ref:
			brk = 0
		case dy > 0 && dy <= 1.8*ref:
			brk = 1
		}
	}
	if brk == 0 {
		line := &x.lines[len(x.lines)-1]
		if gap := x0 - x.lastEndX; gap > 0.15*max(size, x.lastSize) || gap < -2*max(size, x.lastSize) {
			line.text = append(line.text, ' ')
		}
		line.text = append(line.text, s...)
	} else {
		x.lines = append(x.lines, pdfLine{text: []byte(s), y: y0, brk: brk})
	}
	if x.pageBytes += len(s); int64(x.pageBytes) > x.b.limit {
		panic(pdfAbort{fmt.Errorf("pdf: page %d: text exceeds %s: %w", x.page, formatBytes(x.b.limit), ErrTooLarge)})
	}
	x.have, x.lastY, x.lastEndX, x.lastSize = true, y0, x1, size
}

// pdfLine is a line of a page's text, with its baseline and whether a line break (1) or
// paragraph break (2) precedes it.
type pdfLine struct {
	text []byte
	y    float64
	brk  int
}

// endPage moves the page's text into the book without its page number (a line holding
// only a number, highest or lowest on the page), which would otherwise interrupt a
// sentence running across pages. Pages are then separated: a page ending a sentence ends
// a paragraph, since chapters start on new pages; otherwise the paragraph most likely
// runs on.
func (x *pdfExtractor) endPage() {
	lines := x.lines
	x.lines, x.have, x.pageBytes = nil, false, 0
	if len(lines) > 1 {
		top, bottom := 0, 0
		for i := range lines {
			if lines[i].y > lines[top].y {
				top = i
			}
			if lines[i].y < lines[bottom].y {
				bottom = i
			}
		}
		for _, i := range []int{top, bottom} {
			if pdfPageNumber.Match(bytes.TrimSpace(lines[i].text)) {
				lines[i].text = nil
			}
		}
	}
	first := true
	for i := range lines {
		text := string(lines[i].text)
		if strings.TrimSpace(text) == "" {
			continue
		}
		switch {
		case first:
		case lines[i].brk == 2:
			x.b.paragraph()
		default:
			x.b.newline()
		}
		first = false
		x.b.inline(text)
	}
	if first {
		return
	}
	if strings.ContainsRune(".!?\"'”’:;)]", x.b.lastRune()) {
		x.b.paragraph()
	} else {
		x.b.newline()
	}
}

// pdfFont is what text layout needs of a font: how to decode its codes and how wide its
// glyphs are.
type pdfFont struct {
	enc     pdf.TextEncoding // nil when the font's mapping is unusable
	twoByte bool             // Type0 fonts use two-byte codes (Identity-H)
	first   int
	widths  []float64
	cids    map[int]float64
	dw      float64
}

// font returns the font named in a content stream's resources, parsing each distinct font
// once per document; local memoises the names of one content stream.
func (x *pdfExtractor) font(local map[string]*pdfFont, fontRes pdf.Value, name string) *pdfFont {
	if f, ok := local[name]; ok {
		return f
	}
	v := fontRes.Key(name)
	key := v.String()
	f, ok := x.fonts[key]
	if !ok {
		f = newPDFFont(v)
		x.fonts[key] = f
	}
	local[name] = f
	return f
}

// newPDFFont reads a font dictionary's encoding and widths. A font too broken to read
// costs only its own text, not the document: it falls back to default widths and
// Windows-1252.
func newPDFFont(v pdf.Value) (f *pdfFont) {
	defer func() {
		if recover() != nil {
			f = &pdfFont{dw: 1000}
		}
	}()
	f = &pdfFont{dw: 1000}
	if v.Kind() != pdf.Dict {
		return f
	}
	if v.Key("Subtype").Name() == "Type0" {
		f.twoByte = true
		desc := v.Key("DescendantFonts").Index(0)
		if dw := desc.Key("DW"); !dw.IsNull() {
			f.dw = dw.Float64()
		}
		f.cids = cidWidths(desc.Key("W"))
	} else {
		f.first = int(v.Key("FirstChar").Int64())
		ws := v.Key("Widths")
		for i := 0; i < ws.Len() && i < pdfMaxWidths; i++ {
			f.widths = append(f.widths, ws.Index(i).Float64())
		}
	}
	if toUnicode := v.Key("ToUnicode"); toUnicode.Kind() == pdf.Stream && !safeCMap(toUnicode) {
		return f
	}
	pf := pdf.Font{V: v}
	f.enc = pf.Encoder()
	return f
}

// cidWidths reads a CIDFont's W array: "c [w1 w2 ...]" gives widths from c on, and
// "c1 c2 w" one width for a range.
func cidWidths(w pdf.Value) map[int]float64 {
	out := make(map[int]float64)
	for i := 0; i < w.Len() && len(out) < pdfMaxWidths; {
		c := int(w.Index(i).Int64())
		next := w.Index(i + 1)
		if next.Kind() == pdf.Array {
			for j := 0; j < next.Len() && len(out) < pdfMaxWidths; j++ {
				out[c+j] = next.Index(j).Float64()
			}
			i += 2
			continue
		}
		last, width := int(next.Int64()), w.Index(i+2).Float64()
		for code := c; code <= last && len(out) < pdfMaxWidths; code++ {
			out[code] = width
		}
		i += 3
	}
	return out
}

// safeCMap vets a ToUnicode CMap before the library parses it: the library allocates as
// many entries as a block declares, so a declared count of a billion would exhaust memory.
func safeCMap(v pdf.Value) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	data, err := io.ReadAll(io.LimitReader(v.Reader(), pdfMaxCMapBytes+1))
	if err != nil || len(data) > pdfMaxCMapBytes {
		return false
	}
	for _, m := range pdfCMapCount.FindAllSubmatch(data, -1) {
		if n, err := strconv.Atoi(string(m[1])); err != nil || n > pdfMaxCMapCount {
			return false
		}
	}
	return true
}

// width returns a glyph's width in thousandths of an em.
func (f *pdfFont) width(code int) float64 {
	if f.twoByte {
		if w, ok := f.cids[code]; ok {
			return w
		}
		return f.dw
	}
	if i := code - f.first; i >= 0 && i < len(f.widths) && f.widths[i] > 0 {
		return f.widths[i]
	}
	return pdfDefaultWidth
}

// decode turns shown bytes into text. Without a usable mapping, single-byte codes are read
// as Windows-1252 (right for most simple fonts) and two-byte glyph ids are dropped, since
// nothing says which characters they draw.
func (f *pdfFont) decode(raw string) (s string) {
	defer func() {
		// A CMap can be malformed in ways the library only finds while decoding.
		if recover() != nil {
			s = ""
		}
	}()
	switch {
	case f.enc != nil:
		s = f.enc.Decode(raw)
	case f.twoByte:
		return ""
	default:
		s = decodeWith(charmap.Windows1252, []byte(raw))
	}
	// Unmapped glyphs decode to U+FFFD, and symbol fonts map bullets and dingbats into
	// the private use area; neither is text.
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r >= 0xE000 && r <= 0xF8FF {
			return -1
		}
		return r
	}, s)
}

// affine is a PDF transformation matrix [a b c d e f].
type affine [6]float64

var identity = affine{1, 0, 0, 1, 0, 0}

// mul returns m × n.
func (m affine) mul(n affine) affine {
	return affine{
		m[0]*n[0] + m[1]*n[2],
		m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2],
		m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4],
		m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func translate(tx, ty float64) affine { return affine{1, 0, 0, 1, tx, ty} }

// matrixArg reads six numeric operands.
func matrixArg(args []pdf.Value) affine {
	var m affine
	for i := range m {
		m[i] = args[i].Float64()
	}
	return m
}

// matrixValue reads a six-number array.
func matrixValue(v pdf.Value) affine {
	var m affine
	for i := range m {
		m[i] = v.Index(i).Float64()
	}
	return m
}

// num returns operand i as a number, or 0.
func num(args []pdf.Value, i int) float64 {
	if i < len(args) {
		return args[i].Float64()
	}
	return 0
}

// popArgs takes an operator's operands off the stack, first operand first.
func popArgs(stk *pdf.Stack) []pdf.Value {
	n := stk.Len()
	args := make([]pdf.Value, n)
	for i := n - 1; i >= 0; i-- {
		args[i] = stk.Pop()
	}
	return args
}
