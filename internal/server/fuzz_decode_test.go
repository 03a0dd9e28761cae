package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/literaryai/ensemble/internal/errs"
)

// checkDecodeError fails unless err is a refusal the transports answer with a code: a
// request error (BAD_REQUEST, PAYLOAD_TOO_LARGE, ...) or bad input (BAD_USER_INPUT).
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var (
		re      *requestError
		invalid *errs.InvalidError
	)
	switch {
	case errors.As(err, &re):
		if re.status < 400 || re.status >= 500 || re.code == "" {
			t.Fatalf("refused with status %d, code %q: %v", re.status, re.code, err)
		}
	case errors.As(err, &invalid):
		if invalid.Field == "" {
			t.Fatalf("bad input without a field: %v", err)
		}
	default:
		t.Fatalf("refused with an untyped error (it would answer without its own code): %v", err)
	}
}

// encodedParams is the JSON a client would send for params, to read them again.
func encodedParams(t *testing.T, p *graphql.RawParams) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": p.Query, "operationName": p.OperationName,
		"variables": p.Variables, "extensions": p.Extensions})
	if err != nil {
		t.Fatalf("encode %+v: %v", p, err)
	}
	return b
}

func postJSON(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// FuzzDecodeJSONBody: a POST body decodes into GraphQL parameters or is refused with a
// code, never a panic; decoded parameters, encoded again, decode to the same.
func FuzzDecodeJSONBody(f *testing.F) {
	for _, seed := range []string{
		`{"query":"{ __typename }"}`,
		`{"query":"query($n: String!) { x(n: $n) }","operationName":"Q","variables":{"n":"a","l":[1,2.5,true,null,{"k":"v"}]},"extensions":{"e":1}}`,
		`{"query":"{ a }","variables":{"s":"\ud800"}}`,
		`{"query":"{ a }","variables":{"s":"\ud83d\ude00","t":"\\ud800"}}`,
		`{"query":"{ a }","variables":{"\udc00":1}}`,
		`{"query":1}`, `{"Query":"{ a }"}`, `[]`, `null`, `{"query":"{ a }"} {}`, "{\"query\":\"\xff\"}",
		`{"query":"{ a }","variables":{"n":1e999}}`, `{"query":"{ a }","variables":{"n":12345678901234567890}}`,
	} {
		f.Add([]byte(seed))
	}
	tr := httpTransport{maxBody: maxJSONBody}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := tr.readRequest(httptest.NewRecorder(), postJSON(body))
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		again := encodedParams(t, p)
		q, err := tr.readRequest(httptest.NewRecorder(), postJSON(again))
		if err != nil {
			t.Fatalf("%s decoded, encoded as %s, refused: %v", body, again, err)
		}
		if twice := encodedParams(t, q); !bytes.Equal(again, twice) {
			t.Fatalf("%s decoded as %s, then as %s", body, again, twice)
		}
	})
}

// FuzzDecodeGETParams: a GET query string decodes into GraphQL parameters or is refused
// with a code, never a panic.
func FuzzDecodeGETParams(f *testing.F) {
	for _, seed := range []string{
		"query=%7B__typename%7D",
		"query=query(%24n%3A+String)%7Bx%7D&variables=%7B%22n%22%3A%22a%22%7D&operationName=Q",
		"query=%7Ba%7D&variables=%7B%22n%22%3A%22%5Cud800%22%7D",
		"query=%7Ba%7D&variables=%7Bnope", "query=%ff", "query=%7Ba%7D&extensions=%5B%5D", "variables=%7B%7D", "%zz=1&query=a",
	} {
		f.Add(seed)
	}
	tr := httpTransport{maxBody: maxJSONBody}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/graphql", RawQuery: rawQuery}, Header: http.Header{}}
		if _, err := tr.readRequest(httptest.NewRecorder(), r); err != nil {
			checkDecodeError(t, err)
		}
	})
}

// FuzzDecodeMultipart: an upload request decodes into parameters with its files in the
// variables, or is refused with a code, never a panic (gqlgen's own transport panicked
// on a map path that did not fit the variables).
func FuzzDecodeMultipart(f *testing.F) {
	part := func(header, body string) string { return "--B\r\n" + header + "\r\n\r\n" + body + "\r\n" }
	ops := part(`Content-Disposition: form-data; name="operations"`,
		`{"query":"mutation($f: Upload!, $l: [Upload]) { u(f: $f, l: $l) }","variables":{"f":null,"l":[null,null]}}`)
	for _, seed := range []string{
		ops + part(`Content-Disposition: form-data; name="map"`, `{"0":["variables.f"],"1":["variables.l.1","variables.l.0"]}`) +
			part(`Content-Disposition: form-data; name="0"; filename="a.txt"`, "words") +
			part(`Content-Disposition: form-data; name="1"; filename*=UTF-8''b%C3%A9.txt`, "more") + "--B--\r\n",
		ops + part(`Content-Disposition: form-data; name="map"`, `{"0":["variables.l.5"]}`) +
			part(`Content-Disposition: form-data; name="0"; filename="a.txt"`, "x") + "--B--\r\n",
		ops + part(`Content-Disposition: form-data; name="map"`, `{"0":["variables.f.x.y"]}`) +
			part("Content-Disposition: form-data; name=\"0\"; filename=\"a\x00.txt\"", "x") + "--B--\r\n",
		ops + part(`Content-Disposition: form-data; name="map"`, `{"0":["variables.f"]}`) + "--B--\r\n",
		part(`Content-Disposition: form-data; name="map"`, `{}`) + "--B--\r\n",
		"--B--\r\n", "", "--B\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		p, err := readUpload(httptest.NewRecorder(), r, 1<<20)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if p.Variables == nil {
			t.Fatal("decoded without variables")
		}
	})
}
