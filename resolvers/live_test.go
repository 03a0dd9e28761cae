package resolvers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/literaryai/ensemble/internal/relay"
	"github.com/literaryai/ensemble/internal/testkit"
)

const (
	sendMessage = `mutation($in: SendMessageInput!) { sendMessage(input: $in) {
		message { id seq cursor senderKind content } conversation { id } } }`
	messageAdded = `subscription($c: ID!, $after: String) { messageAdded(conversationId: $c, after: $after) {
		id seq cursor senderKind content emotion intensity metadata replyTo { id } senderCharacter { name } } }`
	messageStream = `subscription($c: ID!) { messageStream(conversationId: $c) { messageId replyToId index text done character { name } } }`
)

type liveMessage struct {
	ID         string         `json:"id"`
	Seq        int            `json:"seq"`
	Cursor     string         `json:"cursor"`
	SenderKind string         `json:"senderKind"`
	Content    string         `json:"content"`
	Emotion    *string        `json:"emotion"`
	Intensity  *float64       `json:"intensity"`
	Metadata   map[string]any `json:"metadata"`
	ReplyTo    *struct{ ID string }
}

// talk is a user with an ecosystem, a character and a direct conversation with it.
type talk struct {
	client         *testkit.Client
	session        testkit.Session
	ecosystem      string
	character      string
	conversationID string
}

func newCast(t *testing.T, srv *testkit.Server, user string) talk {
	t.Helper()
	c, sess := srv.Register(t, user)
	eco := c.CreateEcosystem(t, "Longbourn")
	ch := c.CreateCharacter(t, eco, "Elizabeth Bennet")
	var out struct{ StartConversation struct{ ID string } }
	c.Must(t, `mutation($e: ID!, $c: [ID!]!) { startConversation(input: {ecosystemId: $e, kind: DIRECT, characterIds: $c}) { id } }`,
		map[string]any{"e": eco, "c": []string{ch}}, &out)
	return talk{client: c, session: sess, ecosystem: eco, character: ch, conversationID: out.StartConversation.ID}
}

