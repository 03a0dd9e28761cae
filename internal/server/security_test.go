package server_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/testkit"
)

// TestSecurityHeaders: every route answers with nosniff, no referrer, no framing and a
// content security policy; the API's policy allows nothing, the playground's only its
// own origin.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	_, sess := s.Register(t, "headers")
	gql := `{"query":"{ __typename }"}`
	tests := []struct {
		name, method, path, contentType, body string
		headers                               map[string]string
		status                                int
	}{
		{"playground", http.MethodGet, "/", "", "", nil, 200},
		{"health", http.MethodGet, "/health", "", "", nil, 200},
		{"health live", http.MethodGet, "/health/live", "", "", nil, 200},
		{"health ready", http.MethodGet, "/health/ready", "", "", nil, 200},
		{"health detailed", http.MethodGet, "/health/detailed", "", "", nil, 200},
		{"graphql POST", http.MethodPost, "/graphql", "application/json", gql, nil, 200},
		{"graphql GET", http.MethodGet, "/graphql?query=%7B__typename%7D", "", "", nil, 200},
		{"graphql bad JSON", http.MethodPost, "/graphql", "application/json", "{", nil, 400},
		{"graphql preflight", http.MethodOptions, "/graphql", "", "",
			map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}, 204},
		{"graphql upload without preflight header", http.MethodPost, "/graphql", "multipart/form-data; boundary=B", "--B--\r\n", nil, 400},
		{"graphql SSE", http.MethodPost, "/graphql", "application/json", `{"query":"subscription { messageStream(conversationId: \"x\") { __typename } }"}`,
			map[string]string{"Accept": "text/event-stream", "Authorization": "Bearer " + sess.AccessToken}, 200},
		{"token endpoint", http.MethodPost, "/api/v1/auth/token", "application/x-www-form-urlencoded", "grant_type=password&username=headers&password=password-headers", nil, 200},
		{"token endpoint GET", http.MethodGet, "/api/v1/auth/token", "", "", nil, 405},
		{"not found", http.MethodGet, "/nope", "", "", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			// An event stream stays open: the headers are all there is to check.
			var page []byte
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				page, _ = io.ReadAll(resp.Body)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tc.status, page)
			}
			h := resp.Header
			for name, want := range map[string]string{
				"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Fatalf("Content-Security-Policy = %q", csp)
			}
			if tc.path != "/" {
				if csp != "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" {
					t.Fatalf("API policy = %q", csp)
				}
				return
			}
			checkPlaygroundPolicy(t, csp, string(page))
		})
	}
}

// checkPlaygroundPolicy: the page's scripts, styles, workers and requests come from its
// own origin alone (it is served from the binary), and it runs no inline script.
func checkPlaygroundPolicy(t *testing.T, csp, page string) {
	t.Helper()
	directives := map[string]string{}
	for d := range strings.SplitSeq(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"script-src": "'self'", "worker-src": "'self'", "connect-src": "'self'", "style-src": "'self' 'unsafe-inline'",
	} {
		if directives[name] != want {
			t.Fatalf("%s %q, want %q, in %q", name, directives[name], want, csp)
		}
	}
	for _, value := range directives {
		for _, source := range strings.Fields(value) {
			if !strings.HasPrefix(source, "'") && source != "data:" {
				t.Fatalf("the policy allows %s: %q", source, csp)
			}
		}
	}
	scripts := regexp.MustCompile(`<script([^>]*)>`).FindAllStringSubmatch(page, -1)
	if len(scripts) == 0 {
		t.Fatal("the playground has no script")
	}
	for _, m := range scripts {
		if !strings.Contains(m[1], ` src="/playground/`) {
			t.Fatalf("script %s is inline or from elsewhere", m[0])
		}
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "/playground/") && !strings.HasPrefix(m[1], "data:") {
			t.Fatalf("the page loads %s", m[1])
		}
	}
}

// TestHealthDetailedAccess: in production only an admin's access token or the health
// token reads /health/detailed; the other health endpoints stay open. Development
// leaves it open (TestHealthEndpoints).
func TestHealthDetailedAccess(t *testing.T) {
	t.Parallel()
	const healthToken = "health-token-0123456789abcdef0123456789"
	s := testkit.NewServer(t, "ENSEMBLE_ENV=production", "HEALTH_TOKEN="+healthToken)
	_, user := s.Register(t, "plainuser")
	s.Register(t, "theadmin")
	if err := auth.SetRole(t.Context(), s.Pool, "theadmin", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	var admin struct{ Login struct{ AccessToken string } }
	s.Client().Must(t, `mutation { login(input: {login: "theadmin", password: "password-theadmin"}) { accessToken } }`, nil, &admin)

	get := func(path, authorization string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, path, authorization string
		status                    int
	}{
		{"no token", "/health/detailed", "", 401},
		{"not a bearer token", "/health/detailed", "Basic " + healthToken, 401},
		{"wrong health token", "/health/detailed", "Bearer " + healthToken + "x", 401},
		{"a user's access token", "/health/detailed", "Bearer " + user.AccessToken, 403},
		{"an admin's access token", "/health/detailed", "Bearer " + admin.Login.AccessToken, 200},
		{"the health token", "/health/detailed", "Bearer " + healthToken, 200},
		{"health stays open", "/health", "", 200},
		{"live stays open", "/health/live", "", 200},
		{"ready stays open", "/health/ready", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(tc.path, tc.authorization); got != tc.status {
				t.Fatalf("status %d, want %d", got, tc.status)
			}
		})
	}
}

// TestOAuth2FormParsing: a form with a charset parameter is read; a parameter sent twice
// (RFC 6749 section 3.1), a charset other than UTF-8, and values PostgreSQL could not
// store are invalid_request, never a server error.
func TestOAuth2FormParsing(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	s.Register(t, "formuser")
	endpoint := s.URL + "/api/v1/auth/token"
	good := "grant_type=password&username=formuser&password=password-formuser"
	tests := []struct {
		name, contentType, body string
		status                  int
		err                     string
	}{
		{"charset UTF-8", "application/x-www-form-urlencoded; charset=UTF-8", good, 200, ""},
		{"charset utf-8", "application/x-www-form-urlencoded;charset=utf-8", good, 200, ""},
		{"charset Latin-1", "application/x-www-form-urlencoded; charset=ISO-8859-1", good, 400, "invalid_request"},
		{"JSON", "application/json", `{"grant_type":"password"}`, 400, "invalid_request"},
		{"no content type", "", good, 400, "invalid_request"},
		{"grant_type twice", "application/x-www-form-urlencoded", good + "&grant_type=refresh_token", 400, "invalid_request"},
		{"username twice", "application/x-www-form-urlencoded", good + "&username=other", 400, "invalid_request"},
		{"password twice", "application/x-www-form-urlencoded", good + "&password=x", 400, "invalid_request"},
		{"refresh_token twice", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=a&refresh_token=b", 400, "invalid_request"},
		{"unknown parameter twice is ignored", "application/x-www-form-urlencoded", good + "&client_note=a&client_note=b", 200, ""},
		{"NUL in the username", "application/x-www-form-urlencoded", "grant_type=password&username=form%00user&password=password-formuser", 400, "invalid_request"},
		{"NUL in the refresh token", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=a%00b", 400, "invalid_request"},
		{"username not UTF-8", "application/x-www-form-urlencoded", "grant_type=password&username=form%FFuser&password=password-formuser", 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status || tc.err != "" && !strings.Contains(string(raw), `"error":"`+tc.err+`"`) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, raw, tc.status, tc.err)
			}
		})
	}
}
