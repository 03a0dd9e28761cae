package extract

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/net/html/charset"
)

// docxMain is where Word keeps the document body; _rels/.rels may name another part.
const docxMain = "word/document.xml"

// docxSkipped are WordprocessingML elements whose text is not part of the visible body:
// field instructions ({ PAGE }), the old side of a tracked move, and the fallback copy of
// content that markup-compatibility blocks hold twice (text boxes, drawings).
var docxSkipped = map[string]bool{"instrText": true, "moveFrom": true, "Fallback": true, "delInstrText": true}

// extractDOCX reads a Word document: the main part is streamed through encoding/xml, each
// paragraph (w:p) becoming a line of text separated from the next by a blank line, with
// w:t text, w:tab tabs and w:br breaks. Paragraphs styled Title, Heading 1 or Heading 2
// become heading marks. The title and author come from docProps/core.xml.
func extractDOCX(ctx context.Context, data []byte, lim Limits) (*doc, error) {
	z, err := openZip(data, "docx", lim)
	if err != nil {
		return nil, err
	}
	main := docxMainPart(z)
	styles, err := docxStyles(z)
	if err != nil {
		return nil, err
	}
	d := &doc{b: newBuilder(lim.MaxText), encoding: encUTF8}
	if err := docxCore(z, d); err != nil {
		return nil, err
	}
	r, closer, err := z.stream(main)
	if err != nil {
		if errors.Is(err, errMissing) {
			return nil, fmt.Errorf("docx: %s missing: %w", main, ErrCorrupt)
		}
		return nil, err
	}
	defer closer.Close()
	titleFromBody, err := docxBody(ctx, d.b, r, styles)
	if err != nil {
		return nil, err
	}
	if d.title == "" {
		d.title = titleFromBody
	}
	return d, nil
}

// docxParagraph collects one paragraph's text until its end tag.
type docxParagraph struct {
	text    strings.Builder
	style   string
	outline int // w:outlineLvl + 1, or 0 when not set
}

// docxBody streams the main document part into b and returns the text of the first
// Title-styled paragraph.
func docxBody(ctx context.Context, b *builder, r io.Reader, styles map[string]int) (string, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charset.NewReaderLabel
	var (
		stack     []*docxParagraph // paragraphs nest inside text boxes
		inText    bool
		skipDepth int
		tokens    int
		title     string
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported) {
				return "", err
			}
			return "", fmt.Errorf("docx: document body is not well-formed XML (%v): %w", err, ErrCorrupt)
		}
		if tokens++; tokens%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return "", fmt.Errorf("docx: %w", err)
			}
			if b.err != nil {
				return "", fmt.Errorf("docx: %w", b.err)
			}
		}
		var cur *docxParagraph
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skipDepth > 0 || docxSkipped[t.Name.Local] {
				skipDepth++
				continue
			}
			switch t.Name.Local {
			case "p":
				stack = append(stack, &docxParagraph{})
			case "pStyle":
				if cur != nil {
					cur.style = attr(t, "val")
				}
			case "outlineLvl":
				if cur != nil {
					cur.outline = outlineLevel(attr(t, "val"))
				}
			case "t":
				inText = true
			case "tab", "ptab":
				if cur != nil {
					cur.text.WriteByte('\t')
				}
			case "br", "cr":
				if cur != nil {
					cur.text.WriteByte('\n')
				}
			case "noBreakHyphen":
				if cur != nil {
					cur.text.WriteByte('-')
				}
			}
		case xml.EndElement:
			if skipDepth > 0 {
				skipDepth--
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if cur == nil {
					continue
				}
				stack = stack[:len(stack)-1]
				level := styles[cur.style]
				if _, known := styles[cur.style]; !known {
					level = headingLevelByName(cur.style)
				}
				if cur.outline > 0 {
					level = cur.outline
				}
				if s := writeDOCXParagraph(b, cur.text.String(), level); level == 1 && title == "" {
					title = s
				}
			}
		case xml.CharData:
			if inText && skipDepth == 0 && cur != nil {
				cur.text.Write(t)
			}
		}
	}
	b.endHeading()
	if b.err != nil {
		return "", fmt.Errorf("docx: %w", b.err)
	}
	return title, nil
}

