package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// FuzzGraphQLRequest sends whatever bytes, under one of the content types a client may
// send, to the real server: every answer is a client error or a GraphQL response, never
// a 500 or an INTERNAL error.
func FuzzGraphQLRequest(f *testing.F) {
	s := testkit.NewServer(f)
	contentTypes := []string{"application/json", "application/json; charset=utf-8", "multipart/form-data; boundary=B",
		"application/graphql", "text/plain", ""}
	for _, seed := range []struct {
		ct   uint8
		body string
	}{
		{0, `{"query":"{ __typename }"}`},
		{0, `{"query":"mutation { createEcosystem(input: {name: \"a\\u0000b\"}) { id } }"}`},
		{0, `{"query":"mutation($i: LoginInput!) { login(input: $i) { accessToken } }","variables":{"i":{"login":"a\u0000","password":"\ud800"}}}`},
		{0, `{"query":"{ node(id: \"\\ud800\") { id } }"}`},
		{1, `{"query":"{ ecosystems(after: \"` + strings.Repeat("A", 300) + `\") { totalCount } }"}`},
		{2, "--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"mutation($f: Upload!) { uploadDocument(file: $f) { id } }\",\"variables\":{\"f\":null}}\r\n" +
			"--B\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{\"0\":[\"variables.f.0\"]}\r\n--B\r\nContent-Disposition: form-data; name=\"0\"; filename=\"a\"\r\n\r\nx\r\n--B--\r\n"},
		{3, `{ __typename }`},
		{0, "{\"query\":\"{ __typename }\xff\"}"},
		{4, ``},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if c := contentTypes[int(ct)%len(contentTypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		req.Header.Set("Apollo-Require-Preflight", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode >= 500 || bytes.Contains(raw, []byte(`"INTERNAL"`)) {
			t.Fatalf("status %d: %.500s\nrequest: %.500q", resp.StatusCode, raw, body)
		}
	})
}
