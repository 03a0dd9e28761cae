package backoff

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", -1}, {"soon", -1}, {"-3", -1}, {"2", 2 * time.Second}, {"3600", Max},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	} {
		if got := RetryAfter(tc.header); got != tc.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestDelayGrowsWithJitterAndIsCapped(t *testing.T) {
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if d := Delay(time.Second, attempt, -1); d < want/2 || d > want {
			t.Fatalf("attempt %d: %v not in [%v, %v]", attempt, d, want/2, want)
		}
	}
	if d := Delay(time.Second, 20, -1); d > Max || d < Max/2 {
		t.Fatalf("capped delay %v", d)
	}
	if d := Delay(time.Second, 0, 5*time.Second); d != 5*time.Second {
		t.Fatalf("server's delay not honoured: %v", d)
	}
}