// writeDOCXParagraph writes one paragraph, as a heading mark when level is 1–3, and
// returns its cleaned text when it is a heading.
func writeDOCXParagraph(b *builder, text string, level int) string {
	if level >= 1 && level <= 3 {
		b.beginHeading(level)
		b.inline(text)
		title := ""
		if b.headStart >= 0 {
			title = cleanTitle(b.String()[b.headStart:])
		}
		b.endHeading()
		return title
	}
	b.paragraph()
	for i, seg := range strings.Split(text, "\n") {
		if i > 0 {
			b.newline()
		}
		b.inline(seg)
	}
	b.paragraph()
	return ""
}

// docxMainPart finds the main document part through the package relationships, falling
// back to the usual name.
func docxMainPart(z *zipBox) string {
	data, err := z.read("_rels/.rels")
	if err != nil {
		return docxMain
	}
	var rels struct {
		Items []struct {
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if newXMLDecoder(data).Decode(&rels) != nil {
		return docxMain
	}
	for _, r := range rels.Items {
		if strings.HasSuffix(r.Type, "/officeDocument") && r.Target != "" {
			p := path.Clean(strings.TrimPrefix(r.Target, "/"))
			if z.has(p) {
				return p
			}
		}
	}
	return docxMain
}

// docxStyles maps paragraph style ids to heading levels (1 Title, 2 Heading 1, 3 Heading 2,
// 0 otherwise) by the styles' names, because ids are localised ("berschrift1" in German
// Word) while names are not. A missing or unreadable styles part is not fatal: ids are
// then matched as names.
func docxStyles(z *zipBox) (map[string]int, error) {
	styles := map[string]int{}
	data, err := z.read("word/styles.xml")
	if err != nil {
		if errors.Is(err, errMissing) || errors.Is(err, ErrCorrupt) {
			return styles, nil
		}
		return nil, err
	}
	var doc struct {
		Styles []struct {
			Type    string   `xml:"type,attr"`
			ID      string   `xml:"styleId,attr"`
			Name    attrVal  `xml:"name"`
			Outline *attrVal `xml:"pPr>outlineLvl"`
		} `xml:"style"`
	}
	if newXMLDecoder(data).Decode(&doc) != nil {
		return styles, nil
	}
	for _, s := range doc.Styles {
		if s.Type != "" && s.Type != "paragraph" {
			continue
		}
		level := headingLevelByName(s.Name.Val)
		if level == 0 && s.Outline != nil {
			level = outlineLevel(s.Outline.Val)
		}
		styles[s.ID] = level
	}
	return styles, nil
}

// attrVal is an element whose w:val attribute is its value.
type attrVal struct {
	Val string `xml:"val,attr"`
}

// headingLevelByName maps a style name or id to a heading level.
func headingLevelByName(name string) int {
	n := strings.ReplaceAll(strings.ToLower(name), " ", "")
	switch n {
	case "title":
		return 1
	case "heading1":
		return 2
	case "heading2":
		return 3
	}
	return 0
}

// outlineLevel maps w:outlineLvl (0 for the top level) to a heading level.
func outlineLevel(v string) int {
	switch v {
	case "0":
		return 2
	case "1":
		return 3
	}
	return 0
}

// docxCore reads the title and author from docProps/core.xml, if present and readable.
func docxCore(z *zipBox, d *doc) error {
	data, err := z.read("docProps/core.xml")
	if err != nil {
		if errors.Is(err, errMissing) || errors.Is(err, ErrCorrupt) {
			return nil
		}
		return err
	}
	var core struct {
		Title   string `xml:"title"`
		Creator string `xml:"creator"`
	}
	if newXMLDecoder(data).Decode(&core) == nil {
		d.title = cleanTitle(core.Title)
		d.author = cleanTitle(core.Creator)
	}
	return nil
}

// attr returns the value of the attribute with the given local name.
func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
