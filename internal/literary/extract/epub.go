package extract

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// opfPackage is the part of an EPUB package document (OPF) that matters here. Tags without
// a namespace match any namespace, so "title" matches dc:title.
type opfPackage struct {
	Titles   []string `xml:"metadata>title"`
	Creators []string `xml:"metadata>creator"`
	Items    []struct {
		ID         string `xml:"id,attr"`
		Href       string `xml:"href,attr"`
		MediaType  string `xml:"media-type,attr"`
		Properties string `xml:"properties,attr"`
	} `xml:"manifest>item"`
	Spine struct {
		TOC   string `xml:"toc,attr"`
		Items []struct {
			IDRef  string `xml:"idref,attr"`
			Linear string `xml:"linear,attr"`
		} `xml:"itemref"`
	} `xml:"spine"`
}

// tocEntry is one entry of an EPUB table of contents (EPUB 3 nav or EPUB 2 NCX).
type tocEntry struct {
	path   string // archive path of the target document
	frag   string // element id within it, or ""
	title  string
	parent bool // the entry has entries nested under it
}

// extractEPUB reads an EPUB: container.xml names the package document, whose spine gives
// the reading order of XHTML documents in its manifest. Each document goes through the HTML
// extractor. Chapters come from the table of contents when it has one, otherwise from each
// document's first heading.
func extractEPUB(ctx context.Context, data []byte, lim Limits) (*doc, error) {
	z, err := openZip(data, "epub", lim)
	if err != nil {
		return nil, err
	}
	return readEPUB(ctx, z)
}

// readEPUB reads an opened EPUB archive; see extractEPUB.
func readEPUB(ctx context.Context, z *zipBox) (*doc, error) {
	opfPath, err := findOPF(z)
	if err != nil {
		return nil, err
	}
	opfData, err := z.read(opfPath)
	if err != nil {
		if errors.Is(err, errMissing) {
			return nil, fmt.Errorf("epub: package document %s missing: %w", opfPath, ErrCorrupt)
		}
		return nil, err
	}
	var pkg opfPackage
	if err := newXMLDecoder(opfData).Decode(&pkg); err != nil {
		return nil, fmt.Errorf("epub: package document %s unreadable (%v): %w", opfPath, err, ErrCorrupt)
	}

	type item struct{ path, mediaType, properties string }
	manifest := make(map[string]item, len(pkg.Items))
	var navPath, ncxPath string
	for _, it := range pkg.Items {
		p, _ := resolveHref(opfPath, it.Href)
		manifest[it.ID] = item{p, it.MediaType, it.Properties}
		if navPath == "" && hasToken(it.Properties, "nav") {
			navPath = p
		}
		if it.MediaType == "application/x-dtbncx+xml" && ncxPath == "" {
			ncxPath = p
		}
	}
	if it, ok := manifest[pkg.Spine.TOC]; ok && pkg.Spine.TOC != "" {
		ncxPath = it.path
	}

	var spine []string
	for _, ref := range pkg.Spine.Items {
		if ref.Linear == "no" {
			// Non-linear items (footnotes, answer keys) are outside the reading order.
			continue
		}
		it, ok := manifest[ref.IDRef]
		if !ok {
			return nil, fmt.Errorf("epub: spine itemref %q is not in the manifest: %w", ref.IDRef, ErrCorrupt)
		}
		if !isXHTML(it.mediaType, it.path) {
			continue // images and SVG pages hold no prose
		}
		if !z.has(it.path) {
			return nil, fmt.Errorf("epub: spine item %s missing: %w", it.path, ErrCorrupt)
		}
		spine = append(spine, it.path)
	}
	if len(spine) == 0 {
		return nil, fmt.Errorf("epub: spine lists no XHTML documents: %w", ErrCorrupt)
	}
	if err := z.reserve("the spine's documents", spine); err != nil {
		return nil, err
	}

	toc := readEPUBTOC(z, navPath, ncxPath)
	wanted := make(map[string]map[string]bool)
	for _, e := range toc {
		if e.frag == "" {
			continue
		}
		if wanted[e.path] == nil {
			wanted[e.path] = make(map[string]bool)
		}
		wanted[e.path][e.frag] = true
	}

	d := &doc{b: newBuilder(z.lim.MaxText), encoding: encUTF8}
	b := d.b
	type firstHeading struct{ doc, title string }
	var firstHeadings []firstHeading
	for _, p := range spine {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("epub: %w", err)
		}
		raw, err := z.read(p)
		if err != nil {
			return nil, err
		}
		src, _ := decodeHTML(raw)
		b.paragraph()
		b.anchor(p)
		before := len(b.marks)
		if _, err := extractHTMLInto(ctx, b, src, htmlOptions{docKey: p, wantIDs: wanted[p]}); err != nil {
			return nil, fmt.Errorf("epub: %s: %w", p, err)
		}
		if len(b.marks) > before {
			firstHeadings = append(firstHeadings, firstHeading{doc: p, title: b.marks[before].title})
		}
	}
	b.finishAnchors()

	d.explicit = tocMarks(toc, b.anchors)
	if len(d.explicit) < 2 {
		// Each spine document's first heading names the chapter that document holds;
		// the chapter starts where the document does, so an epigraph before the heading
		// belongs to it.
		d.explicit = nil
		for _, h := range firstHeadings {
			if off, ok := b.anchors[h.doc]; ok {
				d.explicit = append(d.explicit, mark{off: off, level: 1, title: h.title})
			}
		}
		d.explicit = sortMarks(d.explicit)
		if len(d.explicit) < len(spine)/2 {
			// Most documents have no heading: the book is split into files by size,
			// not by chapter, so let the headings or text patterns decide instead.
			d.explicit = nil
		}
	}
	if len(pkg.Titles) > 0 {
		d.title = cleanTitle(pkg.Titles[0])
	}
	var creators []string
	for _, c := range pkg.Creators {
		if c = cleanTitle(c); c != "" {
			creators = append(creators, c)
		}
	}
	d.author = strings.Join(creators, ", ")
	return d, nil
}

