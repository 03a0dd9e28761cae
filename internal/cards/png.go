package cards

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"

	"github.com/literaryai/ensemble/internal/errs"
)

// The tEXt keywords cards travel under: chara holds a V2 card, ccv3 a V3 one.
const (
	keywordV2 = "chara"
	keywordV3 = "ccv3"
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// IsPNG reports whether b starts as a PNG file does.
func IsPNG(b []byte) bool { return bytes.HasPrefix(b, pngSignature) }

type chunk struct {
	typ  string
	data []byte
	// raw is the whole chunk: length, type, data and CRC.
	raw []byte
}

// chunks splits a PNG into its chunks, checking each one's length and CRC, that it
// starts with IHDR and that it ends with IEND (anything after IEND is dropped).
func chunks(b []byte) ([]chunk, error) {
	if !IsPNG(b) {
		return nil, invalid("not a PNG file")
	}
	var out []chunk
	for rest := b[len(pngSignature):]; ; {
		if len(rest) < 12 {
			return nil, invalid("the PNG is truncated: it ends before its IEND chunk")
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-12) {
			return nil, invalid("the PNG is truncated: a chunk runs past the end of the file")
		}
		raw := rest[:12+n]
		c := chunk{typ: string(raw[4:8]), data: raw[8 : 8+n], raw: raw}
		if crc32.ChecksumIEEE(raw[4:8+n]) != binary.BigEndian.Uint32(raw[8+n:]) {
			return nil, invalid("the PNG is corrupt: chunk %q fails its CRC", c.typ)
		}
		if len(out) == 0 && c.typ != "IHDR" {
			return nil, invalid("the PNG is corrupt: it does not start with IHDR")
		}
		out = append(out, c)
		rest = rest[12+n:]
		if c.typ == "IEND" {
			return out, nil
		}
	}
}

// textChunk splits a tEXt chunk into its keyword and text.
func textChunk(c chunk) (keyword string, text []byte, ok bool) {
	if c.typ != "tEXt" {
		return "", nil, false
	}
	k, v, found := bytes.Cut(c.data, []byte{0})
	return string(k), v, found
}

// ReadPNG reads the card in a PNG (its ccv3 chunk when it has one, else its chara
// chunk) and returns with it the picture: the PNG without the card's chunks, pixels and
// every other chunk as they were.
func ReadPNG(b []byte) (*Card, []byte, error) {
	cs, err := chunks(b)
	if err != nil {
		return nil, nil, err
	}
	if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
		return nil, nil, invalid("not a valid PNG: %v", err)
	}
	texts := map[string][]byte{}
	picture := bytes.NewBuffer(append([]byte{}, pngSignature...))
	for _, c := range cs {
		if k, v, ok := textChunk(c); ok && (k == keywordV2 || k == keywordV3) {
			texts[k] = v
			continue
		}
		picture.Write(c.raw)
	}
	text, keyword := texts[keywordV3], keywordV3
	if text == nil {
		text, keyword = texts[keywordV2], keywordV2
	}
	if text == nil {
		return nil, nil, invalid("the PNG holds no character card (no chara or ccv3 text chunk)")
	}
	if base64.StdEncoding.DecodedLen(len(text)) > MaxCardBytes+3 {
		return nil, nil, fmt.Errorf("the card in the PNG is more than %d bytes: %w", MaxCardBytes, errs.ErrTooLarge)
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(text)))
	if err != nil {
		return nil, nil, invalid("the PNG's %s chunk is not valid base64: %v", keyword, err)
	}
	card, err := Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	return card, picture.Bytes(), nil
}

// WritePNG writes the card into a picture (a PNG as ReadPNG returns it; nil for a
// generated one), as a V2 chara chunk and a V3 ccv3 chunk before IEND, so readers of
// either spec find it.
func WritePNG(c *Card, picture []byte) ([]byte, error) {
	if picture == nil {
		picture = Placeholder(c.Text("name"))
	}
	cs, err := chunks(picture)
	if err != nil {
		return nil, fmt.Errorf("the stored picture: %w", err)
	}
	out := bytes.NewBuffer(append([]byte{}, pngSignature...))
	for _, ch := range cs {
		if k, _, ok := textChunk(ch); ok && (k == keywordV2 || k == keywordV3) {
			continue
		}
		if ch.typ == "IEND" {
			writeText(out, keywordV2, c.As(V2).JSON())
			writeText(out, keywordV3, c.As(V3).JSON())
		}
		out.Write(ch.raw)
	}
	return out.Bytes(), nil
}

// writeText writes a tEXt chunk holding value in base64, as the card specs have it.
func writeText(w *bytes.Buffer, keyword string, value []byte) {
	writeChunk(w, "tEXt", append([]byte(keyword+"\x00"), base64.StdEncoding.EncodeToString(value)...))
}

// writeChunk writes a chunk with its length and CRC.
func writeChunk(w *bytes.Buffer, typ string, data []byte) {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	w.Write(head[:])
	w.Write(data)
	w.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32()))
}

// placeholderSize is the side of the picture made for a character that has none.
const placeholderSize = 64

// Placeholder is a small square PNG of one colour chosen by the name, for a card whose
// character came with no picture.
func Placeholder(name string) []byte {
	h := fnv.New32a()
	h.Write([]byte(name))
	s := h.Sum32()
	fill := color.RGBA{R: uint8(s), G: uint8(s >> 8), B: uint8(s >> 16), A: 255}
	img := image.NewRGBA(image.Rect(0, 0, placeholderSize, placeholderSize))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{fill.R, fill.G, fill.B, fill.A})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(fmt.Sprintf("encode a placeholder picture in memory: %v", err))
	}
	return b.Bytes()
}
