package main

import (
	"testing"
	"time"
)

func TestSummarizeNearestRank(t *testing.T) {
	d := make([]time.Duration, 0, 100)
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := summarize(d)
	want := latencySummary{Count: 100, P50: 50, P95: 95, P99: 99, Max: 100}
	if got != want {
		t.Fatalf("summarize = %+v, want %+v", got, want)
	}
	if one := summarize([]time.Duration{1500 * time.Microsecond}); one.P50 != 1.5 || one.P99 != 1.5 {
		t.Fatalf("one sample: %+v", one)
	}
	if empty := summarize(nil); empty != (latencySummary{}) {
		t.Fatalf("no samples: %+v", empty)
	}
}

func TestParseNext(t *testing.T) {
	frame := []byte(`{"id":"1","type":"next","payload":{"data":{"messageAdded":{"seq":42,"createdAt":"2026-01-02T03:04:05.123456789Z"}}}}`)
	if got := frameType(frame); got != "next" {
		t.Fatalf("frameType = %q", got)
	}
	seq, created, err := parseNext(frame)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC).UnixNano(); seq != 42 || created != want {
		t.Fatalf("parseNext = %d, %d; want 42, %d", seq, created, want)
	}
	if _, _, err := parseNext([]byte(`{"type":"next","payload":{"data":{"messageAdded":{"createdAt":"x"}}}}`)); err == nil {
		t.Fatal("a next without seq parsed")
	}
	if got := frameType([]byte(`{"type":"ping"}`)); got != "ping" {
		t.Fatalf("frameType(ping) = %q", got)
	}
}

func TestLossReport(t *testing.T) {
	s := &subscriber{seen: []delivery{{seq: 3}, {seq: 5}, {seq: 4}, {seq: 5}, {seq: 7}}}
	var l lossReport
	l.add(s, 2, 7) // expects 3..7: 6 is missing, 5 came twice, 4 came after 5
	want := lossReport{ClientsMissing: 1, Missing: 1, Duplicates: 1, OutOfOrder: 1}
	if l != want {
		t.Fatalf("loss = %+v, want %+v", l, want)
	}
}

func TestClassifyLogLines(t *testing.T) {
	tests := []struct{ line, level, msg string }{
		{`time=2026-01-01T00:00:00Z level=WARN msg="slow subscriber closed" id=3`, "WARN", "slow subscriber closed"},
		{`time=2026-01-01T00:00:00Z level=ERROR msg=boom`, "ERROR", "boom"},
		{`{"time":"x","level":"ERROR","msg":"job failed"}`, "ERROR", "job failed"},
		{`time=2026-01-01T00:00:00Z level=INFO msg=fine`, "", ""},
		{`panic: runtime error`, "PANIC", "panic: runtime error"},
	}
	for _, tt := range tests {
		if level, msg := classify(tt.line); level != tt.level || msg != tt.msg {
			t.Errorf("classify(%q) = %q, %q; want %q, %q", tt.line, level, msg, tt.level, tt.msg)
		}
	}
}
