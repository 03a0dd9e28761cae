package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/literaryai/ensemble/internal/persisted"
	"github.com/literaryai/ensemble/internal/testkit"
)

// persistedCall is one request of a persisted query exchange: the document's text, the
// hash it names (in extensions.persistedQuery, or as documentId), or both.
type persistedCall struct {
	query, hash, documentID string
}

// send makes the call over GET or POST and returns the error code ("" for data).
func (c persistedCall) send(t *testing.T, base, method string) (string, json.RawMessage) {
	t.Helper()
	params := map[string]any{}
	if c.query != "" {
		params["query"] = c.query
	}
	if c.hash != "" {
		params["extensions"] = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": c.hash}}
	}
	if c.documentID != "" {
		params["documentId"] = c.documentID
	}
	var req *http.Request
	var err error
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range params {
			if s, ok := v.(string); ok {
				q.Set(k, s)
				continue
			}
			b, _ := json.Marshal(v)
			q.Set(k, string(b))
		}
		req, err = http.NewRequest(method, base+"/graphql?"+q.Encode(), nil)
	} else {
		body, _ := json.Marshal(params)
		req, err = http.NewRequest(method, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out testkit.Response
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: status %d: %s", method, resp.StatusCode, raw)
	}
	if len(out.Errors) > 0 {
		return out.Errors[0].Code(), nil
	}
	return "", out.Data
}

// TestAutomaticPersistedQueries: a hash the server does not know asks for the document;
// sent with it once, the hash alone then runs it, over GET and POST; with Redis, on
// every instance.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	local := testkit.NewServer(t)
	redisEnv := testkit.RedisEnv(t)
	first := testkit.NewServer(t, redisEnv...)
	second := testkit.NewServerOn(t, first.DatabaseURL, redisEnv...)
	tests := []struct {
		name, method string
		// register and run are the instances the document is sent to, then named on.
		register, run *testkit.Server
	}{
		{"in process POST", http.MethodPost, local, local},
		{"in process GET", http.MethodGet, local, local},
		{"redis POST", http.MethodPost, first, second},
		{"redis GET", http.MethodGet, first, second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			query := "{ " + "apq" + tc.method + ": __typename }"
			if tc.register != tc.run {
				query = "{ shared" + tc.method + ": __typename }"
			}
			hash := persisted.Hash(query)
			steps := []struct {
				name string
				srv  *testkit.Server
				call persistedCall
				code string
			}{
				{"unknown hash", tc.run, persistedCall{hash: hash}, "PERSISTED_QUERY_NOT_FOUND"},
				{"hash that does not match", tc.register, persistedCall{query: "{ __typename }", hash: hash}, "BAD_REQUEST"},
				{"malformed hash", tc.register, persistedCall{hash: "XYZ"}, "BAD_REQUEST"},
				{"hash and document", tc.register, persistedCall{query: query, hash: hash}, ""},
				{"hash alone", tc.run, persistedCall{hash: hash}, ""},
				{"documentId", tc.run, persistedCall{documentID: "sha256:" + hash}, ""},
			}
			for _, st := range steps {
				code, data := st.call.send(t, st.srv.URL, tc.method)
				if code != st.code || code == "" && !bytes.Contains(data, []byte("Query")) {
					t.Fatalf("%s: code %q data %s, want code %q", st.name, code, data, st.code)
				}
			}
		})
	}
}

// TestTrustedDocumentsEnforce: in enforce mode only registered documents run, named by
// hash or sent whole; automatic persisted queries register nothing.
func TestTrustedDocumentsEnforce(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "TRUSTED_DOCUMENTS=enforce")
	registered := "query Trusted { __typename }"
	hash := persisted.Hash(registered)
	if _, err := persisted.Register(t.Context(), s.Pool, "web", []persisted.Document{{Hash: hash, Body: registered}}); err != nil {
		t.Fatal(err)
	}
	other := "{ other: __typename }"
	tests := []struct {
		name string
		call persistedCall
		code string
	}{
		{"registered by hash", persistedCall{hash: hash}, ""},
		{"registered by documentId", persistedCall{documentID: "sha256:" + hash}, ""},
		{"registered by bare documentId", persistedCall{documentID: hash}, ""},
		{"registered sent whole", persistedCall{query: registered}, ""},
		{"registered sent with its hash", persistedCall{query: registered, hash: hash}, ""},
		{"unregistered sent whole", persistedCall{query: other}, "PERSISTED_QUERY_NOT_ALLOWED"},
		{"unregistered hash", persistedCall{hash: persisted.Hash(other)}, "PERSISTED_QUERY_NOT_ALLOWED"},
		{"APQ registration", persistedCall{query: other, hash: persisted.Hash(other)}, "PERSISTED_QUERY_NOT_ALLOWED"},
		{"hash that does not match", persistedCall{query: other, hash: hash}, "BAD_REQUEST"},
		{"introspection", persistedCall{query: "{ __schema { queryType { name } } }"}, "PERSISTED_QUERY_NOT_ALLOWED"},
	}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		for _, tc := range tests {
			t.Run(method+" "+tc.name, func(t *testing.T) {
				code, data := tc.call.send(t, s.URL, method)
				if code != tc.code || code == "" && !bytes.Contains(data, []byte("Query")) {
					t.Fatalf("code %q data %s, want code %q", code, data, tc.code)
				}
			})
		}
	}
}
