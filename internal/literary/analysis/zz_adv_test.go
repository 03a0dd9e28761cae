package analysis

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestZZAdv(t *testing.T) {
	for _, f := range []string{"many_speakers", "epithets"} {
		text, _ := os.ReadFile("/tmp/adv/" + f + ".txt")
		start := time.Now()
		res, err := Analyze(context.Background(), string(text), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, %v, %d chars", f, len(text), time.Since(start), len(res.Characters))
	}
}
