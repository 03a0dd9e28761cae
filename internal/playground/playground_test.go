package playground_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/playground"
)

func get(t *testing.T, h http.Handler, target string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.Bytes()
}

// TestPage: the page names the endpoint and the bundle's entry files, runs no inline
// script, is revalidated on every load, and carries a policy that allows only this origin.
func TestPage(t *testing.T) {
	h := playground.Handler(`/graphql?x="<y>"`)
	resp, page := get(t, h, "/", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if !bytes.Contains(page, []byte(`data-endpoint="/graphql?x=&#34;&lt;y&gt;&#34;"`)) {
		t.Fatalf("endpoint not in the page (escaped): %s", page)
	}
	if regexp.MustCompile(`<script(\s+type="module")?>`).Match(page) {
		t.Fatalf("the page has an inline script: %s", page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Fatalf("policy %q lacks %q", csp, d)
		}
	}

	etag := resp.Header.Get("ETag")
	if resp, _ := get(t, h, "/", map[string]string{"If-None-Match": etag}); etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation with ETag %q: %d", etag, resp.StatusCode)
	}
	if resp, _ := get(t, h, "/other", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /other: %d", resp.StatusCode)
	}
}

// TestAssets: every file the page names (script, stylesheet, Monaco's workers) is served
// with its type, a long cache and the page's policy (a worker runs under its own
// response's policy), plain or gzipped; nothing else of the embedded tree is.
func TestAssets(t *testing.T) {
	h := playground.Handler("/graphql")
	_, page := get(t, h, "/", nil)
	files := map[string]string{}
	for _, m := range regexp.MustCompile(`(?:src|href)="(/playground/[^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		files[m[1]] = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(m[1])]
	}
	attr := regexp.MustCompile(`data-workers="([^"]+)"`).FindSubmatch(page)
	var workers map[string]string
	if attr == nil || json.Unmarshal([]byte(html.UnescapeString(string(attr[1]))), &workers) != nil {
		t.Fatalf("no data-workers in %s", page)
	}
	for _, label := range []string{"editor", "json", "graphql"} {
		files[workers[label]] = "text/javascript; charset=utf-8"
	}
	if len(files) != 5 {
		t.Fatalf("the page names %v, want a script, a stylesheet and three workers", files)
	}
	for name, contentType := range files {
		resp, plain := get(t, h, name, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != contentType ||
			resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Fatalf("%s: %d %v", name, resp.StatusCode, resp.Header)
		}
		resp, zipped := get(t, h, name, map[string]string{"Accept-Encoding": "br, gzip"})
		if resp.Header.Get("Content-Encoding") != "gzip" || len(zipped) >= len(plain) {
			t.Fatalf("%s gzipped: %v, %d bytes of %d", name, resp.Header, len(zipped), len(plain))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatal(err)
		}
		if unzipped, err := io.ReadAll(zr); err != nil || !bytes.Equal(unzipped, plain) {
			t.Fatalf("%s: gzip does not hold the file (%v)", name, err)
		}
		if resp, _ := get(t, h, name, map[string]string{"Accept-Encoding": "gzip;q=0"}); resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s: gzipped although refused", name)
		}
	}
	for _, name := range []string{"manifest.json", "", "../page.html", "missing.js"} {
		if resp, _ := get(t, h, "/playground/"+name, nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("/playground/%s: %d, want 404", name, resp.StatusCode)
		}
	}
}
