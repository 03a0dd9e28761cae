package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

func TestHealthEndpoints(t *testing.T) {
	s := testkit.NewServer(t)
	tests := []struct {
		path   string
		status int
		want   map[string]any
	}{
		{"/health", 200, map[string]any{"status": "ok", "version": "test"}},
		{"/health/live", 200, map[string]any{"status": "ok"}},
		{"/health/ready", 200, map[string]any{"status": "ok"}},
		{"/health/detailed", 200, map[string]any{"status": "ok", "version": "test"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(s.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d: %v", resp.StatusCode, body)
			}
			for k, v := range tc.want {
				if body[k] != v {
					t.Fatalf("%s = %v, want %v (%v)", k, body[k], v, body)
				}
			}
			if tc.path == "/health/detailed" {
				pg := body["dependencies"].(map[string]any)["postgres"].(map[string]any)
				if pg["status"] != "up" || pg["backend"] != "external" || !strings.HasPrefix(pg["version"].(string), "1") {
					t.Fatalf("postgres = %v", pg)
				}
				graph := body["dependencies"].(map[string]any)["graph"].(map[string]any)
				if graph["status"] != "up" || graph["backend"] != "pg" {
					t.Fatalf("graph = %v", graph)
				}
			}
		})
	}

	// Readiness follows the schema: roll back a migration and the server is not ready.
	if _, err := s.Pool.Exec(t.Context(), `DELETE FROM goose_db_version WHERE version_id = 3`); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.URL + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("ready with a pending migration: %d", resp.StatusCode)
	}
}

func postForm(t *testing.T, u string, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	return resp.StatusCode, body, resp.Header
}

func TestOAuth2TokenEndpoint(t *testing.T) {
	s := testkit.NewServer(t)
	s.Register(t, "oauthuser")
	endpoint := s.URL + "/api/v1/auth/token"

	status, body, h := postForm(t, endpoint, url.Values{"grant_type": {"password"}, "username": {"oauthuser"}, "password": {"password-oauthuser"}})
	if status != 200 || body["token_type"] != "Bearer" || body["access_token"] == "" || body["refresh_token"] == "" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("password grant: %d %v", status, body)
	}
	if exp, _ := body["expires_in"].(float64); exp < 1700 || exp > 1800 {
		t.Fatalf("expires_in = %v, want about 1800", body["expires_in"])
	}
	c := s.Client()
	c.Token = body["access_token"].(string)
	var me struct{ Me struct{ Username string } }
	c.Must(t, `{ me { username } }`, nil, &me)
	if me.Me.Username != "oauthuser" {
		t.Fatalf("me = %+v", me)
	}
	status, refreshed, _ := postForm(t, endpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}})
	if status != 200 || refreshed["refresh_token"] == body["refresh_token"] {
		t.Fatalf("refresh grant: %d %v", status, refreshed)
	}

	tests := []struct {
		name   string
		form   url.Values
		status int
		err    string
	}{
		{"wrong password", url.Values{"grant_type": {"password"}, "username": {"oauthuser"}, "password": {"nope-nope-nope"}}, 400, "invalid_grant"},
		{"missing password", url.Values{"grant_type": {"password"}, "username": {"oauthuser"}}, 400, "invalid_request"},
		{"no grant type", url.Values{"username": {"oauthuser"}}, 400, "invalid_request"},
		{"unsupported grant", url.Values{"grant_type": {"client_credentials"}}, 400, "unsupported_grant_type"},
		{"reused refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}}, 400, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := postForm(t, endpoint, tc.form)
			if status != tc.status || body["error"] != tc.err {
				t.Fatalf("%d %v", status, body)
			}
		})
	}
	resp, err := http.Post(endpoint, "application/json", strings.NewReader(`{"grant_type":"password"}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("JSON body: %d", resp.StatusCode)
	}
}

func TestPlaygroundAndCORS(t *testing.T) {
	s := testkit.NewServer(t)
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "/graphql") || !strings.Contains(strings.ToLower(string(page)), "graphiql") {
		t.Fatalf("playground: %d %.200s", resp.StatusCode, page)
	}

	req, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, apollo-require-preflight")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Apollo-Require-Preflight") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Fatal("no request id")
	}

	// A client's own request id is echoed back, a malformed one is replaced.
	for id, echoed := range map[string]bool{"client-id-12345": true, "bad id!": false} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/health", nil)
		req.Header.Set("X-Request-Id", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); (got == id) != echoed || got == "" {
			t.Fatalf("request id %q answered as %q", id, got)
		}
	}
}

func TestCORSAllowList(t *testing.T) {
	s := testkit.NewServer(t, "CORS_ALLOWED_ORIGINS=https://good.example")
	for origin, allowed := range map[string]bool{"https://good.example": true, "https://evil.example": false} {
		req, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); (got == origin) != allowed {
			t.Fatalf("origin %s: Access-Control-Allow-Origin %q", origin, got)
		}
	}
}

func TestLimits(t *testing.T) {
	s := testkit.NewServer(t, "GRAPHQL_DEPTH_LIMIT=4", "GRAPHQL_COMPLEXITY_LIMIT=100")
	c, _ := s.Register(t, "deep")
	tests := []struct{ name, query, code string }{
		{"too deep", `{ ecosystems { nodes { characters { nodes { ecosystem { name } } } } } }`, "DEPTH_LIMIT_EXCEEDED"},
		// 1 + 100 objects: scalar fields cost nothing of their own.
		{"too complex", `{ ecosystems(first: 100) { nodes { name description } } }`, "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code := c.Do(t, tc.query, nil).Code(t); code != tc.code {
				t.Fatalf("code = %s", code)
			}
		})
	}
	var ok struct{ Ecosystems struct{ TotalCount int } }
	c.Must(t, `{ ecosystems(first: 10) { totalCount nodes { name } } }`, nil, &ok)
	// The standard introspection query is deep but allowed.
	var out map[string]any
	c.Must(t, `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }`, nil, &out)
}

func TestProductionHidesSuggestions(t *testing.T) {
	for env, want := range map[string]bool{"development": true, "production": false} {
		s := testkit.NewServer(t, "ENSEMBLE_ENV="+env)
		r := s.Client().Do(t, `{ mee { id } }`, nil)
		if got := strings.Contains(r.Errors[0].Message, "Did you mean"); got != want {
			t.Fatalf("%s: suggestion shown = %v: %s", env, got, r.Errors[0].Message)
		}
	}
}

// TestInternalErrorsDoNotLeak: a failure inside the server answers INTERNAL with the
// request id, never the underlying error.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "unlucky")
	if _, err := s.Pool.Exec(t.Context(), `ALTER TABLE ecosystems RENAME TO ecosystems_gone`); err != nil {
		t.Fatal(err)
	}
	r := c.Do(t, `{ ecosystems { totalCount } }`, nil)
	if code := r.Code(t); code != "INTERNAL" {
		t.Fatalf("code = %s", code)
	}
	msg := r.Errors[0].Message
	id, _ := r.Errors[0].Extensions["requestId"].(string)
	if id == "" || !strings.Contains(msg, id) || strings.Contains(msg, "ecosystems") || strings.Contains(msg, "SQLSTATE") {
		t.Fatalf("internal error shown as %q (request %q)", msg, id)
	}
}