// findOPF returns the package document's path from META-INF/container.xml. An archive
// without one but with exactly one .opf file is accepted, as reading systems do.
func findOPF(z *zipBox) (string, error) {
	data, err := z.read("META-INF/container.xml")
	if err != nil && !errors.Is(err, errMissing) {
		return "", err
	}
	if err == nil {
		var c struct {
			Rootfiles []struct {
				FullPath  string `xml:"full-path,attr"`
				MediaType string `xml:"media-type,attr"`
			} `xml:"rootfiles>rootfile"`
		}
		if err := newXMLDecoder(data).Decode(&c); err != nil {
			return "", fmt.Errorf("epub: META-INF/container.xml unreadable (%v): %w", err, ErrCorrupt)
		}
		for _, r := range c.Rootfiles {
			if r.FullPath != "" && (r.MediaType == "" || r.MediaType == "application/oebps-package+xml") {
				return strings.TrimPrefix(r.FullPath, "/"), nil
			}
		}
		return "", fmt.Errorf("epub: META-INF/container.xml names no package document: %w", ErrCorrupt)
	}
	var found []string
	for name := range z.files {
		if strings.HasSuffix(strings.ToLower(name), ".opf") {
			found = append(found, name)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return "", fmt.Errorf("epub: META-INF/container.xml missing: %w", ErrCorrupt)
}

// readEPUBTOC reads the table of contents, preferring the EPUB 3 nav document to the EPUB
// 2 NCX. A table of contents that cannot be read is ignored: the book is still readable,
// and chapters then come from headings.
func readEPUBTOC(z *zipBox, navPath, ncxPath string) []tocEntry {
	if navPath != "" {
		if data, err := z.read(navPath); err == nil {
			src, _ := decodeHTML(data)
			if toc := parseNav(navPath, src); len(toc) > 0 {
				return toc
			}
		}
	}
	if ncxPath != "" {
		if data, err := z.read(ncxPath); err == nil {
			return parseNCX(ncxPath, data)
		}
	}
	return nil
}

// parseNav reads the links of an EPUB 3 nav document's table of contents: the nav element
// whose epub:type is "toc", or the first nav when none is typed.
func parseNav(navPath, src string) []tocEntry {
	typed := false
	z := html.NewTokenizer(strings.NewReader(src))
	for tt := z.Next(); tt != html.ErrorToken && !typed; tt = z.Next() {
		if tt != html.StartTagToken {
			continue
		}
		if name, hasAttr := z.TagName(); string(name) == "nav" {
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				typed = typed || string(k) == "epub:type" && hasToken(string(v), "toc")
			}
		}
	}

	var (
		toc      []tocEntry
		navDepth int
		isTOC    bool
		liStack  []int // per open <li>, the index of its entry or -1
		inLink   bool
		href     string
		text     strings.Builder
	)
	z = html.NewTokenizer(strings.NewReader(src))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		switch tt {
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			switch {
			case tag == "nav":
				if navDepth == 0 {
					isTOC = !typed || hasToken(attrs["epub:type"], "toc")
				}
				navDepth++
			case navDepth == 0 || !isTOC:
			case tag == "li":
				liStack = append(liStack, -1)
			case tag == "ol" || tag == "ul":
				// A list inside an entry's item holds its children.
				if n := len(liStack); n > 0 && liStack[n-1] >= 0 {
					toc[liStack[n-1]].parent = true
				}
			case tag == "a":
				inLink, href = true, attrs["href"]
				text.Reset()
			}
		case html.TextToken:
			if inLink && text.Len() < maxTitleBytes {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "nav":
				if navDepth--; navDepth == 0 && isTOC {
					return toc
				}
			case "li":
				if n := len(liStack); n > 0 {
					liStack = liStack[:n-1]
				}
			case "a":
				if !inLink {
					continue
				}
				inLink = false
				if p, frag := resolveHref(navPath, href); p != "" {
					toc = append(toc, tocEntry{path: p, frag: frag, title: cleanTitle(text.String())})
					if n := len(liStack); n > 0 && liStack[n-1] < 0 {
						liStack[n-1] = len(toc) - 1
					}
				}
			}
		}
	}
	return toc
}

