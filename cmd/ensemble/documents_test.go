package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/testkit"
)

func sha(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

// TestDocumentsRegister: a manifest in either format registers its documents once; one
// wrong hash or invalid document registers nothing.
func TestDocumentsRegister(t *testing.T) {
	t.Parallel()
	url := testkit.DatabaseURL(t)
	env := []string{"DATABASE_URL=" + url}
	pool, err := db.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	me := "query Me { me { id username } }"
	typename := "query Typename { __typename }"
	other := "query Other { t: __typename }"
	apollo := func(ops ...[2]string) any {
		var list []map[string]string
		for _, op := range ops {
			list = append(list, map[string]string{"id": op[0], "name": "Op", "type": "query", "body": op[1]})
		}
		return map[string]any{"format": "apollo-persisted-query-manifest", "version": 1, "operations": list}
	}
	tests := []struct {
		name     string
		manifest any
		ok       bool
		want     string
		stored   int
	}{
		{"apollo manifest", apollo([2]string{sha(me), me}, [2]string{sha(typename), typename}), true, "registered 2 new documents for ios (0 already registered)", 2},
		{"again", apollo([2]string{sha(me), me}), true, "registered 0 new documents for ios (1 already registered)", 2},
		{"wrong hash", apollo([2]string{sha(me), other}), false, "the document's sha256 is " + sha(other), 2},
		{"invalid document", map[string]string{sha(other): other, sha("{ nope }"): "{ nope }"}, false, "Cannot query field \"nope\"", 2},
		{"not a manifest", []string{"x"}, false, "not a JSON object", 2},
		{"map", map[string]string{sha(other): other, sha(me): me}, true, "registered 1 new documents for ios (1 already registered)", 3},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.manifest)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "manifest.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, env, "documents", "register", "--client", "ios", file)
		if (err == nil) != tc.ok || !strings.Contains(out, tc.want) {
			t.Fatalf("%s: %v\n%s", tc.name, err, out)
		}
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM trusted_documents`).Scan(&n); err != nil || n != tc.stored {
			t.Fatalf("%s: %d documents stored (%v), want %d", tc.name, n, err, tc.stored)
		}
	}
	out, err := run(t, env, "documents", "list")
	if err != nil || strings.Count(out, "ios ") != 3 || !strings.Contains(out, sha(me)) {
		t.Fatalf("list: %v\n%s", err, out)
	}
}
