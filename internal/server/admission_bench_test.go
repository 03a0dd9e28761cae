//go:build unix

package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/admission"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/resolvers"
)

// adversarialShapes are documents of at most 1 MiB built to cost the server, each with
// the code it is refused with under the default limits.
func adversarialShapes() []struct{ name, query, code string } {
	var b strings.Builder
	fragments := func(n, spreads int) string {
		b.Reset()
		b.WriteString("{ ...F0 }\n")
		for i := range n {
			fmt.Fprintf(&b, "fragment F%d on Query {%s }\n", i, strings.Repeat(fmt.Sprintf(" ...F%d", i+1), spreads))
		}
		fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
		return b.String()
	}
	aliases := func(sel string, n int) string {
		b.Reset()
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, sel)
		}
		b.WriteString(" }")
		return b.String()
	}
	var tree func(r, d int) string
	tree = func(r, d int) string {
		if d == 0 {
			return "name"
		}
		return strings.Repeat("ofType { "+tree(r, d-1)+" } ", r)
	}
	unknown := func(n int) string {
		b.Reset()
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " f%d", i)
		}
		b.WriteString(" }")
		return b.String()
	}
	nested := "__schema { types { fields { type { name } } } }"
	include := "@include(if: true) "
	return []struct{ name, query, code string }{
		{"doubling fragments 40", fragments(40, 2), "SELECTION_LIMIT_EXCEEDED"},
		{"fragment chain 20000", fragments(20_000, 1), "PAYLOAD_TOO_LARGE"},
		{"fragment chain 1800 (64 KiB)", fragments(1800, 1), "GRAPHQL_PARSE_FAILED"},
		{"fragment chain 360 (3,000 tokens)", fragments(360, 1), "FRAGMENT_LIMIT_EXCEEDED"},
		{"alias flood 1 MiB", aliases("__typename", 50_000), "PAYLOAD_TOO_LARGE"},
		{"alias flood 990 (3,000 tokens)", aliases("__typename", 990), "ALIAS_LIMIT_EXCEEDED"},
		{"same field 2990 times", "{" + strings.Repeat(" __typename", 2990) + " }", "SELECTION_LIMIT_EXCEEDED"},
		{"merge tree 2^8", "{ __schema { queryType { " + tree(2, 8) + "} } }", "SELECTION_LIMIT_EXCEEDED"},
		{"directive flood 40000", "{ __typename " + strings.Repeat(include, 40_000) + "}", "PAYLOAD_TOO_LARGE"},
		{"directive flood 420 (3,000 tokens)", "{ __typename " + strings.Repeat(include, 420) + "}", "DIRECTIVE_LIMIT_EXCEEDED"},
		{"nested introspection 1000", aliases(nested, 1000), "GRAPHQL_PARSE_FAILED"},
		{"nested introspection 180 (3,000 tokens)", aliases(nested, 180), "ALIAS_LIMIT_EXCEEDED"},
		{"two __schema", aliases(nested, 2), "INTROSPECTION_LIMIT_EXCEEDED"},
		{"unknown fields 2990", unknown(2990), "GRAPHQL_VALIDATION_FAILED"},
		{"block string newlines (64 KiB), unknown field", `{ nope(x: """` + strings.Repeat("\n", 64<<10-40) + `""") }`, "GRAPHQL_VALIDATION_FAILED"},
		{"too complex (30 aliases)", aliases("ecosystems(first: 100) { nodes { characters(first: 100) { nodes { name } } } }", 30), "COMPLEXITY_LIMIT_EXCEEDED"},
	}
}

// BenchmarkAdmission sends each adversarial shape through the real GraphQL handler
// (transport, parsing, admission, validation) with the default limits: "new" makes each
// request a document the server has not seen (a leading comment differs), "repeated"
// sends the same one again. cpu-ns/op is the process's CPU time (garbage collection
// included) per refusal; ns/op, the wall time, also counts waiting for a busy CPU.
func BenchmarkAdmission(b *testing.B) {
	cfg, err := config.Load(nil, "")
	if err != nil {
		b.Fatal(err)
	}
	h := newGraphQL(Deps{
		Logger:     loggerOr(nil),
		Resolver:   &resolvers.Resolver{},
		Production: true,
		Admission: admission.Limits{
			QueryBytes: cfg.MaxQueryBytes, Tokens: cfg.MaxTokens, Fragments: cfg.MaxFragments,
			Directives: cfg.MaxDirectives, Aliases: cfg.MaxAliases, Depth: cfg.DepthLimit,
			Complexity: cfg.ComplexityLimit, Introspection: true,
		},
	}, newGuard(Limits{}, presentError(loggerOr(nil)), loggerOr(nil)))
	for _, shape := range adversarialShapes() {
		if len(shape.query) > maxJSONBody-64 {
			b.Fatalf("%s: %d bytes, over the request body limit", shape.name, len(shape.query))
		}
		// The query as JSON without its opening quote, so a comment can go in front.
		quoted, _ := json.Marshal(shape.query)
		rest := quoted[1:]
		post := func(prefix string) *httptest.ResponseRecorder {
			body := append([]byte(`{"query":"`+prefix), rest...)
			body = append(body, '}')
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		var first struct {
			Errors []struct {
				Extensions struct{ Code string }
			}
		}
		rec := post("")
		if err := json.Unmarshal(rec.Body.Bytes(), &first); err != nil || len(first.Errors) == 0 || first.Errors[0].Extensions.Code != shape.code {
			b.Fatalf("%s: answered %.300s, want %s", shape.name, rec.Body.String(), shape.code)
		}
		b.Run(shape.name+"/new", func(b *testing.B) {
			b.SetBytes(int64(len(shape.query)))
			start := cpuTime(b)
			for i := 0; b.Loop(); i++ {
				post(`# ` + strconv.Itoa(i) + `\n`)
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(rec.Body.Len()), "resp-bytes")
		})
		b.Run(shape.name+"/repeated", func(b *testing.B) {
			b.SetBytes(int64(len(shape.query)))
			start := cpuTime(b)
			for b.Loop() {
				post("")
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
