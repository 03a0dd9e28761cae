package documents

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// decodeText turns the bytes of a text file into UTF-8 with LF line ends: UTF-8 (a BOM
// dropped), UTF-16 with a BOM, and otherwise Windows-1252, the usual encoding of old
// e-texts that are not valid UTF-8.
func decodeText(b []byte) (string, bool) {
	var s string
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		s = string(b[3:])
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		out, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		if err != nil {
			return "", false
		}
		s = string(out)
	case utf8.Valid(b):
		s = string(b)
	default:
		out, err := charmap.Windows1252.NewDecoder().Bytes(b)
		if err != nil {
			return "", false
		}
		s = string(out)
	}
	if strings.ContainsRune(s, 0) {
		return "", false
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n"), true
}
