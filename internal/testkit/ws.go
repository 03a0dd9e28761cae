package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WSMessage is one graphql-transport-ws message.
type WSMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// WS is a raw graphql-transport-ws client, for tests that check the protocol itself.
type WS struct {
	t    testing.TB
	Conn *websocket.Conn
}

// DialWS opens a graphql-transport-ws socket to s without initialising it.
func (s *Server) DialWS(t testing.TB, header http.Header) *WS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql"
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		t.Fatalf("testkit: dial %s: %v", url, err)
	}
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	c.SetReadLimit(16 << 20)
	w := &WS{t: t, Conn: c}
	t.Cleanup(func() { _ = c.CloseNow() })
	return w
}

// Live opens a socket and initialises it with the token, waiting for the acknowledgement.
func (s *Server) Live(t testing.TB, token string) *WS {
	t.Helper()
	w := s.DialWS(t, nil)
	w.Send(WSMessage{Type: "connection_init", Payload: json.RawMessage(`{"authorization":"Bearer ` + token + `"}`)})
	if m := w.Read(5 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("testkit: want connection_ack, got %+v", m)
	}
	return w
}

// Send writes one message.
func (w *WS) Send(m WSMessage) {
	w.t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		w.t.Fatalf("testkit: %v", err)
	}
	w.SendRaw(b)
}

// SendRaw writes a text frame as is.
func (w *WS) SendRaw(b []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Conn.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("testkit: write: %v", err)
	}
}

// Subscribe starts an operation under id.
func (w *WS) Subscribe(id, query string, vars map[string]any) {
	w.t.Helper()
	p, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		w.t.Fatalf("testkit: %v", err)
	}
	w.Send(WSMessage{ID: id, Type: "subscribe", Payload: p})
}

// Read returns the next message other than a ping or pong, failing the test after timeout.
func (w *WS) Read(timeout time.Duration) WSMessage {
	w.t.Helper()
	for {
		m, err := w.TryRead(timeout)
		if err != nil {
			w.t.Fatalf("testkit: read: %v", err)
		}
		if m.Type != "ping" && m.Type != "pong" {
			return m
		}
	}
}

// TryRead returns the next message, or the error that ended the socket (see CloseStatus).
func (w *WS) TryRead(timeout time.Duration) (WSMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, b, err := w.Conn.Read(ctx)
	if err != nil {
		return WSMessage{}, err
	}
	var m WSMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return WSMessage{}, err
	}
	return m, nil
}

// Closed waits for the server to close the socket and returns the close code and reason.
func (w *WS) Closed(timeout time.Duration) (websocket.StatusCode, string) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, err := w.TryRead(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Reason
		}
		w.t.Fatalf("testkit: socket ended without a close frame: %v", err)
	}
	w.t.Fatalf("testkit: socket still open after %s", timeout)
	return 0, ""
}
