package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

const (
	gqlhttpJSON = "application/json"
	gqlhttpGQL  = "application/graphql-response+json"
)

// gqlhttpCase is one GraphQL-over-HTTP request and what the answer must be.
type gqlhttpCase struct {
	name        string
	method      string // GET or POST (default POST)
	query       url.Values
	contentType string // for POST; "-" sends none
	accept      string // "" sends none
	body        string
	chunked     bool // send the body without a Content-Length

	wantStatus int
	wantMedia  string // response media type (without parameters)
	wantCode   string // extensions.code of the only error; "" when the request must succeed
	wantData   bool   // the body must hold a data entry (and must not, when false)
	check      func(t *testing.T, res *http.Response, body map[string]json.RawMessage)
}

// gqlhttpBody is a JSON request body with the given query (and variables when non-nil).
func gqlhttpBody(t testing.TB, query string, vars map[string]any) string {
	t.Helper()
	m := map[string]any{"query": query}
	if vars != nil {
		m["variables"] = vars
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gqlhttpPerAccept returns c once for each Accept value, adjusted by adjust.
func gqlhttpPerAccept(c gqlhttpCase, adjust func(accept string, c *gqlhttpCase)) []gqlhttpCase {
	var out []gqlhttpCase
	for _, accept := range []string{gqlhttpJSON, gqlhttpGQL} {
		cc := c
		cc.name = c.name + " accept " + accept
		cc.accept = accept
		cc.wantMedia = accept
		if adjust != nil {
			adjust(accept, &cc)
		}
		out = append(out, cc)
	}
	return out
}

// gqlhttpRequestError is answered 200 under application/json and 400 under
// application/graphql-response+json, without data (parse, validation, variable errors).
func gqlhttpRequestError(accept string, c *gqlhttpCase) {
	c.wantStatus = http.StatusOK
	if accept == gqlhttpGQL {
		c.wantStatus = http.StatusBadRequest
	}
}

func gqlhttpTypename(t *testing.T, _ *http.Response, body map[string]json.RawMessage) {
	t.Helper()
	var data struct {
		Typename string `json:"__typename"`
	}
	if err := json.Unmarshal(body["data"], &data); err != nil || data.Typename != "Query" {
		t.Errorf("data = %s, want {\"__typename\":\"Query\"}", body["data"])
	}
}

func TestGraphQLOverHTTP(t *testing.T) {
	srv := testkit.NewServer(t)
	endpoint := srv.URL + "/graphql"

	// A mutation whose body is 10 MB, far over the 1 MiB limit.
	huge := gqlhttpBody(t, `mutation { createEcosystem(input: {name: "`+strings.Repeat("a", 10<<20)+`"}) { id } }`, nil)

	var cases []gqlhttpCase
	add := func(cs ...gqlhttpCase) { cases = append(cases, cs...) }

	// Success, over GET and POST.
	add(gqlhttpPerAccept(gqlhttpCase{name: "POST gqlhttpTypename", body: gqlhttpBody(t, "{ __typename }", nil),
		wantStatus: http.StatusOK, wantData: true, check: gqlhttpTypename}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET gqlhttpTypename", method: http.MethodGet,
		query:      url.Values{"query": {"{ __typename }"}},
		wantStatus: http.StatusOK, wantData: true, check: gqlhttpTypename}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET with variables", method: http.MethodGet,
		query: url.Values{
			"query":     {"query T($n: String!) { __type(name: $n) { name } }"},
			"variables": {`{"n":"Query"}`},
		},
		wantStatus: http.StatusOK, wantData: true}, nil)...)
	add(gqlhttpCase{name: "no Accept means application/json", body: gqlhttpBody(t, "{ __typename }", nil),
		wantStatus: http.StatusOK, wantMedia: gqlhttpJSON, wantData: true, check: gqlhttpTypename})
	add(gqlhttpCase{name: "Accept */* means application/json", accept: "*/*", body: gqlhttpBody(t, "{ __typename }", nil),
		wantStatus: http.StatusOK, wantMedia: gqlhttpJSON, wantData: true, check: gqlhttpTypename})
	add(gqlhttpCase{name: "Accept prefers application/json by q", accept: gqlhttpGQL + ";q=0.5, " + gqlhttpJSON,
		body: gqlhttpBody(t, "{ __typename }", nil), wantStatus: http.StatusOK, wantMedia: gqlhttpJSON, wantData: true})
	add(gqlhttpCase{name: "Accept refuses graphql-response+json with q=0.0", accept: gqlhttpGQL + ";q=0.0, " + gqlhttpJSON + ";q=0.1",
		body: gqlhttpBody(t, "{ __typename }", nil), wantStatus: http.StatusOK, wantMedia: gqlhttpJSON, wantData: true})
	add(gqlhttpCase{name: "Accept both picks graphql-response+json", accept: gqlhttpJSON + ", " + gqlhttpGQL,
		body: gqlhttpBody(t, "{ __typename }", nil), wantStatus: http.StatusOK, wantMedia: gqlhttpGQL, wantData: true})
	add(gqlhttpCase{name: "charset utf-8 accepted", contentType: gqlhttpJSON + "; charset=UTF-8",
		body: gqlhttpBody(t, "{ __typename }", nil), wantStatus: http.StatusOK, wantMedia: gqlhttpJSON, wantData: true})

	// Malformed requests: 400 under both media types, never a data entry.
	for _, bad := range []struct{ name, body string }{
		{"malformed JSON", `{"query": "{ __typename }"`},
		{"empty body", ``},
		{"JSON array body", `[{"query": "{ __typename }"}]`},
		{"JSON string body", `"{ __typename }"`},
		{"JSON null body", `null`},
		{"trailing data after the object", `{"query": "{ __typename }"}}`},
		{"two JSON values", `{"query": "{ __typename }"} {"query": "{ __typename }"}`},
		{"query missing", `{"qeury": "{ __typename }"}`},
		{"query named in another case", `{"Query": "{ __typename }"}`},
		{"query of the wrong type", `{"query": 42}`},
		{"query an object", `{"query": {"q": "{ __typename }"}}`},
		{"operationName of the wrong type", `{"query": "{ __typename }", "operationName": 1}`},
		{"variables of the wrong type", `{"query": "{ __typename }", "variables": "{}"}`},
		{"extensions of the wrong type", `{"query": "{ __typename }", "extensions": []}`},
		{"invalid UTF-8", "{\"query\": \"{ __typename } # \xff\xfe\"}"},
	} {
		add(gqlhttpPerAccept(gqlhttpCase{name: bad.name, body: bad.body,
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST"}, nil)...)
	}
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET variables not JSON", method: http.MethodGet,
		query:      url.Values{"query": {"{ __typename }"}, "variables": {"{nope"}},
		wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST"}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET variables with trailing data", method: http.MethodGet,
		query:      url.Values{"query": {"{ __typename }"}, "variables": {`{} {}`}},
		wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST"}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET query not UTF-8", method: http.MethodGet,
		query:      url.Values{"query": {"{ __typename } # \xff"}},
		wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST"}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET without query", method: http.MethodGet,
		wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST"}, nil)...)

	// Request errors found by GraphQL itself: 200 under json, 400 under graphql-response+json.
	add(gqlhttpPerAccept(gqlhttpCase{name: "query does not parse", body: gqlhttpBody(t, "{", nil),
		wantCode: "GRAPHQL_PARSE_FAILED"}, gqlhttpRequestError)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "unknown field", body: gqlhttpBody(t, "{ noSuchField }", nil),
		wantCode: "GRAPHQL_VALIDATION_FAILED"}, gqlhttpRequestError)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "wrong variable type",
		body:     gqlhttpBody(t, "query($f: Int){ ecosystems(first: $f){ totalCount } }", map[string]any{"f": "ten"}),
		wantCode: "GRAPHQL_VALIDATION_FAILED"}, gqlhttpRequestError)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "required variable null",
		body:     gqlhttpBody(t, "query($id: ID!){ __typename }", map[string]any{"id": nil}),
		wantCode: "GRAPHQL_VALIDATION_FAILED"}, gqlhttpRequestError)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "unknown operationName",
		body:     `{"query": "query A { __typename }", "operationName": "B"}`,
		wantCode: "GRAPHQL_VALIDATION_FAILED"}, gqlhttpRequestError)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET query does not parse", method: http.MethodGet,
		query: url.Values{"query": {"{"}}, wantCode: "GRAPHQL_PARSE_FAILED"}, gqlhttpRequestError)...)

	// Methods.
	add(gqlhttpPerAccept(gqlhttpCase{name: "GET mutation", method: http.MethodGet,
		query:      url.Values{"query": {"mutation { __typename }"}},
		wantStatus: http.StatusMethodNotAllowed, wantCode: "BAD_REQUEST",
		check: func(t *testing.T, res *http.Response, _ map[string]json.RawMessage) {
			if got := res.Header.Get("Allow"); got != http.MethodPost {
				t.Errorf("Allow = %q, want POST", got)
			}
		}}, nil)...)
	// PUT and DELETE are also how graphql-sse's single connection mode reserves a stream
	// and stops an operation: the refusal says to use its default mode instead.
	for _, method := range []string{http.MethodPut, http.MethodDelete} {
		add(gqlhttpPerAccept(gqlhttpCase{name: method, method: method, body: gqlhttpBody(t, "{ __typename }", nil),
			wantStatus: http.StatusMethodNotAllowed, wantCode: "BAD_REQUEST",
			check: func(t *testing.T, res *http.Response, body map[string]json.RawMessage) {
				if got := res.Header.Get("Allow"); got != "OPTIONS, GET, POST" {
					t.Errorf("Allow = %q, want OPTIONS, GET, POST", got)
				}
				if !strings.Contains(string(body["errors"]), "single connection mode") {
					t.Errorf("errors %s do not mention graphql-sse's single connection mode", body["errors"])
				}
			}}, nil)...)
	}

	// Media types.
	add(gqlhttpPerAccept(gqlhttpCase{name: "unsupported Content-Type", contentType: "text/plain",
		body: gqlhttpBody(t, "{ __typename }", nil), wantStatus: http.StatusUnsupportedMediaType, wantCode: "BAD_REQUEST"}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "no Content-Type", contentType: "-",
		body: gqlhttpBody(t, "{ __typename }", nil), wantStatus: http.StatusUnsupportedMediaType, wantCode: "BAD_REQUEST"}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "charset other than utf-8", contentType: gqlhttpJSON + "; charset=latin1",
		body: gqlhttpBody(t, "{ __typename }", nil), wantStatus: http.StatusUnsupportedMediaType, wantCode: "BAD_REQUEST"}, nil)...)
	add(gqlhttpCase{name: "Accept text/html only", accept: "text/html", body: gqlhttpBody(t, "{ __typename }", nil),
		wantStatus: http.StatusNotAcceptable, wantMedia: gqlhttpJSON, wantCode: "NOT_ACCEPTABLE"})
	add(gqlhttpCase{name: "GET Accept text/html only", method: http.MethodGet, accept: "text/html",
		query:      url.Values{"query": {"{ __typename }"}},
		wantStatus: http.StatusNotAcceptable, wantMedia: gqlhttpJSON, wantCode: "NOT_ACCEPTABLE"})

	// Size.
	add(gqlhttpPerAccept(gqlhttpCase{name: "body over 1 MiB", body: huge,
		wantStatus: http.StatusRequestEntityTooLarge, wantCode: "PAYLOAD_TOO_LARGE"}, nil)...)
	add(gqlhttpPerAccept(gqlhttpCase{name: "chunked body over 1 MiB", body: huge, chunked: true,
		wantStatus: http.StatusRequestEntityTooLarge, wantCode: "PAYLOAD_TOO_LARGE"}, nil)...)

	client := &http.Client{Timeout: 30 * time.Second}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, body := gqlhttpSend(t, client, endpoint, c)
			if res.StatusCode != c.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", res.StatusCode, c.wantStatus, gqlhttpTruncate(body))
			}
			mt, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
			if err != nil || mt != c.wantMedia {
				t.Errorf("Content-Type = %q, want %s", res.Header.Get("Content-Type"), c.wantMedia)
			} else if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
				t.Errorf("Content-Type charset = %q, want utf-8", cs)
			}
			var top map[string]json.RawMessage
			if err := json.Unmarshal(body, &top); err != nil {
				t.Fatalf("body is not a JSON object: %v: %s", err, gqlhttpTruncate(body))
			}
			if _, ok := top["data"]; ok != c.wantData {
				t.Errorf("data entry present = %v, want %v (body %s)", ok, c.wantData, gqlhttpTruncate(body))
			}
			var errs []testkit.Error
			if raw, ok := top["errors"]; ok {
				if err := json.Unmarshal(raw, &errs); err != nil {
					t.Fatalf("errors: %v: %s", err, raw)
				}
			}
			if c.wantCode == "" {
				if len(errs) > 0 {
					t.Errorf("unexpected errors: %+v", errs)
				}
			} else if len(errs) != 1 || errs[0].Code() != c.wantCode {
				t.Errorf("errors = %+v, want one with code %s", errs, c.wantCode)
			}
			reqID := res.Header.Get("X-Request-Id")
			for _, e := range errs {
				if got, _ := e.Extensions["requestId"].(string); got == "" || got != reqID {
					t.Errorf("error %q: extensions.requestId = %q, want the X-Request-Id %q", e.Message, got, reqID)
				}
				if e.Message == "" {
					t.Errorf("error without a message: %+v", e)
				}
			}
			if c.check != nil {
				c.check(t, res, top)
			}
		})
	}
}

func gqlhttpSend(t *testing.T, client *http.Client, endpoint string, c gqlhttpCase) (*http.Response, []byte) {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	target := endpoint
	if c.query != nil {
		target += "?" + c.query.Encode()
	}
	var reqBody io.Reader
	if c.body != "" {
		reqBody = strings.NewReader(c.body)
		if c.chunked {
			reqBody = struct{ io.Reader }{reqBody} // hides the length
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, reqBody)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet {
		switch c.contentType {
		case "":
			req.Header.Set("Content-Type", gqlhttpJSON)
		case "-":
		default:
			req.Header.Set("Content-Type", c.contentType)
		}
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, endpoint, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read the response: %v", err)
	}
	return res, body
}

func gqlhttpTruncate(b []byte) string {
	const max = 500
	if len(b) > max {
		return string(bytes.ToValidUTF8(b[:max], nil)) + "..."
	}
	return string(b)
}
