package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// TestPreflightAllowsApolloHeaders: a browser may send the headers Apollo Client adds.
func TestPreflightAllowsApolloHeaders(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	for _, h := range []string{"authorization", "content-type", "apollo-require-preflight", "x-request-id",
		"apollographql-client-name", "apollographql-client-version", "x-apollo-operation-name"} {
		t.Run(h, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", "https://app.example")
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", h)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			allowed := strings.Split(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), ", ")
			if resp.StatusCode != http.StatusNoContent || !slicesContains(allowed, h) {
				t.Fatalf("status %d, allowed %v", resp.StatusCode, allowed)
			}
		})
	}
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestUploadCSRFHeadersAndAccept: an upload passes with either header Apollo Server takes
// as proof of a preflight, and every answer, refusals included, comes in the media type
// the client accepts.
func TestUploadCSRFHeadersAndAccept(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "csrf")
	ops := `{"query":"` + strings.ReplaceAll(uploadOp, `"`, `\"`) + `","variables":{"file":null}}`
	body := multipartBody(ops, `{"0":["variables.file"]}`, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "Some words of a book.")
	const gqlJSON, plainJSON = "application/graphql-response+json", "application/json"
	tests := []struct {
		name       string
		headers    map[string]string
		wantStatus int
		wantType   string
	}{
		{"Apollo-Require-Preflight", map[string]string{"Apollo-Require-Preflight": "true"}, 200, plainJSON},
		{"X-Apollo-Operation-Name", map[string]string{"X-Apollo-Operation-Name": "Upload"}, 200, plainJSON},
		{"graphql-response+json accepted", map[string]string{"Apollo-Require-Preflight": "true", "Accept": gqlJSON}, 200, gqlJSON},
		{"json accepted", map[string]string{"Apollo-Require-Preflight": "true", "Accept": plainJSON}, 200, plainJSON},
		{"no CSRF header", nil, 400, plainJSON},
		{"no CSRF header, graphql-response+json accepted", map[string]string{"Accept": gqlJSON}, 400, gqlJSON},
		{"nothing acceptable", map[string]string{"Apollo-Require-Preflight": "true", "Accept": "text/html"}, 406, plainJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, c.URL, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
			req.Header.Set("Authorization", "Bearer "+c.Token)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			ct := resp.Header.Get("Content-Type")
			if resp.StatusCode != tc.wantStatus || !strings.HasPrefix(ct, tc.wantType+";") {
				t.Fatalf("status %d %s, want %d %s: %.300s", resp.StatusCode, ct, tc.wantStatus, tc.wantType, raw)
			}
			if tc.wantStatus == 200 && strings.Contains(string(raw), `"errors"`) {
				t.Fatalf("upload failed: %.300s", raw)
			}
		})
	}
}

// TestREADMEListsEveryErrorCode: every code the server sets in extensions.code is in the
// README's list of error codes.
func TestREADMEListsEveryErrorCode(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`(?s)- \*\*Errors\*\* carry .*?\n- \*\*`).Find(readme)
	if list == nil {
		t.Fatal("the README has no Errors entry")
	}
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "code") || i >= len(spec.Values) {
				continue
			}
			if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				codes = append(codes, v)
			}
		}
		return true
	})
	// Codes set by gqlgen and the persisted queries extension.
	codes = append(codes, "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "PERSISTED_QUERY_NOT_FOUND")
	if len(codes) < 20 {
		t.Fatalf("found only %d codes in errors.go: %v", len(codes), codes)
	}
	for _, code := range codes {
		t.Run(code, func(t *testing.T) {
			if !strings.Contains(string(list), "`"+code+"`") {
				t.Fatalf("the README's list of error codes lacks %s", code)
			}
		})
	}
}
