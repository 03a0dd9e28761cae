package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Encoding names reported in Book.Encoding.
const (
	encUTF8    = "utf-8"
	encUTF16LE = "utf-16le"
	encUTF16BE = "utf-16be"
	encCP1252  = "windows-1252"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeText decodes the bytes of a text file to UTF-8 and names the encoding it found:
//   - a byte-order mark decides (UTF-8, UTF-16 LE or BE) and is dropped;
//   - UTF-16 without a mark shows itself by NUL bytes on one side of each byte pair, since
//     the ASCII characters every text has (spaces, newlines, punctuation) carry a zero
//     high byte;
//   - valid UTF-8 is UTF-8;
//   - invalid UTF-8 that is mostly well-formed multi-byte sequences is UTF-8 with some
//     damage, so the bad bytes become U+FFFD rather than turning every accent into
//     mojibake;
//   - anything else is Windows-1252, the superset of Latin-1 that old e-texts use (its
//     0x93/0x94 are curly quotes).
//
// Line ends and control characters are left for the builder to clean.
func decodeText(data []byte) (string, string) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return validUTF8(data[3:]), encUTF8
	case bytes.HasPrefix(data, bomUTF16LE):
		return decodeUTF16(data[2:], unicode.LittleEndian), encUTF16LE
	case bytes.HasPrefix(data, bomUTF16BE):
		return decodeUTF16(data[2:], unicode.BigEndian), encUTF16BE
	}
	switch utf16ByNULs(data) {
	case encUTF16LE:
		return decodeUTF16(data, unicode.LittleEndian), encUTF16LE
	case encUTF16BE:
		return decodeUTF16(data, unicode.BigEndian), encUTF16BE
	}
	if utf8.Valid(data) {
		return string(data), encUTF8
	}
	if mostlyUTF8(data) {
		return validUTF8(data), encUTF8
	}
	return decodeWith(charmap.Windows1252, data), encCP1252
}

// decodeHTML decodes an HTML document: a byte-order mark or a UTF-16 pattern first, then
// valid UTF-8, and only when the bytes are not UTF-8 the charset its <meta> declares (HTML
// pages saved from the web often declare ISO-8859-x or Shift_JIS honestly).
func decodeHTML(data []byte) (string, string) {
	if bytes.HasPrefix(data, bomUTF8) || bytes.HasPrefix(data, bomUTF16LE) ||
		bytes.HasPrefix(data, bomUTF16BE) || utf16ByNULs(data) != "" || utf8.Valid(data) {
		return decodeText(data)
	}
	// DetermineEncoding prescans the first 1024 bytes for <meta charset> or
	// http-equiv Content-Type; it answers windows-1252 when there is none.
	enc, name, _ := charset.DetermineEncoding(data, "")
	if enc == nil || name == encUTF8 || name == encCP1252 {
		// A page claiming UTF-8 with invalid bytes, or claiming nothing: the general
		// heuristic tells damaged UTF-8 from Windows-1252.
		return decodeText(data)
	}
	return decodeWith(enc, data), name
}

// utf16ByNULs guesses BOM-less UTF-16 from where the NUL bytes fall in the first 4 KiB,
// returning "" when the pattern is absent.
func utf16ByNULs(data []byte) string {
	n := min(len(data), 4096) &^ 1
	pairs := n / 2
	if pairs < 2 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			even++
		}
		if data[i+1] == 0 {
			odd++
		}
	}
	// Binary data has NULs at both parities alike; UTF-16 text has them at one, in at
	// least the fifth of its characters that are spaces, digits and punctuation even in
	// a non-Latin script. A stray NUL or two in UTF-8 text is not the pattern.
	switch {
	case odd >= 2 && odd*5 >= pairs && even*16 <= odd:
		return encUTF16LE
	case even >= 2 && even*5 >= pairs && odd*16 <= even:
		return encUTF16BE
	}
	return ""
}

// mostlyUTF8 reports whether invalid UTF-8 is still mostly made of well-formed multi-byte
// sequences. Windows-1252 text almost never forms one by accident (an accented letter
// followed by ASCII is invalid), so a majority of them means damaged UTF-8.
func mostlyUTF8(data []byte) bool {
	var multi, invalid int
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
		} else {
			multi++
		}
		i += size
	}
	return multi > 0 && multi >= 2*invalid
}

// validUTF8 converts bytes to a string, replacing each invalid sequence with U+FFFD.
func validUTF8(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// decodeUTF16 decodes UTF-16 without a byte-order mark; unpaired surrogates and an odd
// final byte become U+FFFD.
func decodeUTF16(data []byte, order unicode.Endianness) string {
	return decodeWith(unicode.UTF16(order, unicode.IgnoreBOM), data)
}

// decodeWith decodes with an x/text encoding. Those decoders replace what they cannot map
// instead of failing, so an error here is not expected; should one happen, the bytes are
// kept as damaged UTF-8 rather than lost.
func decodeWith(enc encoding.Encoding, data []byte) string {
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return validUTF8(data)
	}
	return validUTF8(out)
}
