package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Chromium returns the path of a headless-capable Chromium for the browser tests, or
// fails the test saying how to install one (scripts/test installs Debian's chromium).
// CHROMIUM_PATH overrides the lookup.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser tests need Chromium: apt-get install chromium (scripts/test does), or set CHROMIUM_PATH")
	return ""
}

// Node returns the path of node and checks that the Node project in dir has its packages
// installed (each package named in want), failing the test with the command that fixes it.
func Node(t testing.TB, dir string, want ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("this test needs Node.js (node on PATH): %v", err)
	}
	for _, pkg := range want {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg)); err != nil {
			t.Fatalf("%s/node_modules/%s is missing (%v): run `npm ci --prefix %s` first", dir, pkg, err, dir)
		}
	}
	return node
}
