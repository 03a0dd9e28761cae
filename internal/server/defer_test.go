package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

// apolloAccept is the Accept header of Apollo Client 4's HttpLink with its
// Defer20220824Handler, for an operation holding @defer.
const apolloAccept = "multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9"

// castWithBonds asks for a cast at once and each character's relationships later.
const castWithBonds = `query Cast($e: ID!, $d: Boolean! = true) {
  characters(filter: {ecosystemId: $e}, first: 10) {
    nodes {
      id
      name
      ... @defer(label: "bonds", if: $d) {
        relationships(first: 10) { nodes { type to { name } } }
      }
    }
  }
}`

// castAtOnce is castWithBonds without @defer: the planner answers it.
const castAtOnce = `query Cast($e: ID!) {
  characters(filter: {ecosystemId: $e}, first: 10) {
    nodes { id name relationships(first: 10) { nodes { type to { name } } } }
  }
}`

// deferCast registers a user with an ecosystem of three characters, two of them bound,
// and returns the user's token and the ecosystem's id.
func deferCast(t *testing.T, s *testkit.Server) (token, ecosystem string) {
	t.Helper()
	c, session := s.Register(t, "deferrer")
	ecosystem = c.CreateEcosystem(t, "Longbourn")
	elizabeth := c.CreateCharacter(t, ecosystem, "Elizabeth")
	jane := c.CreateCharacter(t, ecosystem, "Jane")
	darcy := c.CreateCharacter(t, ecosystem, "Darcy")
	for _, r := range [][3]string{{elizabeth, jane, "FAMILY"}, {elizabeth, darcy, "RIVAL"}} {
		c.Must(t, `mutation($in: CreateRelationshipInput!) { createRelationship(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"fromId": r[0], "toId": r[1], "type": r[2]}}, &struct{}{})
	}
	return session.AccessToken, ecosystem
}

// deferRequest sends a GraphQL request with the given Accept (GET when method says so)
// and returns the response, its body unread.
func deferRequest(t *testing.T, s *testkit.Server, method, token, accept, query string, vars map[string]any) *http.Response {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodGet {
		v, _ := json.Marshal(vars)
		q := url.Values{"query": {query}, "variables": {string(v)}}
		req, err = http.NewRequest(http.MethodGet, s.URL+"/graphql?"+q.Encode(), nil)
	} else {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, err = http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// deferPayload is one part of an incremental response.
type deferPayload struct {
	Data        json.RawMessage   `json:"data"`
	Errors      []testkit.Error   `json:"errors"`
	HasNext     *bool             `json:"hasNext"`
	Incremental []deferredPayload `json:"incremental"`
}

type deferredPayload struct {
	Data   json.RawMessage `json:"data"`
	Path   []any           `json:"path"`
	Label  string          `json:"label"`
	Errors []testkit.Error `json:"errors"`
}

// parts reads an incremental response part by part, as a client does.
type parts struct {
	t  *testing.T
	mr *multipart.Reader
}

func readParts(t *testing.T, resp *http.Response) *parts {
	t.Helper()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["deferspec"] != "20220824" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q (status %d), want multipart/mixed with a boundary and deferSpec=20220824",
			resp.Header.Get("Content-Type"), resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return &parts{t: t, mr: multipart.NewReader(resp.Body, params["boundary"])}
}

// next returns the next part, failing the test when there is none.
func (p *parts) next() deferPayload {
	p.t.Helper()
	part, err := p.mr.NextPart()
	if err != nil {
		p.t.Fatalf("next part: %v", err)
	}
	if ct := part.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		p.t.Fatalf("part Content-Type %q", ct)
	}
	var out deferPayload
	if err := json.NewDecoder(part).Decode(&out); err != nil {
		p.t.Fatalf("part: %v", err)
	}
	if out.HasNext == nil {
		p.t.Fatalf("a part without hasNext: %+v", out)
	}
	return out
}

// end checks that the response ends after the last part.
func (p *parts) end() {
	p.t.Helper()
	if part, err := p.mr.NextPart(); !errors.Is(err, io.EOF) {
		p.t.Fatalf("after the last part: %v, %v", part, err)
	}
}

// rest reads the parts after the first up to the last, checking their form, and returns
// their deferred payloads.
func (p *parts) rest() []deferredPayload {
	p.t.Helper()
	var out []deferredPayload
	for {
		next := p.next()
		if next.Data != nil || len(next.Errors) > 0 {
			p.t.Fatalf("a later part with data or errors of its own: %+v", next)
		}
		out = append(out, next.Incremental...)
		if !*next.HasNext {
			p.end()
			return out
		}
	}
}

// decode unmarshals JSON into a generic value.
func decode(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// mergeAt merges the deferred data into data at path, as a client does.
func mergeAt(t *testing.T, data any, d deferredPayload) {
	t.Helper()
	at := data
	for _, step := range d.Path {
		switch k := step.(type) {
		case string:
			at = at.(map[string]any)[k]
		case float64:
			at = at.([]any)[int(k)]
		}
	}
	obj, ok := at.(map[string]any)
	if !ok {
		t.Fatalf("path %v leads to %v, not an object", d.Path, at)
	}
	for k, v := range decode(t, d.Data).(map[string]any) {
		obj[k] = v
	}
}

func TestDeferOverHTTP(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	token, ecosystem := deferCast(t, s)
	whole := gql(t, http.DefaultClient, s, token, castAtOnce, map[string]any{"e": ecosystem})
	if whole.code() != "" {
		t.Fatalf("the cast at once: %+v", whole.Errors)
	}
	want := decode(t, whole.Data)
	if !strings.Contains(string(whole.Data), `"to":{"name":"Darcy"}`) {
		t.Fatalf("the cast at once lacks its relationships: %s", whole.Data)
	}

	tests := []struct {
		name   string
		method string
		accept string
		on     bool // the @defer's if
		// parts says the answer is incremental: the cast first, the relationships later.
		// Otherwise it is one JSON response of wantMedia with everything inline.
		parts     bool
		wantMedia string
	}{
		{name: "Apollo Client's Defer20220824Handler", accept: apolloAccept, on: true, parts: true},
		{name: "bare multipart/mixed", accept: "multipart/mixed", on: true, parts: true},
		{name: "GET", method: http.MethodGet, accept: apolloAccept, on: true, parts: true},
		{name: "application/json", accept: "application/json", on: true, wantMedia: "application/json"},
		{name: "graphql-response+json", accept: "application/graphql-response+json", on: true, wantMedia: "application/graphql-response+json"},
		{name: "Apollo Client's GraphQL17Alpha9Handler, whose format is not served", on: true,
			accept:    "multipart/mixed;incrementalSpec=v0.2,application/graphql-response+json,application/json;q=0.9",
			wantMedia: "application/graphql-response+json"},
		{name: "JSON preferred", accept: "multipart/mixed;q=0.5, application/json", on: true, wantMedia: "application/json"},
		{name: "if: false", accept: apolloAccept, on: false, wantMedia: "application/graphql-response+json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := deferRequest(t, s, tc.method, token, tc.accept, castWithBonds, map[string]any{"e": ecosystem, "d": tc.on})
			if !tc.parts {
				if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != tc.wantMedia || resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, Content-Type %q, want 200 %s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.wantMedia)
				}
				var got map[string]json.RawMessage
				if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
					t.Fatal(err)
				}
				if _, ok := got["hasNext"]; ok || got["errors"] != nil {
					t.Fatalf("not one plain result: %s", got)
				}
				if data := decode(t, got["data"]); !reflect.DeepEqual(data, want) {
					t.Fatalf("data %s, want it all inline: %s", got["data"], whole.Data)
				}
				return
			}
			p := readParts(t, resp)
			first := p.next()
			if !*first.HasNext || len(first.Errors) > 0 || first.Incremental != nil {
				t.Fatalf("first part: %+v", first)
			}
			data := decode(t, first.Data)
			nodes := data.(map[string]any)["characters"].(map[string]any)["nodes"].([]any)
			for _, n := range nodes {
				if _, ok := n.(map[string]any)["relationships"]; ok {
					t.Fatalf("the first part holds a deferred field: %s", first.Data)
				}
			}
			later := p.rest()
			if len(later) != len(nodes) {
				t.Fatalf("%d deferred payloads for %d characters: %+v", len(later), len(nodes), later)
			}
			seen := map[int]bool{}
			for _, d := range later {
				if d.Label != "bonds" || len(d.Errors) > 0 || len(d.Path) != 3 || d.Path[0] != "characters" || d.Path[1] != "nodes" {
					t.Fatalf("deferred payload: %+v", d)
				}
				seen[int(d.Path[2].(float64))] = true
				mergeAt(t, data, d)
			}
			if len(seen) != len(nodes) {
				t.Fatalf("deferred payloads at %v, want one per character", seen)
			}
			if !reflect.DeepEqual(data, want) {
				got, _ := json.Marshal(data)
				t.Fatalf("merged %s\nwant     %s", got, whole.Data)
			}
		})
	}

	t.Run("nested @defer", func(t *testing.T) {
		t.Parallel()
		const nested = `query Cast($e: ID!) {
		  characters(filter: {ecosystemId: $e}, first: 10) {
		    nodes { id name ... @defer(label: "bonds") {
		      relationships(first: 10) { nodes { type ... @defer(label: "ends") { to { name } } } } } }
		  }
		}`
		p := readParts(t, deferRequest(t, s, http.MethodPost, token, apolloAccept, nested, map[string]any{"e": ecosystem}))
		first := p.next()
		data := decode(t, first.Data)
		ends := 0
		for _, d := range p.rest() {
			if strings.Contains(string(d.Data), "null") {
				t.Fatalf("a deferred payload holds a field still to come: %+v (%s)", d, d.Data)
			}
			if d.Label == "ends" {
				ends++
				if len(d.Path) != 6 || d.Path[3] != "relationships" {
					t.Fatalf("nested deferred payload: %+v", d)
				}
			}
			mergeAt(t, data, d)
		}
		if got, _ := json.Marshal(data); ends != 4 || !reflect.DeepEqual(data, want) {
			t.Fatalf("merged %s (%d nested payloads)\nwant     %s", got, ends, whole.Data)
		}
	})

	// Fields without a resolver are resolved at once, deferred or not: they come in the
	// first part, except a null, which the first part cannot tell from one still to come;
	// with nothing else deferred, the result is one JSON response.
	t.Run("plain fields of a deferred fragment", func(t *testing.T) {
		t.Parallel()
		const plainOnly = `query($e: ID!) { characters(filter: {ecosystemId: $e}, first: 10) { nodes {
			id ... @defer(label: "plain") { currentEmotion lastInteraction } } } }`
		r := gql(t, http.DefaultClient, s, token, plainOnly, map[string]any{"e": ecosystem}, "Accept", apolloAccept)
		if r.status != http.StatusOK || r.code() != "" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/graphql-response+json") ||
			!strings.Contains(string(r.Data), `"currentEmotion":"neutral","lastInteraction":null`) {
			t.Fatalf("only plain fields deferred: status %d, %s, %s", r.status, r.header.Get("Content-Type"), r.Data)
		}

		const both = `query($e: ID!) { characters(filter: {ecosystemId: $e}, first: 10) { nodes {
			id
			... @defer(label: "plain") { currentEmotion lastInteraction }
			... @defer(label: "bonds") { relationships(first: 10) { totalCount } } } } }`
		whole := gql(t, http.DefaultClient, s, token, `query($e: ID!) { characters(filter: {ecosystemId: $e}, first: 10) {
			nodes { id currentEmotion lastInteraction relationships(first: 10) { totalCount } } } }`, map[string]any{"e": ecosystem})
		p := readParts(t, deferRequest(t, s, http.MethodPost, token, apolloAccept, both, map[string]any{"e": ecosystem}))
		first := p.next()
		if !*first.HasNext || !strings.Contains(string(first.Data), `"currentEmotion":"neutral"`) ||
			strings.Contains(string(first.Data), "lastInteraction") || strings.Contains(string(first.Data), "relationships") {
			t.Fatalf("first part: %+v (%s)", first, first.Data)
		}
		data := decode(t, first.Data)
		later := p.rest()
		nulls := 0
		for _, d := range later {
			switch {
			case d.Label == "bonds" && strings.HasPrefix(string(d.Data), `{"relationships":{"totalCount":`):
			case d.Label == "" && string(d.Data) == `{"lastInteraction":null}`:
				nulls++
			default:
				t.Fatalf("deferred payload: %+v (%s)", d, d.Data)
			}
			mergeAt(t, data, d)
		}
		if got, _ := json.Marshal(data); nulls != 3 || !reflect.DeepEqual(data, decode(t, whole.Data)) {
			t.Fatalf("merged %s (%d nulls)\nwant     %s", got, nulls, whole.Data)
		}
	})

	t.Run("nothing deferred, multipart/mixed only", func(t *testing.T) {
		t.Parallel()
		resp := deferRequest(t, s, http.MethodPost, token, "multipart/mixed", castAtOnce, map[string]any{"e": ecosystem})
		p := readParts(t, resp)
		only := p.next()
		if *only.HasNext || !reflect.DeepEqual(decode(t, only.Data), want) {
			t.Fatalf("the only part: %+v", only)
		}
		p.end()
	})

	t.Run("a mutation's deferred fragment comes inline", func(t *testing.T) {
		t.Parallel()
		c := s.Client()
		c.Token = token
		// An ecosystem of its own: the other subtests count the cast.
		netherfield := c.CreateEcosystem(t, "Netherfield")
		resp := deferRequest(t, s, http.MethodPost, token, apolloAccept, `mutation($e: ID!) {
			createCharacter(input: {ecosystemId: $e, name: "Bingley"}) { name ... @defer { ecosystem { name } } } }`,
			map[string]any{"e": netherfield})
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/graphql-response+json") ||
			string(body) != `{"data":{"createCharacter":{"name":"Bingley","ecosystem":{"name":"Netherfield"}}}}` {
			t.Fatalf("status %d, %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
}

// TestDeferStreams holds the deferred fragments on a lock to see each part go out as it
// is ready, with the operation's turn at the gate, its time limit and the client's
// departure spanning the whole response.
func TestDeferStreams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		// then is what happens once the first part has arrived, the relationships still
		// locked.
		then func(t *testing.T, s *testkit.Server, token, ecosystem string, p *parts, body io.Closer, release func())
	}{
		{
			name: "the cast first, the relationships once they are read; one turn at the gate",
			env:  []string{"GRAPHQL_MAX_INFLIGHT=1", "GRAPHQL_QUEUE_WAIT=0s"},
			then: func(t *testing.T, s *testkit.Server, token, ecosystem string, p *parts, _ io.Closer, release func()) {
				if r := gql(t, http.DefaultClient, s, token, `{ me { id } }`, nil); r.code() != "OVERLOADED" {
					t.Fatalf("another operation while the deferred part runs: %+v", r.Errors)
				}
				release()
				for _, d := range p.rest() {
					if len(d.Errors) > 0 || !strings.Contains(string(d.Data), `"relationships"`) {
						t.Fatalf("deferred payload: %+v", d)
					}
				}
				if r := gql(t, http.DefaultClient, s, token, `{ me { id } }`, nil); r.code() != "" {
					t.Fatalf("another operation once the response has ended: %+v", r.Errors)
				}
			},
		},
		{
			name: "the time limit ends the response with TIMEOUT",
			env:  []string{"GRAPHQL_TIMEOUT=1s"},
			then: func(t *testing.T, s *testkit.Server, _, _ string, p *parts, _ io.Closer, _ func()) {
				var codes []string
				for {
					next := p.next()
					for _, e := range next.Errors {
						codes = append(codes, e.Code())
					}
					for _, d := range next.Incremental {
						for _, e := range d.Errors {
							codes = append(codes, e.Code())
						}
					}
					if !*next.HasNext {
						break
					}
				}
				p.end()
				if len(codes) == 0 {
					t.Fatal("the response ended without saying why")
				}
				for _, c := range codes {
					if c != "TIMEOUT" {
						t.Fatalf("codes %v, want TIMEOUT", codes)
					}
				}
				waitUntil(t, "the locked statements are cancelled", func() bool { return lockWaiters(t, s) == 0 })
			},
		},
		{
			name: "a client that leaves cancels the rest and frees its turn",
			env:  []string{"GRAPHQL_MAX_INFLIGHT=1", "GRAPHQL_QUEUE_WAIT=0s"},
			then: func(t *testing.T, s *testkit.Server, token, _ string, _ *parts, body io.Closer, _ func()) {
				body.Close()
				waitUntil(t, "the locked statements are cancelled", func() bool { return lockWaiters(t, s) == 0 })
				waitUntil(t, "the turn is free", func() bool {
					return gql(t, http.DefaultClient, s, token, `{ me { id } }`, nil).code() == ""
				})
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, tc.env...)
			token, ecosystem := deferCast(t, s)
			release := lockTable(t, s, "relationships")
			resp := deferRequest(t, s, http.MethodPost, token, apolloAccept, castWithBonds, map[string]any{"e": ecosystem})
			p := readParts(t, resp)
			done := make(chan deferPayload, 1)
			go func() { done <- p.next() }()
			select {
			case first := <-done:
				if !*first.HasNext || !strings.Contains(string(first.Data), "Elizabeth") || strings.Contains(string(first.Data), "relationships") {
					t.Fatalf("first part: %+v", first)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the first part waits for the deferred fragments")
			}
			waitUntil(t, "the deferred fragments wait on the lock", func() bool { return lockWaiters(t, s) > 0 })
			tc.then(t, s, token, ecosystem, p, resp.Body, release)
			noTrouble(t, s)
		})
	}
}

func TestDeferRefused(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	token, ecosystem := deferCast(t, s)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  string // in the message
	}{
		{"on a field", `{ me { id @defer } }`, nil, `Directive "@defer" may not be used on FIELD`},
		{"the same label twice", `query($e: ID!) { characters(filter: {ecosystemId: $e}) { nodes {
			... @defer(label: "x") { name } ... @defer(label: "x") { id } } } }`, map[string]any{"e": ecosystem}, `the label "x" is used by another @defer`},
		{"a label from a variable", `query($l: String) { me { ... @defer(label: $l) { id } } }`, map[string]any{"l": "x"},
			"the label of @defer must be a literal string"},
		{"on the mutation root", `mutation { ... @defer { logout(refreshToken: "x") } }`, nil, `@defer cannot be used on the root mutation type "Mutation"`},
		{"in a subscription", `subscription($e: ID!) { relationshipChanged(ecosystemId: $e) { cursor ... @defer { at } } }`,
			map[string]any{"e": ecosystem}, "@defer is not supported in subscriptions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := gql(t, http.DefaultClient, s, token, tc.query, tc.vars, "Accept", apolloAccept)
			if r.status != http.StatusBadRequest || r.code() != "GRAPHQL_VALIDATION_FAILED" || r.Data != nil ||
				!strings.Contains(r.Errors[0].Message, tc.want) {
				t.Fatalf("status %d, data %s, errors %+v; want 400 GRAPHQL_VALIDATION_FAILED %q", r.status, r.Data, r.Errors, tc.want)
			}
		})
	}

	// Validation passes @defer(if: $v) in a subscription; the value decides.
	t.Run("a subscription over a WebSocket", func(t *testing.T) {
		t.Parallel()
		ws := s.Live(t, token)
		const sub = `subscription($e: ID!, $d: Boolean!) {
			relationshipChanged(ecosystemId: $e) { change { type ... @defer(if: $d) { relationship { label } } } } }`
		ws.Subscribe("on", sub, map[string]any{"e": ecosystem, "d": true})
		if m := ws.Read(5 * time.Second); m.ID != "on" || m.Type != "error" ||
			!strings.Contains(string(m.Payload), "@defer is not supported in subscriptions") ||
			!strings.Contains(string(m.Payload), "GRAPHQL_VALIDATION_FAILED") {
			t.Fatalf("subscription with @defer on: %+v", m)
		}
		ws.Subscribe("off", sub, map[string]any{"e": ecosystem, "d": false})
		c := s.Client()
		c.Token = token
		var out struct {
			Characters struct{ Nodes []struct{ ID string } }
		}
		c.Must(t, `query($e: ID!) { characters(filter: {ecosystemId: $e}) { nodes { id } } }`, map[string]any{"e": ecosystem}, &out)
		var rel struct{ CreateRelationship struct{ ID string } }
		c.Must(t, `mutation($in: CreateRelationshipInput!) { createRelationship(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"fromId": out.Characters.Nodes[2].ID, "toId": out.Characters.Nodes[1].ID,
				"type": "ROMANCE", "label": "at Netherfield"}}, &rel)
		// The subscription starts live, at a moment the test cannot see: change the
		// relationship until a change arrives.
		stop, stopped := make(chan struct{}), make(chan struct{})
		defer func() {
			close(stop)
			<-stopped
		}()
		go func() {
			defer close(stopped)
			for {
				if _, err := post(s, token, `mutation($id: ID!) { adjustRelationship(id: $id, delta: {trust: 0.01}) { id } }`,
					map[string]any{"id": rel.CreateRelationship.ID}); err != nil {
					t.Error(err)
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		if m := ws.Read(10 * time.Second); m.ID != "off" || m.Type != "next" ||
			string(m.Payload) != `{"data":{"relationshipChanged":{"change":{"type":"ROMANCE","relationship":{"label":"at Netherfield"}}}}}` {
			t.Fatalf("subscription with @defer off: %+v (%s)", m, m.Payload)
		}
	})
}

// TestDeferApolloClient runs Apollo Client 4 (HttpLink and its Defer20220824Handler,
// e2e/defer.mjs) against the server: it must see the cast alone while the relationships
// are held on a lock, then the whole result.
func TestDeferApolloClient(t *testing.T) {
	t.Parallel()
	node := testkit.Node(t, e2eDir, "@apollo/client", "rxjs")
	s := testkit.NewServer(t)
	token, ecosystem := deferCast(t, s)
	release := lockTable(t, s, "relationships")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2eDir, "defer.mjs"), s.URL+"/graphql", token, ecosystem)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		cancel()
		_ = cmd.Wait()
		t.Fatalf(format+"\nstderr: %s", append(args, stderr.String())...)
	}
	type state struct {
		DataState  string
		Loading    bool
		Characters []struct {
			Name          string
			Relationships *int
		}
		Error string
	}
	lines := bufio.NewScanner(stdout)
	read := func() (st state) {
		t.Helper()
		if !lines.Scan() {
			fail("defer.mjs ended early: %v", lines.Err())
		}
		if err := json.Unmarshal(lines.Bytes(), &st); err != nil || st.Error != "" {
			fail("defer.mjs: %s (%v)", lines.Bytes(), err)
		}
		t.Logf("Apollo Client: %s", lines.Bytes())
		return st
	}
	names := func(st state) []string {
		var out []string
		for _, c := range st.Characters {
			out = append(out, c.Name)
		}
		return out
	}
	cast := []string{"Elizabeth", "Jane", "Darcy"}

	st := read()
	for st.DataState == "empty" && st.Loading {
		st = read()
	}
	if st.DataState != "streaming" || !st.Loading || !slices.Equal(names(st), cast) {
		fail("while the relationships are held: %+v, want the cast, streaming", st)
	}
	for _, c := range st.Characters {
		if c.Relationships != nil {
			fail("%s has relationships before they could be read", c.Name)
		}
	}
	release()
	// Apollo Client may show the cast again (the same partial data) before the rest.
	for st = read(); st.DataState == "streaming"; {
		st = read()
	}
	if st.DataState != "complete" || st.Loading || !slices.Equal(names(st), cast) {
		fail("at the end: %+v, want the cast, complete", st)
	}
	// Relationships list both directions: Elizabeth is bound to Jane and to Darcy.
	for i, want := range []int{2, 1, 1} {
		if got := st.Characters[i].Relationships; got == nil || *got != want {
			fail("%s has relationships %s, want %d", cast[i], lines.Bytes(), want)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("defer.mjs: %v\nstderr: %s", err, stderr.String())
	}
}
