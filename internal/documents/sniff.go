package documents

import (
	"mime"
	"strings"

	"github.com/literaryai/ensemble/internal/literary/extract"
)

// Media types Ensemble accepts.
const (
	TypePlain    = string(extract.FormatPlain)
	TypeMarkdown = string(extract.FormatMarkdown)
	TypeHTML     = string(extract.FormatHTML)
	TypePDF      = string(extract.FormatPDF)
	TypeEPUB     = string(extract.FormatEPUB)
	TypeDOCX     = string(extract.FormatDOCX)
)

// sniff names the media type of content by reading it, never by trusting the client.
// It returns "" for content Ensemble does not accept.
func sniff(content []byte) string { return string(extract.Sniff(content)) }

// family groups media types that may stand for one another: text files are often declared
// as any of the text types.
func family(mediaType string) string {
	switch mediaType {
	case TypePlain, TypeMarkdown, "text/x-markdown", TypeHTML:
		return "text"
	}
	return mediaType
}

// resolveType reconciles the declared media type with the sniffed one. The declared type
// refines text (plain vs Markdown vs HTML); any other disagreement is a lie.
func resolveType(declared, filename string, sniffed string) (string, bool) {
	d, _, err := mime.ParseMediaType(declared)
	if err != nil || d == "" || d == "application/octet-stream" {
		d = ""
	}
	if d != "" && family(d) != family(sniffed) {
		return "", false
	}
	if family(sniffed) != "text" {
		return sniffed, true
	}
	lower := strings.ToLower(filename)
	switch {
	case d == TypeMarkdown || d == "text/x-markdown" || strings.HasSuffix(lower, ".md") || strings.HasSuffix(lower, ".markdown"):
		return TypeMarkdown, true
	case d == TypeHTML || sniffed == TypeHTML && d == "":
		return TypeHTML, true
	}
	return TypePlain, true
}