func (c talk) send(t *testing.T, content string) liveMessage {
	t.Helper()
	var out struct {
		SendMessage struct{ Message liveMessage }
	}
	c.client.Must(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": c.conversationID, "content": content}}, &out)
	return out.SendMessage.Message
}

// nextMessage reads the next messageAdded payload of subscription id.
func nextMessage(t *testing.T, ws *testkit.WS, id string) liveMessage {
	t.Helper()
	for {
		m := ws.Read(20 * time.Second)
		if m.ID != id {
			continue
		}
		if m.Type != "next" {
			t.Fatalf("subscription %s: want next, got %s %s", id, m.Type, m.Payload)
		}
		var p struct {
			Data   struct{ MessageAdded liveMessage }
			Errors []testkit.Error
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
			t.Fatalf("subscription %s: %s (%v)", id, m.Payload, err)
		}
		return p.Data.MessageAdded
	}
}

func TestSendMessageStreamsTheReplyAndTheCharacterLivesOn(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "reader")
	ws := srv.Live(t, c.session.AccessToken)
	ws.Subscribe("added", messageAdded, map[string]any{"c": c.conversationID})
	ws.Subscribe("stream", messageStream, map[string]any{"c": c.conversationID})
	// A subscription without a cursor starts live; give the server a moment to register.
	time.Sleep(200 * time.Millisecond)

	sent := c.send(t, "Do you think Mr. Darcy is proud?")
	if sent.Seq != 1 || sent.SenderKind != "USER" {
		t.Fatalf("sendMessage returned %+v", sent)
	}
	var deltas strings.Builder
	var done bool
	var got []liveMessage
	for len(got) < 2 || !done {
		m := ws.Read(20 * time.Second)
		switch m.ID {
		case "added":
			var p struct {
				Data struct{ MessageAdded liveMessage }
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Data.MessageAdded)
		case "stream":
			var p struct {
				Data struct {
					MessageStream struct {
						Text      string
						Done      bool
						Index     int
						Character struct{ Name string }
					}
				}
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			d := p.Data.MessageStream
			if d.Character.Name != "Elizabeth Bennet" {
				t.Fatalf("delta from %q", d.Character.Name)
			}
			deltas.WriteString(d.Text)
			done = done || d.Done
		}
	}
	user, reply := got[0], got[1]
	if user.ID != sent.ID || reply.Seq != 2 || reply.SenderKind != "CHARACTER" || reply.ReplyTo == nil || reply.ReplyTo.ID != sent.ID {
		t.Fatalf("messages: %+v then %+v", user, reply)
	}
	if strings.TrimSpace(deltas.String()) != reply.Content {
		t.Fatalf("streamed %q, stored %q", deltas.String(), reply.Content)
	}
	if reply.Emotion == nil || reply.Intensity == nil || reply.Metadata["offline"] != true || reply.Metadata["generator"] != "offline-storyteller-v1" {
		t.Fatalf("reply is not marked offline with an emotion: %+v", reply)
	}
	// The character felt something, spent energy, and remembers the exchange.
	var after struct {
		Character struct {
			CurrentEmotion  string
			SocialEnergy    float64
			LastInteraction *string
			Memories        struct {
				Nodes []struct {
					Type    string
					Content string
				}
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.client.Must(t, `query($id: ID!) { character(id: $id) { currentEmotion socialEnergy lastInteraction
			memories(filter: {types: [DIALOGUE]}) { nodes { type content } } } }`, map[string]any{"id": c.character}, &after)
		if len(after.Character.Memories.Nodes) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ch := after.Character
	if ch.CurrentEmotion != *reply.Emotion || ch.SocialEnergy >= 1 || ch.LastInteraction == nil {
		t.Fatalf("character after the reply: %+v (reply emotion %s)", ch, *reply.Emotion)
	}
	if len(ch.Memories.Nodes) != 1 || !strings.Contains(ch.Memories.Nodes[0].Content, "Mr. Darcy is proud") {
		t.Fatalf("memories of the exchange: %+v", ch.Memories.Nodes)
	}
}

func TestChatWaitsForTheWholeReply(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "reader")
	var out struct {
		Chat struct {
			Message      liveMessage
			Reply        liveMessage
			Conversation struct {
				ID           string
				MessageCount int
			}
		}
	}
	c.client.Must(t, `mutation($ch: ID!) { chat(characterId: $ch, content: "Good morning! How is Jane?") {
		message { id seq senderKind } reply { seq senderKind content emotion replyTo { id } metadata }
		conversation { id messageCount } } }`, map[string]any{"ch": c.character}, &out)
	r := out.Chat
	if r.Reply.SenderKind != "CHARACTER" || r.Reply.ReplyTo.ID != r.Message.ID || r.Reply.Content == "" || r.Reply.Emotion == nil {
		t.Fatalf("chat: %+v", r)
	}
	// Without a conversation id, chat talks in the open direct conversation.
	if r.Conversation.ID != c.conversationID || r.Conversation.MessageCount != 2 {
		t.Fatalf("conversation %+v, want %s with 2 messages", r.Conversation, c.conversationID)
	}
	// Replies are deterministic functions of what the character knows: not empty noise.
	if len(strings.Fields(r.Reply.Content)) < 3 {
		t.Fatalf("reply too thin: %q", r.Reply.Content)
	}
}

// TestResumeFromCursorGetsEveryMessageOnce writes messages while a client resumes from a
// cursor: what it receives must be every message after the cursor, in order, once.
func TestResumeFromCursorGetsEveryMessageOnce(t *testing.T) {
	srv := testkit.NewServer(t, "REPLY_WORKERS=4")
	c := newCast(t, srv, "reader")
	var first []liveMessage
	for i := range 5 {
		first = append(first, c.send(t, fmt.Sprintf("message %d", i)))
	}
	ws := srv.Live(t, c.session.AccessToken)
	ws.Subscribe("1", messageAdded, map[string]any{"c": c.conversationID, "after": first[1].Cursor})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 10 {
			c.send(t, fmt.Sprintf("during replay %d", i))
		}
	}()
	wg.Wait()
	// 15 user messages and 15 replies: 30 in all; the stream starts after the second
	// message sent (replies interleave, so its number depends on timing).
	seen := map[int]bool{}
	for want := first[1].Seq + 1; want <= 30; want++ {
		m := nextMessage(t, ws, "1")
		if m.Seq != want || seen[m.Seq] {
			t.Fatalf("got message %d, want %d (seen %v)", m.Seq, want, seen)
		}
		seen[m.Seq] = true
	}
	if m, err := ws.TryRead(500 * time.Millisecond); err == nil && m.Type == "next" {
		t.Fatalf("extra message after the last: %s", m.Payload)
	}
}

// Identical subscriptions of one user run once per instance; a socket arriving after the
// shared stream has begun must still get the replay its cursor asks for.
func TestAnIdenticalSubscriptionArrivingLateStillGetsItsReplay(t *testing.T) {
	srv := testkit.NewServer(t, "REPLY_WORKERS=2")
	c := newCast(t, srv, "sharer")
	first := c.send(t, "before anyone watched")
	vars := map[string]any{"c": c.conversationID, "after": first.Cursor}
	early := srv.Live(t, c.session.AccessToken)
	early.Subscribe("1", messageAdded, vars)
	if m := nextMessage(t, early, "1"); m.Seq != first.Seq+1 {
		t.Fatalf("first socket: got message %d, want %d", m.Seq, first.Seq+1)
	}
	second := c.send(t, "while one watches")
	late := srv.Live(t, c.session.AccessToken)
	late.Subscribe("1", messageAdded, vars)
	for want := first.Seq + 1; want <= second.Seq+1; want++ {
		if m := nextMessage(t, late, "1"); m.Seq != want {
			t.Fatalf("late socket: got message %d, want %d", m.Seq, want)
		}
	}
	for want := first.Seq + 2; want <= second.Seq+1; want++ {
		if m := nextMessage(t, early, "1"); m.Seq != want {
			t.Fatalf("first socket: got message %d, want %d", m.Seq, want)
		}
	}
}

func TestLiveBadInput(t *testing.T) {
	srv := testkit.NewServer(t)
	alice := newCast(t, srv, "alice")
	bob := newCast(t, srv, "bob")
	other := newCast(t, srv, "carol")
	ws := srv.Live(t, alice.session.AccessToken)
	otherCursor := other.send(t, "hello").Cursor

	cases := []struct {
		name string
		vars map[string]any
		code string
	}{
		{"another user's conversation", map[string]any{"c": bob.conversationID}, "NOT_FOUND"},
		{"a malformed cursor", map[string]any{"c": alice.conversationID, "after": "not-a-cursor"}, "BAD_USER_INPUT"},
		{"a cursor of another conversation", map[string]any{"c": alice.conversationID, "after": otherCursor}, "BAD_USER_INPUT"},
		{"a character id as conversation", map[string]any{"c": alice.character}, "NOT_FOUND"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprint(i)
			ws.Subscribe(id, messageAdded, tc.vars)
			// As graphql-ws's reference server does, a subscription refused by its
			// resolver answers one result carrying the error, then complete.
			m := ws.Read(5 * time.Second)
			var res struct {
				Data   any
				Errors []testkit.Error
			}
			if m.Type != "next" || m.ID != id || json.Unmarshal(m.Payload, &res) != nil || res.Data != nil ||
				len(res.Errors) != 1 || res.Errors[0].Code() != tc.code {
				t.Fatalf("want an error %s for subscription %s only, got %s %s", tc.code, id, m.Type, m.Payload)
			}
			if m := ws.Read(5 * time.Second); m.Type != "complete" || m.ID != id {
				t.Fatalf("want complete, got %+v", m)
			}
		})
	}
	// The connection survived every refusal.
	ws.Subscribe("ok", messageAdded, map[string]any{"c": alice.conversationID, "after": alice.send(t, "still here").Cursor})
	alice.send(t, "and again")

	// Content over the limit is refused and nothing is stored; a 1 MB body is refused
	// by the transport before it is read.
	before := srv.Count(t, "messages")
	r := alice.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": alice.conversationID, "content": strings.Repeat("x", 10001)}})
	if r.Code(t) != "BAD_USER_INPUT" {
		t.Fatalf("10001 characters: %+v", r.Errors)
	}
	big := alice.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": alice.conversationID, "content": strings.Repeat("x", 1<<20)}})
	if big.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("1 MB message: status %d", big.Status)
	}
	if r := alice.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": bob.conversationID, "content": "hi"}}); r.Code(t) != "NOT_FOUND" {
		t.Fatalf("sending into another user's conversation: %+v", r.Errors)
	}
	if r := alice.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"content": "to nobody"}}); r.Code(t) != "BAD_USER_INPUT" {
		t.Fatalf("no conversation or character: %+v", r.Errors)
	}
	// The subscription above only ever saw two of alice's messages and their replies;
	// the refusals stored nothing (the replies arrive in the meantime).
	deadline := time.Now().Add(10 * time.Second)
	for srv.Count(t, "messages") != before && time.Now().Before(deadline) {
		if srv.Count(t, "messages") > before+1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stored int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM messages WHERE sender_kind = 'USER' AND length(content) > 10000`).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("oversized messages stored: %d (%v)", stored, err)
	}
}

func TestProtocolCloseCodesOnTheRealServer(t *testing.T) {
	srv := testkit.NewServer(t, "WS_INIT_TIMEOUT=300ms")
	c := newCast(t, srv, "reader")
	cases := []struct {
		name   string
		frames []string
		code   int
	}{
		{"missing token", []string{`{"type":"connection_init"}`}, 4403},
		{"forged token", []string{`{"type":"connection_init","payload":{"authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}}`}, 4403},
		{"subscribe before connection_init", []string{`{"id":"1","type":"subscribe","payload":{"query":"subscription { messageStream(conversationId: \"x\") { text } }"}}`}, 4401},
		{"garbage", []string{`not json`}, 4400},
		{"unknown message type", []string{`{"type":"hello"}`}, 4400},
		{"no connection_init in time", nil, 4408},
		{"second connection_init", []string{
			`{"type":"connection_init","payload":{"authorization":"Bearer ` + c.session.AccessToken + `"}}`,
			`{"type":"connection_init","payload":{"authorization":"Bearer ` + c.session.AccessToken + `"}}`}, 4429},
		{"duplicate subscription id", []string{
			`{"type":"connection_init","payload":{"authorization":"Bearer ` + c.session.AccessToken + `"}}`,
			`{"id":"1","type":"subscribe","payload":{"query":"subscription($c: ID!) { messageStream(conversationId: $c) { text } }","variables":{"c":"` + c.conversationID + `"}}}`,
			`{"id":"1","type":"subscribe","payload":{"query":"subscription($c: ID!) { messageStream(conversationId: $c) { text } }","variables":{"c":"` + c.conversationID + `"}}}`}, 4409},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := srv.DialWS(t, nil)
			for _, f := range tc.frames {
				ws.SendRaw([]byte(f))
			}
			if code, reason := ws.Closed(5 * time.Second); int(code) != tc.code {
				t.Fatalf("closed with %d %q, want %d", code, reason, tc.code)
			}
		})
	}
}

