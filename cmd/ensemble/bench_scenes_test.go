package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// TestBenchScenesReport runs `bench scenes` small, end to end, and checks that the report
// has its sections and that its figures are numbers. It never judges speed: the targets
// are printed, and whether they are met depends on the machine.
func TestBenchScenesReport(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), binary, "bench", "scenes",
		"--scenes", "3", "--duration", "2s", "--warmup", "1s", "--long-turns", "30")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATABASE_URL=" + testkit.DatabaseURL(t)}
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench scenes: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	t.Log(out)
	for _, section := range []string{"== A. Throughput: 3 scenes of 5 characters", "== B. History: 5 scenes of 5 characters to turn 30",
		"== Targets (printed, not asserted) ==", "== Server logs =="} {
		if !strings.Contains(out, section) {
			t.Errorf("no section %q", section)
		}
	}
	if strings.Contains(out, "the run stopped early") || strings.Contains(out, "stopped before its figures were complete") {
		t.Fatalf("the run did not complete")
	}
	numbers := func(re string) []float64 {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no line matching %s", re)
		}
		var fs []float64
		for _, s := range m[1:] {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: %q is no number", re, s)
			}
			fs = append(fs, f)
		}
		return fs
	}
	const num = `([0-9]+(?:\.[0-9]+)?)`
	if f := numbers(`turns\s+` + num + ` committed in the window by ` + num + ` of 3 scenes: ` + num + ` turns/s`); f[0] < 1 || f[2] <= 0 {
		t.Errorf("no turn committed in the window: %v", f)
	}
	if f := numbers(`job start -> delivered\s+` + num + `\s+` + num + `\s+` + num + `\s+` + num); f[0] < 1 {
		t.Errorf("no latency of a delivered turn: %v", f)
	}
	numbers(`per turn\s+server CPU ` + num + ` ms; PostgreSQL CPU ` + num + ` ms .*; bench client CPU ` + num + ` ms; ` + num + ` database transactions`)
	for _, row := range []string{"job start -> commit, p50 ms", "statements", "CPU ms \\(this process\\)"} {
		if f := numbers(`(?m)^` + row + `\s+` + num + `\s+` + num + `\s+` + num + `$`); f[0] <= 0 || f[1] <= 0 {
			t.Errorf("%s: %v", row, f)
		}
	}
	targets := regexp.MustCompile(`(?m)^(sustained turns per second|p95 job start -> delivered|turns? [0-9-]+ / (?:turn )?[0-9-]+, [a-zA-Z0-9 ]+?)\s+[<>=]+ [0-9.]+(?: ms)?\s+[0-9.]+ \S+\s+(met|NOT met)$`).FindAllString(out, -1)
	if len(targets) != 8 {
		t.Errorf("%d target lines with a verdict, want 8: %q", len(targets), targets)
	}
}
