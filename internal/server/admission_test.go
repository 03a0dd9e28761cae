package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// doublingFragments spreads each fragment's next one twice: n fragments make 2^n fields.
func doublingFragments(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// fragmentChain spreads each fragment's next one once.
func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// aliased writes n aliases of sel.
func aliased(sel string, n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, sel)
	}
	b.WriteString(" }")
	return b.String()
}

// TestCostlyDocumentsAreRefused (issue 12, finding 1): documents whose validation or
// measurement used to cost seconds are refused, without a token, with one error and a
// code that says which limit.
func TestCostlyDocumentsAreRefused(t *testing.T) {
	t.Parallel()
	c := testkit.NewServer(t).Client()
	tests := []struct{ name, query, code string }{
		{"22 doubling fragments", doublingFragments(22), "SELECTION_LIMIT_EXCEEDED"},
		{"40 doubling fragments", doublingFragments(40), "SELECTION_LIMIT_EXCEEDED"},
		{"a chain of 4,000 fragments", fragmentChain(4000), "PAYLOAD_TOO_LARGE"},
		{"a chain of 1,000 fragments", fragmentChain(1000), "GRAPHQL_PARSE_FAILED"},
		{"a chain of 300 fragments", fragmentChain(300), "FRAGMENT_LIMIT_EXCEEDED"},
		{"one field 1,000 times", "{" + strings.Repeat(" __typename", 1000) + " }", "SELECTION_LIMIT_EXCEEDED"},
		{"2,500 logins", aliased(`login(input: {login: "a", password: "b"}) { accessToken }`, 2500), "PAYLOAD_TOO_LARGE"},
		{"100 aliases", aliased("__typename", 100), "ALIAS_LIMIT_EXCEEDED"},
		{"too deep", `{ ecosystems { nodes { characters { nodes { ecosystem { characters { nodes { ecosystem { characters { nodes { ecosystem { characters { nodes { id } } } } } } } } } } } } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"too complex", `{ ecosystems(first: 100) { nodes { characters(first: 100) { nodes { name } } } } }`, "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Do(t, tc.query, nil)
			if code := r.Code(t); code != tc.code {
				t.Fatalf("code %s (%s), want %s", code, r.Errors[0].Message, tc.code)
			}
		})
	}
}

// introspectionQuery is graphql-js's getIntrospectionQuery(), as GraphiQL and code
// generators send it.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

func playground(t *testing.T, s *testkit.Server) (int, string) {
	t.Helper()
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestIntrospection (finding 2): off in production unless set, once per operation and
// counted in cost when on, and the playground follows it.
func TestIntrospection(t *testing.T) {
	t.Parallel()
	t.Run("off in production", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, "ENSEMBLE_ENV=production")
		c := s.Client()
		for _, q := range []string{introspectionQuery, `{ __type(name: "Query") { name } }`} {
			if code := c.Do(t, q, nil).Code(t); code != "INTROSPECTION_DISABLED" {
				t.Fatalf("code %s", code)
			}
		}
		var out struct {
			Typename string `json:"__typename"`
		}
		c.Must(t, `{ __typename }`, nil, &out)
		if status, body := playground(t, s); status != http.StatusNotFound || !strings.Contains(body, "introspection is off") {
			t.Fatalf("GET / answered %d: %.100s", status, body)
		}
	})
	t.Run("on when set in production", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, "ENSEMBLE_ENV=production", "GRAPHQL_INTROSPECTION=true")
		var out map[string]any
		s.Client().Must(t, introspectionQuery, nil, &out)
		if status, _ := playground(t, s); status != http.StatusOK {
			t.Fatalf("GET / answered %d", status)
		}
	})
	t.Run("once per operation", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t)
		c := s.Client()
		var out map[string]any
		c.Must(t, introspectionQuery, nil, &out)
		for q, code := range map[string]string{
			`{ a: __schema { queryType { name } } b: __schema { queryType { name } } }`: "INTROSPECTION_LIMIT_EXCEEDED",
			// 1,000 aliases of a nested __schema: 10.9 MB of answer before.
			aliased("__schema { types { fields { type { name } } } }", 1000): "GRAPHQL_PARSE_FAILED",
			aliased("__schema { types { fields { type { name } } } }", 31):   "ALIAS_LIMIT_EXCEEDED",
		} {
			if got := c.Do(t, q, nil).Code(t); got != code {
				t.Fatalf("%.60s: code %s, want %s", q, got, code)
			}
		}
		if status, _ := playground(t, s); status != http.StatusOK {
			t.Fatalf("GET / answered %d", status)
		}
	})
	t.Run("counted in cost", func(t *testing.T) {
		t.Parallel()
		// __schema, types, fields, args (objects; their scalar fields cost nothing): 4.
		c := testkit.NewServer(t, "GRAPHQL_COMPLEXITY_LIMIT=3").Client()
		r := c.Do(t, `{ __schema { types { name fields { name args { name } } } } }`, nil)
		if code := r.Code(t); code != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Fatalf("code %s", code)
		}
	})
}

// TestErrorFloodsAreCapped (finding 4): 40,000 directives on one field answered 8.4 MB of
// errors; now one error. With the caps raised, validation stops after 100 errors, and so
// does a response whose fields fail by the hundred.
func TestErrorFloodsAreCapped(t *testing.T) {
	t.Parallel()
	t.Run("refused as one error", func(t *testing.T) {
		t.Parallel()
		c := testkit.NewServer(t).Client()
		for q, code := range map[string]string{
			"{ __typename " + strings.Repeat("@include(if: true) ", 40000) + "}": "PAYLOAD_TOO_LARGE",
			"{ __typename " + strings.Repeat("@include(if: true) ", 51) + "}":    "DIRECTIVE_LIMIT_EXCEEDED",
		} {
			if got := c.Do(t, q, nil).Code(t); got != code {
				t.Fatalf("code %s, want %s", got, code)
			}
		}
	})
	t.Run("capped", func(t *testing.T) {
		t.Parallel()
		c := testkit.NewServer(t, "GRAPHQL_MAX_QUERY_BYTES=1048576", "GRAPHQL_MAX_TOKENS=100000",
			"GRAPHQL_MAX_DIRECTIVES=100000", "GRAPHQL_MAX_ALIASES=1000").Client()
		for name, q := range map[string]string{
			"validation": "{ __typename " + strings.Repeat("@include(if: true) ", 2000) + "}",
			"execution":  aliased(`character(id: "x") { id }`, 150),
		} {
			r := c.Do(t, q, nil)
			if n := len(r.Errors); n != 101 || !strings.HasPrefix(r.Errors[100].Message, "too many errors") {
				t.Fatalf("%s: %d errors, the last %+v", name, n, r.Errors[n-1])
			}
		}
	})
}

// TestProductionHidesEverySuggestion (finding 7): no "Did you mean" in production, for
// arguments, enum values, input fields and types as for fields.
func TestProductionHidesEverySuggestion(t *testing.T) {
	t.Parallel()
	queries := map[string]string{
		"field":       `{ mee { id } }`,
		"argument":    `{ ecosystems(frist: 1) { totalCount } }`,
		"enum value":  `mutation { setConversationStatus(id: "x", status: PAUSD) { id } }`,
		"input field": `mutation { createEcosystem(input: {nam: "x"}) { id } }`,
		"type":        `{ ...F } fragment F on Qury { __typename }`,
		"subfields":   `{ me }`,
	}
	for env, want := range map[string]bool{"development": true, "production": false} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			c := testkit.NewServer(t, "ENSEMBLE_ENV="+env).Client()
			for name, q := range queries {
				r := c.Do(t, q, nil)
				if len(r.Errors) == 0 {
					t.Fatalf("%s: no error", name)
				}
				shown := false
				for _, e := range r.Errors {
					shown = shown || strings.Contains(e.Message, "Did you mean")
				}
				if shown != want {
					t.Errorf("%s: suggestion shown = %v: %+v", name, shown, r.Errors)
				}
			}
		})
	}
}
