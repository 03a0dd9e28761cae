package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"crypto/md5"
	"crypto/rc4"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"testing"
)

// zipEntry describes one entry of a test archive.
type testEntry struct {
	name  string
	body  string
	store bool // stored rather than deflated, as an EPUB's mimetype must be
}

// buildZip writes entries in the given order.
func buildZip(tb testing.TB, entries []testEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// epubChapter is one XHTML document of a test EPUB.
type epubChapter struct {
	id, file, heading, body string
}

// epubTOC says which table of contents a test EPUB carries.
type epubTOC int

const (
	tocNone epubTOC = iota
	tocNav          // EPUB 3 nav document
	tocNCX          // EPUB 2 NCX
)

// testChapters are written to the zip in the order ch3, ch1, ch2, listed in the manifest
// as ch2, ch3, ch1, and read in the spine as ch1, ch2, ch3, so that only the spine gives
// the right order.
var testChapters = []epubChapter{
	{"c1", "text/ch1.xhtml", "Chapter One", "<p>It was a &ldquo;dark&rdquo; and stormy night.</p><p>The rain fell<br/>in torrents.</p>"},
	{"c2", "text/ch2.xhtml", "Chapter Two", "<p>Morning came &amp; went.</p><span epub:type=\"pagebreak\" id=\"page7\">7</span><p>Nobody noticed.</p>"},
	{"c3", "text/ch3.xhtml", "Chapter Three", "<p>The end was near.</p><script>document.write('no')</script>"},
}

// buildEPUB writes a three-chapter EPUB whose zip, manifest and spine orders all differ.
// drop names a spine document to leave out of the archive.
func buildEPUB(tb testing.TB, toc epubTOC, drop string) []byte {
	tb.Helper()
	xhtml := func(c epubChapter) string {
		return `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>` + c.heading + `</title><style>p { margin: 0 }</style></head>
<body><section><h1 id="` + c.id + `h">` + c.heading + `</h1>` + c.body + `</section></body></html>`
	}
	byID := map[string]epubChapter{}
	for _, c := range testChapters {
		byID[c.id] = c
	}
	manifest := ""
	for _, id := range []string{"c2", "c3", "c1"} {
		manifest += fmt.Sprintf(`<item id="%s" href="%s" media-type="application/xhtml+xml"/>`+"\n", id, byID[id].file)
	}
	spineAttr := ""
	switch toc {
	case tocNav:
		manifest += `<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>` + "\n"
	case tocNCX:
		manifest += `<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>` + "\n"
		spineAttr = ` toc="ncx"`
	}
	manifest += `<item id="cover" href="images/cover.jpg" media-type="image/jpeg"/>` + "\n"
	opf := `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:1</dc:identifier>
<dc:title>The Storm</dc:title>
<dc:creator>Ann Author</dc:creator>
<dc:language>en</dc:language>
</metadata>
<manifest>
` + manifest + `</manifest>
<spine` + spineAttr + `>
<itemref idref="c1"/>
<itemref idref="c2"/>
<itemref idref="c3"/>
</spine>
</package>`
	nav := `<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>Contents</title></head><body>
<nav epub:type="landmarks"><ol><li><a href="text/ch2.xhtml">Landmark, not a chapter</a></li></ol></nav>
<nav epub:type="toc"><h1>Contents</h1><ol>
<li><a href="text/ch1.xhtml#c1h">1. The Storm Begins</a></li>
<li><span>Part Two</span><ol>
<li><a href="text/ch2.xhtml">2. Morning</a></li>
<li><a href="text/ch3.xhtml#c3h">3. The End</a></li>
</ol></li>
</ol></nav></body></html>`
	ncx := `<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
<navMap>
<navPoint id="n1" playOrder="1"><navLabel><text>1. The Storm Begins</text></navLabel><content src="text/ch1.xhtml"/></navPoint>
<navPoint id="n2" playOrder="2"><navLabel><text>2. Morning</text></navLabel><content src="text/ch2.xhtml#c2h"/></navPoint>
<navPoint id="n3" playOrder="3"><navLabel><text>3. The End</text></navLabel><content src="text/ch3.xhtml"/></navPoint>
</navMap></ncx>`

	entries := []testEntry{
		{name: "mimetype", body: "application/epub+zip", store: true},
		{name: "META-INF/container.xml", body: `<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>`},
		{name: "OEBPS/content.opf", body: opf},
	}
	for _, id := range []string{"c3", "c1", "c2"} {
		c := byID[id]
		if "OEBPS/"+c.file == drop {
			continue
		}
		entries = append(entries, testEntry{name: "OEBPS/" + c.file, body: xhtml(c)})
	}
	switch toc {
	case tocNav:
		entries = append(entries, testEntry{name: "OEBPS/nav.xhtml", body: nav})
	case tocNCX:
		entries = append(entries, testEntry{name: "OEBPS/toc.ncx", body: ncx})
	}
	return buildZip(tb, entries)
}

// testDOCXBody is a Word document body exercising what the extractor must handle: split runs,
// tabs, breaks, a localised heading style, a field code, a tracked deletion and a text box
// stored twice (Choice and Fallback).
const testDOCXBody = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
<w:body>
<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>The Long Road</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="berschrift1"/></w:pPr><w:r><w:t>Chapter 1</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Hel</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>lo, world.</w:t></w:r><w:r><w:tab/><w:t>Tabbed.</w:t></w:r><w:r><w:br/><w:t>New line.</w:t></w:r></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>Kept</w:t></w:r><w:del w:id="1"><w:r><w:delText>Deleted</w:delText></w:r></w:del><w:r><w:t xml:space="preserve"> text.</w:t></w:r></w:p>
<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>Boxed once.</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Boxed twice.</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="berschrift1"/></w:pPr><w:r><w:t>Chapter 2</w:t></w:r></w:p>
<w:p><w:r><w:t>The road went on.</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell text.</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>`

// buildDOCX writes a DOCX; body replaces the document part when non-empty.
func buildDOCX(tb testing.TB, body string) []byte {
	tb.Helper()
	if body == "" {
		body = testDOCXBody
	}
	return buildZip(tb, []testEntry{
		{name: "[Content_Types].xml", body: `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`},
		{name: "_rels/.rels", body: `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`},
		{name: "word/styles.xml", body: `<?xml version="1.0" encoding="UTF-8"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>
<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Standard"><w:name w:val="Normal"/></w:style>
</w:styles>`},
		{name: "docProps/core.xml", body: `<?xml version="1.0" encoding="UTF-8"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>The Long Road</dc:title><dc:creator>Bea Writer</dc:creator></cp:coreProperties>`},
		{name: "word/document.xml", body: body},
	})
}

// pdfSpec describes a test PDF.
type pdfSpec struct {
	pages    []string // content streams
	compress bool     // FlateDecode the content streams
	trailer  string   // extra trailer entries, such as /Encrypt
	version  string   // header version, "1.4" by default
	// rc4 encrypts the file with the standard security handler, revision 3 (128-bit
	// RC4), an owner password and an empty user password: the copy-protection that
	// lets anyone open the file.
	rc4 bool
}

// pdfPadding is the password padding of the PDF standard security handler.
var pdfPadding = []byte{
	0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
}

// rc4Crypt encrypts (or decrypts) data with RC4.
func rc4Crypt(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// pdfRC4 holds the revision 3 security handler's values for an empty user password.
type pdfRC4 struct {
	o, u, key []byte
	id        string
}

// md5Rounds hashes data, then re-hashes the digest 50 times, as revision 3 does.
func md5Rounds(data ...[]byte) []byte {
	h := md5.New()
	for _, d := range data {
		h.Write(d)
	}
	sum := h.Sum(nil)
	for range 50 {
		next := md5.Sum(sum)
		sum = next[:]
	}
	return sum
}

// rc4Rounds encrypts data with key, then 19 more times with key XOR the round number.
func rc4Rounds(key, data []byte) []byte {
	out := rc4Crypt(key, data)
	for i := 1; i <= 19; i++ {
		k := make([]byte, len(key))
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		out = rc4Crypt(k, out)
	}
	return out
}

func newPDFRC4() pdfRC4 {
	const id = "0123456789abcdef"
	o := rc4Rounds(md5Rounds(append([]byte("owner"), pdfPadding[:32-len("owner")]...)), pdfPadding)
	key := md5Rounds(pdfPadding, o, []byte{0xfc, 0xff, 0xff, 0xff}, []byte(id)) // P = -4
	check := md5.Sum(append(append([]byte(nil), pdfPadding...), id...))
	u := append(rc4Rounds(key, check[:]), pdfPadding[:16]...)
	return pdfRC4{o: o, u: u, key: key, id: id}
}

// objectKey derives the key for one object's strings and streams.
func (e pdfRC4) objectKey(num int) []byte {
	k := md5.Sum(append(append([]byte(nil), e.key...), byte(num), byte(num>>8), byte(num>>16), 0, 0))
	return k[:]
}

func helveticaWidths() string {
	var sb strings.Builder
	for c := 32; c <= 126; c++ {
		w := 556
		switch {
		case c == ' ':
			w = 278
		case c >= 'A' && c <= 'Z':
			w = 667
		case strings.ContainsRune("iljft.,;:'!", rune(c)):
			w = 278
		case c == 'm' || c == 'w':
			w = 833
		}
		fmt.Fprintf(&sb, "%d ", w)
	}
	return sb.String()
}

// buildPDF writes a PDF with one Helvetica font (WinAnsiEncoding) inherited from the page
// tree, an info dictionary and a classic cross-reference table.
func buildPDF(tb testing.TB, spec pdfSpec) []byte {
	tb.Helper()
	version := spec.version
	if version == "" {
		version = "1.4"
	}
	n := len(spec.pages)
	// Objects: 1 catalog, 2 page tree, 3 font, 4 info, then a page and its content per page.
	objs := make([]string, 4+2*n)
	kids := ""
	for i := range spec.pages {
		kids += fmt.Sprintf("%d 0 R ", 5+2*i)
	}
	objs[0] = "<< /Type /Catalog /Pages 2 0 R >>"
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 612 792] >>", kids, n)
	objs[2] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 126 /Widths [" + helveticaWidths() + "] >>"
	objs[3] = "<< /Title (The Test Book) /Author (Dee Writer) >>"
	var enc pdfRC4
	if spec.rc4 {
		enc = newPDFRC4()
		k := enc.objectKey(4)
		objs[3] = fmt.Sprintf("<< /Title <%x> /Author <%x> >>", rc4Crypt(k, []byte("The Test Book")), rc4Crypt(k, []byte("Dee Writer")))
		spec.trailer += fmt.Sprintf("/Encrypt << /Filter /Standard /V 2 /R 3 /Length 128 /O <%x> /U <%x> /P -4 >> /ID [(%s) (%s)] ", enc.o, enc.u, enc.id, enc.id)
	}
	for i, content := range spec.pages {
		objs[4+2*i] = fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", 6+2*i)
		data := []byte(content)
		filter := ""
		if spec.compress {
			var zb bytes.Buffer
			zw := zlib.NewWriter(&zb)
			zw.Write(data)
			zw.Close()
			data, filter = zb.Bytes(), " /Filter /FlateDecode"
		}
		if spec.rc4 {
			data = rc4Crypt(enc.objectKey(6+2*i), data)
		}
		objs[5+2*i] = fmt.Sprintf("<< /Length %d%s >>\nstream\n%s\nendstream", len(data), filter, data)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, spec.trailer, xref)
	return buf.Bytes()
}

// testPDFPages is a two-chapter book: words placed separately and kerned with TJ, curly
// quotes in WinAnsi octal, a paragraph gap, page numbers to drop, and a chapter per page.
var testPDFPages = []string{
	`BT /F1 18 Tf 72 720 Td (Chapter 1) Tj ET
BT /F1 12 Tf 72 680 Td [(It) -250 (was) -250 (a) -250 (\223dark\224) -250 (night.)] TJ
0 -14 Td [(The r) 20 (ain fell) ( in torrents,)] TJ
0 -14 Td (and the wind howled around the old house all night long.) Tj ET
BT /F1 12 Tf 72 620 Td (A new paragraph starts here.) Tj ET
BT /F1 12 Tf 1 0 0 1 72 606 Tm (Same paragraph, next line.) Tj ET
BT /F1 10 Tf 300 40 Td (- 1 -) Tj ET`,
	`BT /F1 18 Tf 72 720 Td (Chapter 2) Tj ET
BT /F1 10 Tf 540 760 Td (2) Tj ET
BT /F1 12 Tf 14 TL 72 680 Td (Morning came.) Tj T* (Nobody noticed.) Tj ET`,
}

var (
	zeroBombOnce sync.Once
	zeroBombData []byte
	zeroBombCRC  uint32
)

// zeroBomb returns a raw deflate stream of 1 GiB of zeros (about 1 MB) and its CRC-32. It
// is built without compressing a gigabyte: after the first mebibyte, the compressed form of
// each further mebibyte of zeros is the same sync-flushed block sequence, so it is
// repeated.
func zeroBomb(tb testing.TB) ([]byte, uint32) {
	tb.Helper()
	zeroBombOnce.Do(func() {
		const chunk = 1 << 20
		zeros := make([]byte, chunk)
		var out bytes.Buffer
		fw, _ := flate.NewWriter(&out, flate.BestCompression)
		fw.Write(zeros)
		fw.Flush()
		first := out.Len()
		fw.Write(zeros)
		fw.Flush()
		repeat := append([]byte(nil), out.Bytes()[first:]...)
		for i := 2; i < 1<<10; i++ {
			out.Write(repeat)
		}
		// An empty final block ends the stream.
		var tailBuf bytes.Buffer
		tw, _ := flate.NewWriter(&tailBuf, flate.BestCompression)
		tw.Close()
		out.Write(tailBuf.Bytes())
		zeroBombData = out.Bytes()

		crc := crc32.NewIEEE()
		for range 1 << 10 {
			crc.Write(zeros)
		}
		zeroBombCRC = crc.Sum32()
	})
	return zeroBombData, zeroBombCRC
}

// buildBombZip writes an archive whose entry name holds 1 GiB of zeros, declared honestly,
// after the given ordinary entries.
func buildBombZip(tb testing.TB, entries []testEntry, name string) []byte {
	tb.Helper()
	data, crc := zeroBomb(tb)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			tb.Fatal(err)
		}
		io.WriteString(w, e.body)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		CRC32:              crc,
		CompressedSize64:   uint64(len(data)),
		UncompressedSize64: 1 << 30,
	})
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
