package documents

import (
	"archive/zip"
	"bytes"
	"mime"
	"net/http"
	"strings"
)

// Media types Ensemble accepts.
const (
	TypePlain    = "text/plain"
	TypeMarkdown = "text/markdown"
	TypeHTML     = "text/html"
	TypePDF      = "application/pdf"
	TypeEPUB     = "application/epub+zip"
	TypeDOCX     = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

// sniff names the media type of content by reading it, never by trusting the client.
// It returns "" for content Ensemble does not accept.
func sniff(content []byte) string {
	switch {
	case bytes.HasPrefix(content, []byte("%PDF-")):
		return TypePDF
	case bytes.HasPrefix(content, []byte("PK\x03\x04")):
		return sniffZip(content)
	}
	detected, _, _ := mime.ParseMediaType(http.DetectContentType(content))
	switch detected {
	case TypeHTML:
		return TypeHTML
	case TypePlain:
		return TypePlain
	}
	return ""
}

// sniffZip tells EPUB (a "mimetype" entry) from DOCX (a word/document.xml part).
func sniffZip(content []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return ""
	}
	for _, f := range zr.File {
		switch f.Name {
		case "mimetype":
			rc, err := f.Open()
			if err != nil {
				return ""
			}
			var buf [64]byte
			n, _ := rc.Read(buf[:])
			_ = rc.Close()
			if strings.TrimSpace(string(buf[:n])) == TypeEPUB {
				return TypeEPUB
			}
		case "word/document.xml":
			return TypeDOCX
		}
	}
	return ""
}

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