func TestSignedOutOrExpiredTokenEndsTheConnection(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "reader")
	// Two sockets on the token signed out, and one of another session of the same user.
	ws := srv.Live(t, c.session.AccessToken)
	ws.Subscribe("1", messageStream, map[string]any{"c": c.conversationID})
	twin := srv.Live(t, c.session.AccessToken)
	twin.Subscribe("1", messageStream, map[string]any{"c": c.conversationID})
	var other struct{ Login struct{ AccessToken string } }
	srv.Client().Must(t, `mutation { login(input: {login: "reader", password: "password-reader"}) { accessToken } }`, nil, &other)
	stays := srv.Live(t, other.Login.AccessToken)
	stays.Subscribe("1", messageStream, map[string]any{"c": c.conversationID})
	c.client.Must(t, `mutation($r: String!) { logout(refreshToken: $r) }`, map[string]any{"r": c.session.RefreshToken}, &struct{}{})
	for _, sock := range []*testkit.WS{ws, twin} {
		if code, reason := sock.Closed(5 * time.Second); code != 4403 {
			t.Fatalf("after logout the socket closed with %d %q, want 4403", code, reason)
		}
	}
	stays.Send(testkit.WSMessage{Type: "ping"})
	if m, err := stays.TryRead(5 * time.Second); err != nil || m.Type != "pong" {
		t.Fatalf("the other session's socket answered %s %s (%v), want pong", m.Type, m.Payload, err)
	}

	// A token that expires while connected ends the connection at its expiry.
	s := newCast(t, srv, "brief")
	var me struct{ Me struct{ ID string } }
	s.client.Must(t, `{ me { id } }`, nil, &me)
	_, uid, err := relay.Decode("id", me.Me.ID)
	if err != nil {
		t.Fatal(err)
	}
	brief := sign(t, jwt.SigningMethodHS256, []byte(testkit.Secret), func(c jwt.MapClaims) {
		c["sub"], c["sid"], c["role"], c["exp"] = uid.String(), claimsOf(t, s.session.AccessToken)["sid"], "USER", time.Now().Add(2*time.Second).Unix()
	})
	conn := srv.Live(t, brief)
	conn.Subscribe("1", messageStream, map[string]any{"c": s.conversationID})
	if code, _ := conn.Closed(10 * time.Second); code != 4403 {
		t.Fatalf("expired token: closed with %d, want 4403", code)
	}
}