// parseNCX reads the navPoints of an EPUB 2 NCX file in document order.
func parseNCX(ncxPath string, data []byte) []tocEntry {
	var (
		toc    []tocEntry
		points []int // per open navPoint, the index of its entry or -1
		inText bool
		label  strings.Builder
	)
	dec := newXMLDecoder(data)
	for {
		tok, err := dec.Token()
		if err != nil {
			// A truncated NCX still yields the entries before the damage.
			return toc
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "navPoint":
				if n := len(points); n > 0 && points[n-1] >= 0 {
					toc[points[n-1]].parent = true
				}
				points = append(points, -1)
				label.Reset()
			case "text":
				inText = true
			case "content":
				p, frag := resolveHref(ncxPath, attr(t, "src"))
				if n := len(points); p != "" && n > 0 && points[n-1] < 0 {
					toc = append(toc, tocEntry{path: p, frag: frag, title: cleanTitle(label.String())})
					points[n-1] = len(toc) - 1
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "navPoint":
				if n := len(points); n > 0 {
					points = points[:n-1]
				}
			case "text":
				inText = false
			}
		case xml.CharData:
			if inText && label.Len() < maxTitleBytes {
				label.Write(t)
			}
		}
	}
}

// tocMarks turns table-of-contents entries into chapter marks. Only leaves count: in a
// nested table ("Part One" > "Chapter 1") the leaves are the chapters, and the parts'
// positions coincide with their first chapters anyway. Entries whose target is not in the
// text are dropped.
func tocMarks(toc []tocEntry, anchors map[string]int) []mark {
	var marks []mark
	for _, e := range toc {
		if e.parent {
			continue
		}
		off, ok := anchors[e.path+"#"+e.frag]
		if !ok || e.frag == "" {
			off, ok = anchors[e.path]
		}
		if !ok || e.title == "" {
			continue
		}
		marks = append(marks, mark{off: off, level: 1, title: e.title})
	}
	return sortMarks(marks)
}

// sortMarks orders marks by offset and keeps the first of any at the same offset.
func sortMarks(marks []mark) []mark {
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].off < marks[j].off })
	out := marks[:0]
	for i, m := range marks {
		if i > 0 && m.off == marks[i-1].off {
			continue
		}
		out = append(out, m)
	}
	return out
}

// resolveHref resolves a link in the document at base to an archive path and fragment.
// Links are URL-encoded ("chapter%201.xhtml"); links to other sites resolve to "".
func resolveHref(base, href string) (string, string) {
	href = strings.TrimSpace(href)
	frag := ""
	if i := strings.IndexByte(href, '#'); i >= 0 {
		href, frag = href[:i], href[i+1:]
	}
	if u, err := url.Parse(href); err == nil && (u.Scheme != "" || u.Host != "") {
		return "", ""
	}
	if p, err := url.PathUnescape(href); err == nil {
		href = p
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	if href == "" {
		return base, frag // a link within the same document
	}
	if strings.HasPrefix(href, "/") {
		return path.Clean(href[1:]), frag
	}
	return path.Join(path.Dir(base), href), frag
}

// isXHTML reports manifest items that are (X)HTML documents.
func isXHTML(mediaType, p string) bool {
	switch strings.ToLower(strings.TrimSpace(mediaType)) {
	case "application/xhtml+xml", "text/html", "application/html":
		return true
	case "":
		ext := strings.ToLower(path.Ext(p))
		return ext == ".xhtml" || ext == ".html" || ext == ".htm"
	}
	return false
}

// hasToken reports whether the space-separated list s contains tok.
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if f == tok {
			return true
		}
	}
	return false
}

// newXMLDecoder returns a decoder for a package XML file. UTF-16 files are converted first,
// since encoding/xml reads only UTF-8; other declared charsets are converted as they are
// read.
func newXMLDecoder(data []byte) *xml.Decoder {
	if bytes.HasPrefix(data, bomUTF16LE) || bytes.HasPrefix(data, bomUTF16BE) || utf16ByNULs(data) != "" {
		s, _ := decodeText(data)
		dec := xml.NewDecoder(strings.NewReader(s))
		// The prolog still says UTF-16, but the bytes are UTF-8 now.
		dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
		return dec
	}
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, bomUTF8)))
	dec.CharsetReader = charset.NewReaderLabel
	return dec
}
