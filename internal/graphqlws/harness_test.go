package graphqlws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

const (
	modern = graphqlws.SubprotocolTransportWS
	legacy = graphqlws.SubprotocolGraphQLWS
	// wait bounds every step that should happen promptly.
	wait = 5 * time.Second
)

// startServer serves schema through gqlgen's handler with the transport under test first,
// as production wiring does.
func startServer(t *testing.T, cfg graphqlws.Config, schema *testSchema) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(newHandler(cfg, schema))
	t.Cleanup(ts.Close)
	return ts
}

func newHandler(cfg graphqlws.Config, schema *testSchema) *handler.Server {
	srv := handler.New(schema)
	srv.AddTransport(graphqlws.New(cfg))
	srv.AddTransport(transport.POST{})
	// gqlgen's default prints the stack of the panics tests provoke on purpose.
	srv.SetRecoverFunc(func(context.Context, any) error {
		return gqlerror.Errorf("internal system error")
	})
	return srv
}

func wsURL(ts *httptest.Server) string {
	return "ws" + strings.TrimPrefix(ts.URL, "http")
}

// message is a protocol message as the client sees it.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// client speaks raw frames, so that tests control every byte the server receives.
type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, ts *httptest.Server, subprotocols ...string) *client {
	t.Helper()
	ws, resp, err := dialRaw(ts, nil, subprotocols...)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: t, ws: ws}
}

func dialRaw(ts *httptest.Server, header http.Header, subprotocols ...string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return websocket.Dial(ctx, wsURL(ts), &websocket.DialOptions{
		Subprotocols: subprotocols,
		HTTPHeader:   header,
	})
}

func (c *client) send(raw string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(raw)); err != nil {
		c.t.Fatalf("send %s: %v", raw, err)
	}
}

// next reads one message; the close error, if the server closed instead.
func (c *client) next() (message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return message{}, errors.New("server sent a non-JSON message: " + string(data))
	}
	return m, nil
}

func (c *client) read() message {
	c.t.Helper()
	m, err := c.next()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// expect reads one message and checks its type and id.
func (c *client) expect(typ, id string) message {
	c.t.Helper()
	m := c.read()
	if m.Type != typ || m.ID != id {
		c.t.Fatalf("got %s %q %s, want %s %q", m.Type, m.ID, m.Payload, typ, id)
	}
	return m
}

// skipUntil reads until a message of type typ and id, tolerating those of the skippable
// types (next or data of a running stream, keep-alives) on the way.
func (c *client) skipUntil(typ, id string, skippable ...string) message {
	c.t.Helper()
	for {
		m := c.read()
		switch {
		case m.Type == typ && m.ID == id:
			return m
		case !slices.Contains(skippable, m.Type):
			c.t.Fatalf("got %s %q %s while waiting for %s %q", m.Type, m.ID, m.Payload, typ, id)
		}
	}
}

// expectClose reads until the server closes and checks the close frame. Messages before it
// are returned for inspection.
func (c *client) expectClose(code websocket.StatusCode, reason string) []message {
	c.t.Helper()
	var seen []message
	for {
		m, err := c.next()
		if err == nil {
			seen = append(seen, m)
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("want close %d %q, got %v after %d messages", code, reason, err, len(seen))
		}
		if ce.Code != code || ce.Reason != reason {
			c.t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Reason, code, reason)
		}
		return seen
	}
}

// init sends connection_init and expects the acknowledgement.
func (c *client) init(payload string) {
	c.t.Helper()
	if payload == "" {
		c.send(`{"type":"connection_init"}`)
	} else {
		c.send(`{"type":"connection_init","payload":` + payload + `}`)
	}
	c.expect("connection_ack", "")
}

func (c *client) subscribe(id, query string) {
	c.t.Helper()
	c.send(subscribeFrame("subscribe", id, query))
}

func subscribeFrame(typ, id, query string) string {
	b, _ := json.Marshal(map[string]any{"type": typ, "id": id, "payload": map[string]any{"query": query}})
	return string(b)
}

// roundTrip proves the connection is still served: a ping must come back as a pong.
func (c *client) roundTrip() {
	c.t.Helper()
	c.send(`{"type":"ping"}`)
	c.expect("pong", "")
}

// awaitEnd waits for a resolver of field to end and checks whether it was cancelled.
func awaitEnd(t *testing.T, s *testSchema, field string, cancelled bool) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case e := <-s.ends:
			if e.field != field {
				continue
			}
			if e.cancelled != cancelled {
				t.Fatalf("resolver %s ended with cancelled=%v, want %v", field, e.cancelled, cancelled)
			}
			return
		case <-timeout:
			t.Fatalf("resolver %s did not end", field)
		}
	}
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// errorsOf decodes an error message's payload, the GraphQL errors array.
func errorsOf(t *testing.T, m message) []gqlError {
	t.Helper()
	var errs []gqlError
	if err := json.Unmarshal(m.Payload, &errs); err != nil || len(errs) == 0 {
		t.Fatalf("error payload %s is not a GraphQL errors array: %v", m.Payload, err)
	}
	return errs
}