func TestForeignOriginCannotOpenASocket(t *testing.T) {
	srv := testkit.NewServer(t, "WS_ALLOWED_ORIGINS=app.example.com")
	for origin, want := range map[string]int{"https://evil.example.net": http.StatusForbidden, "https://app.example.com": http.StatusSwitchingProtocols} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Sec-WebSocket-Protocol", "graphql-transport-ws")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("origin %s: status %d, want %d", origin, resp.StatusCode, want)
		}
	}
}

// TestSubscriptionsOverSSE streams messageAdded as Server-Sent Events, authorised by the
// header.
func TestSubscriptionsOverSSE(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "reader")
	first := c.send(t, "Are you walking to Netherfield?")
	// From the first message's cursor: the reply, whether or not it was written yet.
	body, _ := json.Marshal(map[string]any{"query": messageAdded, "variables": map[string]any{"c": c.conversationID, "after": first.Cursor}})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.session.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	buf := make([]byte, 64<<10)
	var got strings.Builder
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(got.String(), `"senderKind":"CHARACTER"`) && time.Now().Before(deadline) {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(got.String(), "event: next") || !strings.Contains(got.String(), `"senderKind":"CHARACTER"`) {
		t.Fatalf("SSE stream: %s", got.String())
	}
}

// TestLLMFailuresBecomeSystemMessages points the generator at endpoints that are down or
// cut off mid-reply: the conversation gets a SYSTEM message, never half a reply.
func TestLLMFailuresBecomeSystemMessages(t *testing.T) {
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"I was about to say\"}}]}\n\n")
		w.(http.Flusher).Flush()
		// Drop the connection mid-stream.
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
	}))
	defer cut.Close()
	down := "http://" + testkit.FreeAddr(t) + "/v1"
	for name, url := range map[string]string{"down": down, "cut off mid-stream": cut.URL + "/v1"} {
		t.Run(name, func(t *testing.T) {
			srv := testkit.NewServer(t, "LLM_BASE_URL="+url, "LLM_MODEL=test-model", "LLM_MAX_RETRIES=0")
			c := newCast(t, srv, "reader")
			var out struct {
				Chat struct {
					Reply liveMessage
				}
			}
			c.client.Must(t, `mutation($ch: ID!) { chat(characterId: $ch, content: "Hello?") { reply { seq senderKind content metadata } } }`,
				map[string]any{"ch": c.character}, &out)
			r := out.Chat.Reply
			if r.SenderKind != "SYSTEM" || !strings.Contains(r.Content, "could not reply") || r.Metadata["error"] == nil {
				t.Fatalf("reply: %+v", r)
			}
			var partial int
			if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM messages WHERE sender_kind = 'CHARACTER'`).Scan(&partial); err != nil || partial != 0 {
				t.Fatalf("character messages stored: %d (%v)", partial, err)
			}
		})
	}
}
