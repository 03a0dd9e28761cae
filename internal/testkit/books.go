package testkit

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"strings"
	"testing"
)

// Chapter is a chapter of a generated book.
type Chapter struct {
	Title string
	Text  string
}

// ZipOf builds a zip archive of name, content pairs (stored in that order).
func ZipOf(t testing.TB, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		method := zip.Deflate
		if files[i] == "mimetype" {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: files[i], Method: method})
		if err != nil {
			t.Fatalf("testkit: zip: %v", err)
		}
		if _, err := w.Write([]byte(files[i+1])); err != nil {
			t.Fatalf("testkit: zip: %v", err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("testkit: zip: %v", err)
	}
	return buf.Bytes()
}

// EPUB builds an EPUB 3 book whose spine lists the chapters in order (the zip stores
// them in reverse, so a reader that follows the zip order gets them wrong).
func EPUB(t testing.TB, title, author string, chapters ...Chapter) []byte {
	t.Helper()
	var manifest, spine strings.Builder
	files := []string{"mimetype", "application/epub+zip",
		"META-INF/container.xml", `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`}
	var docs []string
	for i, c := range chapters {
		id := fmt.Sprintf("c%d", i+1)
		fmt.Fprintf(&manifest, `<item id="%s" href="%s.xhtml" media-type="application/xhtml+xml"/>`, id, id)
		fmt.Fprintf(&spine, `<itemref idref="%s"/>`, id)
		var body strings.Builder
		for _, p := range strings.Split(c.Text, "\n\n") {
			fmt.Fprintf(&body, "<p>%s</p>\n", html.EscapeString(p))
		}
		docs = append(docs, "OEBPS/"+id+".xhtml", fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>%s</title></head><body><h1>%s</h1>%s</body></html>`,
			html.EscapeString(c.Title), html.EscapeString(c.Title), body.String()))
	}
	files = append(files, "OEBPS/content.opf", fmt.Sprintf(`<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">test</dc:identifier><dc:title>%s</dc:title><dc:creator>%s</dc:creator><dc:language>en</dc:language></metadata><manifest>%s</manifest><spine>%s</spine></package>`,
		html.EscapeString(title), html.EscapeString(author), manifest.String(), spine.String()))
	for i := len(docs) - 2; i >= 0; i -= 2 {
		files = append(files, docs[i], docs[i+1])
	}
	return ZipOf(t, files...)
}

// DOCX builds a Word document: a Heading1 paragraph per chapter title, then its
// paragraphs.
func DOCX(t testing.TB, chapters ...Chapter) []byte {
	t.Helper()
	var body strings.Builder
	for _, c := range chapters {
		fmt.Fprintf(&body, `<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>`, html.EscapeString(c.Title))
		for _, p := range strings.Split(c.Text, "\n\n") {
			fmt.Fprintf(&body, `<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, html.EscapeString(p))
		}
	}
	return ZipOf(t,
		"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`+body.String()+`</w:body></w:document>`)
}

// PDF builds a one-page PDF with one line of Helvetica per entry of lines (ASCII).
func PDF(t testing.TB, lines ...string) []byte {
	t.Helper()
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
	for _, l := range lines {
		esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l)
		fmt.Fprintf(&content, "(%s) Tj T*\n", esc)
	}
	content.WriteString("ET")
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return buf.Bytes()
}
