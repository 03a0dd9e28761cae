// Package playground serves GraphiQL from the binary: the page and a bundle built from npm
// packages at pinned versions (web/, rebuilt into assets/ by scripts/build-playground), so
// that it works with no network and under a policy that lets nothing else load.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed page.html assets/manifest.json assets/*.js assets/*.css
var files embed.FS

// AssetPath is where Handler serves the bundle's files.
const AssetPath = "/playground/"

// policy lets the page run its own bundle and nothing else. Styles may be inline because
// Monaco positions its lines with style attributes and injects theme rules; the fonts are
// data: URIs inside the stylesheet; 'self' in connect-src covers the same-origin WebSocket.
const policy = "default-src 'none'; script-src 'self'; worker-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; font-src data:; img-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// contentTypes are the bundle's kinds of file: anything else in assets/ is not served.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// Handler serves the page at / and the bundle under AssetPath; the page sends its queries
// and subscriptions to endpoint (same origin). Its assets are named by their content hash,
// so they are cached for good; the page is revalidated, so a new build shows at once.
func Handler(endpoint string) http.Handler {
	page := render(endpoint)
	sum := sha256.Sum256(page)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		if name, ok := strings.CutPrefix(r.URL.Path, AssetPath); ok {
			serveAsset(w, r, name)
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(page))
	})
}

// render fills the page with the bundle's entry files and workers (named in the manifest
// the build writes) and the endpoint. The files are embedded, so a failure is a broken build.
func render(endpoint string) []byte {
	raw, err := files.ReadFile("assets/manifest.json")
	if err != nil {
		panic(err)
	}
	var manifest struct {
		Script, Style string
		Workers       map[string]string
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		panic("playground: assets/manifest.json: " + err.Error())
	}
	workers := map[string]string{}
	for label, file := range manifest.Workers {
		workers[label] = AssetPath + file
	}
	workersJSON, err := json.Marshal(workers)
	if err != nil {
		panic(err)
	}
	var page bytes.Buffer
	err = template.Must(template.ParseFS(files, "page.html")).Execute(&page, map[string]string{
		"Script":   AssetPath + manifest.Script,
		"Style":    AssetPath + manifest.Style,
		"Workers":  string(workersJSON),
		"Endpoint": endpoint,
	})
	if err != nil {
		panic(err)
	}
	return page.Bytes()
}

func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	contentType, ok := contentTypes[path.Ext(name)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, err := files.Open("assets/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(gzipped(name)))
		return
	}
	// Embedded files seek: served straight from the binary's data.
	http.ServeContent(w, r, "", time.Time{}, f.(io.ReadSeeker))
}

// compressed holds each asset gzipped, made on its first request and kept: the bundle is
// megabytes of JavaScript that compress to about a quarter.
var compressed sync.Map // asset name → func() []byte

func gzipped(name string) []byte {
	once, _ := compressed.LoadOrStore(name, sync.OnceValue(func() []byte {
		raw, err := files.ReadFile("assets/" + name)
		if err != nil {
			panic(err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		return buf.Bytes()
	}))
	return once.(func() []byte)()
}

// acceptsGzip reads an Accept-Encoding header: gzip listed without q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, weighted := strings.CutPrefix(strings.TrimSpace(params), "q=")
		v, err := strconv.ParseFloat(q, 64)
		return !weighted || err == nil && v > 0
	}
	return false
}
