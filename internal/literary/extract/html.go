package extract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// htmlSkipped are elements whose content is not the book's text: scripts, styles,
// navigation (an EPUB's nav is its table of contents, read separately), and embedded
// media whose text nodes are fallbacks or labels.
var htmlSkipped = map[string]bool{
	"script": true, "style": true, "nav": true, "template": true, "noscript": true,
	"svg": true, "math": true, "iframe": true, "object": true, "audio": true, "video": true,
	"canvas": true, "select": true, "button": true, "datalist": true,
}

// htmlParagraphs are block elements: their start and end separate paragraphs.
var htmlParagraphs = map[string]bool{
	"p": true, "div": true, "section": true, "article": true, "main": true, "aside": true,
	"header": true, "footer": true, "blockquote": true, "figure": true, "figcaption": true,
	"address": true, "center": true, "ul": true, "ol": true, "dl": true, "table": true,
	"form": true, "fieldset": true, "details": true, "summary": true, "body": true,
	"h4": true, "h5": true, "h6": true, "hgroup": true, "caption": true, "legend": true,
	"html": true, "pre": true, "hr": true,
}

// htmlHeadOnly are the elements that may appear in <head>; any other ends it.
var htmlHeadOnly = map[string]bool{
	"head": true, "title": true, "meta": true, "link": true, "style": true, "script": true,
	"base": true, "noscript": true, "template": true,
}

// htmlLines are elements that start a new line but not a new paragraph: list items and
// table rows.
var htmlLines = map[string]bool{"li": true, "dt": true, "dd": true, "tr": true}

// htmlHeadings are the heading levels that are chapter candidates.
var htmlHeadings = map[string]int{"h1": 1, "h2": 2, "h3": 3}

// htmlOptions tell the HTML extractor where anchors are wanted, for EPUB tables of contents
// that point at element ids.
type htmlOptions struct {
	docKey  string          // prefix of anchor keys: "OEBPS/ch1.xhtml"
	wantIDs map[string]bool // element ids to anchor as docKey+"#"+id
}

// htmlMeta is the metadata an HTML head carries.
type htmlMeta struct {
	title     string
	author    string
	metaTitle string // from <meta name="dc.title">, used when there is no <title>
}

// maxHTMLTitle bounds the <title> text kept, for documents whose title never closes.
const maxHTMLTitle = 1000

// extractHTMLDocument reads a standalone HTML document.
func extractHTMLDocument(ctx context.Context, data []byte, lim Limits) (*doc, error) {
	if err := checkTextInput("html", data, lim); err != nil {
		return nil, err
	}
	src, enc := decodeHTML(data)
	b := newBuilder(lim.MaxText)
	meta, err := extractHTMLInto(ctx, b, src, htmlOptions{})
	if err != nil {
		return nil, fmt.Errorf("html: %w", err)
	}
	return &doc{b: b, title: meta.title, author: meta.author, encoding: enc}, nil
}

// extractHTMLInto writes the text of an HTML or XHTML document to b. Block elements
// separate paragraphs, <br> breaks lines, whitespace collapses except in <pre>, entities
// are decoded by the tokenizer, and h1–h3 become heading marks. The tokenizer, not the
// tree parser, is used because it streams and never builds a DOM for a huge document; the
// price is that unclosed elements are tracked loosely, which only matters for skipped
// elements and is bounded by counting nested tags of the same name.
func extractHTMLInto(ctx context.Context, b *builder, src string, opt htmlOptions) (htmlMeta, error) {
	var (
		meta      htmlMeta
		title     strings.Builder
		inTitle   bool
		haveTitle bool
		inHead    bool
		skipTag   string
		skipDepth int
		preDepth  int
		tokens    int
	)
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tokens++; tokens%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return meta, err
			}
			if b.err != nil {
				return meta, b.err
			}
		}
		switch tt {
		case html.ErrorToken:
			b.endHeading()
			if err := z.Err(); err != io.EOF {
				return meta, fmt.Errorf("tokenizing: %v: %w", err, ErrCorrupt)
			}
			meta.title = cleanTitle(title.String())
			if meta.title == "" {
				meta.title = meta.metaTitle
			}
			return meta, b.err

		case html.TextToken:
			switch {
			case skipDepth > 0:
			case inTitle:
				if title.Len() < maxHTMLTitle {
					title.Write(z.Text())
				}
			case inHead && len(bytes.TrimSpace(z.Text())) == 0:
			case preDepth > 0:
				inHead = false
				b.verbatim(string(z.Text()))
			default:
				// Text in the head means the body has begun, as browsers take it.
				inHead = false
				b.inline(string(z.Text()))
			}

		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			selfClosing := tt == html.SelfClosingTagToken
			if skipDepth > 0 {
				if tag == skipTag && !selfClosing {
					skipDepth++
				}
				continue
			}
			var id, metaName, metaContent string
			skip := htmlSkipped[tag]
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				switch string(key) {
				case "id":
					id = string(val)
				case "hidden":
					skip = true
				case "epub:type", "role":
					// Page-number markers sit inside the prose and would scatter
					// stray numbers through it.
					if strings.Contains(string(val), "pagebreak") {
						skip = true
					}
				case "name":
					metaName = strings.ToLower(string(val))
				case "content":
					metaContent = string(val)
				}
			}
			if tag == "meta" {
				readMeta(&meta, metaName, metaContent)
			}
			if skip {
				if !selfClosing && !isVoid(tag) {
					skipTag, skipDepth = tag, 1
				}
				continue
			}
			if id != "" && opt.wantIDs[id] {
				b.anchor(opt.docKey + "#" + id)
			}
			if inHead && !htmlHeadOnly[tag] {
				inHead = false // body content without <body>, as browsers take it
			}
			switch {
			case tag == "head":
				inHead = !selfClosing
			case tag == "body":
				inHead = false
				b.paragraph()
			case tag == "title":
				inTitle = !selfClosing && !haveTitle
				haveTitle = true
			case tag == "br":
				b.newline()
			case htmlHeadings[tag] > 0:
				if !selfClosing {
					b.beginHeading(htmlHeadings[tag])
				}
			case tag == "pre":
				b.paragraph()
				if !selfClosing {
					preDepth++
				}
			case htmlParagraphs[tag]:
				b.paragraph()
			case htmlLines[tag]:
				b.newline()
			case tag == "td" || tag == "th":
				b.addSpace()
			}

		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if skipDepth > 0 {
				if tag == skipTag {
					skipDepth--
				}
				continue
			}
			switch {
			case tag == "head":
				inHead = false
			case tag == "title":
				inTitle = false
			case htmlHeadings[tag] > 0:
				b.endHeading()
			case tag == "pre":
				preDepth = max(0, preDepth-1)
				b.paragraph()
			case htmlParagraphs[tag]:
				b.paragraph()
			case htmlLines[tag]:
				b.newline()
			case tag == "td" || tag == "th":
				b.addSpace()
			}
		}
	}
}

// readMeta takes the author, and a title should <title> be missing, from
// <meta name=... content=...>, including the Dublin Core names that e-book tools write.
func readMeta(meta *htmlMeta, name, content string) {
	content = cleanTitle(content)
	switch name {
	case "author", "dc.creator", "dcterms.creator":
		if meta.author == "" {
			meta.author = content
		}
	case "dc.title", "dcterms.title":
		if meta.metaTitle == "" {
			meta.metaTitle = content
		}
	}
}

// isVoid reports elements that never have content or an end tag.
func isVoid(tag string) bool {
	switch tag {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
		"source", "track", "wbr":
		return true
	}
	return false
}
