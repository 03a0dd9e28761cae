package charactercards

import (
	"errors"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/cards"
	"github.com/literaryai/ensemble/internal/errs"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	card := `{"spec":"chara_card_v3","spec_version":"3.0","data":{"name":"Bo"}}`
	png, err := cards.WritePNG(cards.New(cards.V3, "Bo"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		file        []byte
		wantPicture bool
		wantErr     string
	}{
		{name: "JSON", file: []byte(card)},
		{name: "JSON with a byte order mark", file: []byte("\xef\xbb\xbf" + card)},
		{name: "JSON after blank lines", file: []byte("\r\n\n  " + card)},
		{name: "PNG", file: png, wantPicture: true},
		{name: "text", file: []byte("Bo is a card"), wantErr: "not a character card"},
		{name: "empty", file: nil, wantErr: "not a character card"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, picture, err := decode(tc.file)
			var bad *errs.InvalidError
			switch {
			case tc.wantErr != "":
				if !errors.As(err, &bad) || !strings.Contains(bad.Message, tc.wantErr) {
					t.Fatalf("got %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case got.Text("name") != "Bo" || (picture != nil) != tc.wantPicture:
				t.Fatalf("read %q with picture %v", got.Text("name"), picture != nil)
			}
		})
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		limit    int
		cut      bool
	}{
		{"abc", "abc", 3, false},
		{"a\x00b", "ab", 3, false},
		{"ééé", "éé", 2, true},
	} {
		if got, cut := clean(tc.in, tc.limit); got != tc.want || cut != tc.cut {
			t.Errorf("clean(%q, %d) = %q, %v; want %q, %v", tc.in, tc.limit, got, cut, tc.want, tc.cut)
		}
	}
}
