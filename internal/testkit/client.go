package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
)

// Client speaks GraphQL over HTTP to a Server, as one user.
type Client struct {
	URL   string
	Token string
	// Header, when set, is sent with every request besides the client's own headers.
	Header http.Header
}

// Client returns an anonymous client of s.
func (s *Server) Client() *Client {
	return &Client{URL: s.URL + "/graphql"}
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is extensions.code.
func (e Error) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// Response is a GraphQL response with its HTTP status.
type Response struct {
	Status int             `json:"-"`
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Decode unmarshals data into v, failing the test on errors.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected GraphQL errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// Code returns the code of the only error, failing the test unless there is exactly one.
func (r *Response) Code(t testing.TB) string {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly one error, got %d: %+v (data %s)", len(r.Errors), r.Errors, r.Data)
	}
	return r.Errors[0].Code()
}

// request builds a GraphQL POST as c.
func (c *Client) request(t testing.TB, query string, vars map[string]any) *http.Request {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	req, err := http.NewRequest(http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req
}

// Do posts a query with variables and returns the response, whatever it holds.
func (c *Client) Do(t testing.TB, query string, vars map[string]any) *Response {
	t.Helper()
	return send(t, c.request(t, query, vars))
}

// Raw posts a query and returns the undecoded response body, failing on a non-200 status
// or an errors entry: for benchmarks, which should not time the client's decoding.
func (c *Client) Raw(t testing.TB, query string, vars map[string]any) []byte {
	t.Helper()
	resp, err := http.DefaultClient.Do(c.request(t, query, vars))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(raw[:min(len(raw), 64)], []byte(`"errors"`)) {
		t.Fatalf("status %d: %.300s", resp.StatusCode, raw)
	}
	return raw
}

// Discard posts a query and reads the response into nothing, returning its size and
// failing on a non-200 status or an errors entry at its start: for benchmarks of big
// answers, whose client would otherwise cost more than the server.
func (c *Client) Discard(t testing.TB, query string, vars map[string]any) int64 {
	t.Helper()
	resp, err := http.DefaultClient.Do(c.request(t, query, vars))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(resp.Body, head)
	rest, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(head[:n], []byte(`"errors"`)) {
		t.Fatalf("status %d: %s", resp.StatusCode, head[:n])
	}
	return int64(n) + rest
}

func send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	out := &Response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", resp.StatusCode, raw)
	}
	return out
}

// Must runs a query that must succeed and decodes its data into v.
func (c *Client) Must(t testing.TB, query string, vars map[string]any, v any) {
	t.Helper()
	r := c.Do(t, query, vars)
	r.Decode(t, v)
}

// Session is a registered user's tokens.
type Session struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	User         struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"user"`
}

// Register creates an account named name (email name@example.com, password
// "password-"+name) and returns a client signed in as it.
func (s *Server) Register(t testing.TB, name string) (*Client, Session) {
	t.Helper()
	var out struct{ Register Session }
	s.Client().Must(t, `mutation($in: RegisterInput!) {
		register(input: $in) { accessToken refreshToken user { id username } } }`,
		map[string]any{"in": map[string]any{
			"username": name, "email": name + "@example.com", "password": "password-" + name,
		}}, &out)
	c := s.Client()
	c.Token = out.Register.AccessToken
	return c, out.Register
}

// CreateEcosystem creates an ecosystem as c and returns its id.
func (c *Client) CreateEcosystem(t testing.TB, name string) string {
	t.Helper()
	var out struct{ CreateEcosystem struct{ ID string } }
	c.Must(t, `mutation($n: String!) { createEcosystem(input: {name: $n}) { id } }`, map[string]any{"n": name}, &out)
	return out.CreateEcosystem.ID
}

// CreateCharacter creates a character named name in the ecosystem and returns its id.
func (c *Client) CreateCharacter(t testing.TB, ecosystemID, name string) string {
	t.Helper()
	var out struct{ CreateCharacter struct{ ID string } }
	c.Must(t, `mutation($e: ID!, $n: String!) { createCharacter(input: {ecosystemId: $e, name: $n}) { id } }`,
		map[string]any{"e": ecosystemID, "n": name}, &out)
	return out.CreateCharacter.ID
}

// Count returns the rows of a table, for asserting that a refused request wrote nothing.
func (s *Server) Count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := s.Pool.QueryRow(t.Context(), fmt.Sprintf("SELECT count(*) FROM %s", ident(table))).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// Upload is a file sent with a GraphQL multipart request.
type Upload struct {
	Filename    string
	ContentType string
	Content     []byte
	// NoPreflightHeader leaves out Apollo-Require-Preflight, as a cross-site form would.
	NoPreflightHeader bool
}

// Upload sends query as a GraphQL multipart request (the spec of jaydenseric's
// graphql-multipart-request-spec) with the file bound to the variable $file.
func (c *Client) Upload(t testing.TB, query string, vars map[string]any, up Upload) *Response {
	t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["file"] = nil
	ops, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("operations", string(ops))
	_ = mw.WriteField("map", `{"0": ["variables.file"]}`)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="0"; filename=%q`, up.Filename))
	if up.ContentType != "" {
		h.Set("Content-Type", up.ContentType)
	}
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(up.Content)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.URL, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if !up.NoPreflightHeader {
		req.Header.Set("Apollo-Require-Preflight", "true")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return send(t, req)
}
