package resolvers_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

func TestConversationsPageStatusAndScenes(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "reader")
	for i := range 4 {
		c.send(t, fmt.Sprintf("line %d", i))
	}
	// Wait for the four replies.
	var conv struct {
		Conversation struct {
			MessageCount int
			Messages     struct {
				TotalCount int
				PageInfo   struct {
					HasPreviousPage, HasNextPage bool
					StartCursor                  string
				}
				Nodes []struct {
					Seq        int
					SenderKind string
				}
			}
		}
	}
	const history = `query($id: ID!, $last: Int, $before: String) { conversation(id: $id) { messageCount
		messages(last: $last, before: $before) { totalCount pageInfo { hasPreviousPage hasNextPage startCursor } nodes { seq senderKind } } } }`
	for range 200 {
		c.client.Must(t, history, map[string]any{"id": c.conversationID, "last": 3}, &conv)
		if conv.Conversation.MessageCount == 8 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	m := conv.Conversation.Messages
	if m.TotalCount != 8 || len(m.Nodes) != 3 || m.Nodes[0].Seq != 6 || m.Nodes[2].Seq != 8 || !m.PageInfo.HasPreviousPage {
		t.Fatalf("last page: %+v", m)
	}
	c.client.Must(t, history, map[string]any{"id": c.conversationID, "last": 10, "before": m.PageInfo.StartCursor}, &conv)
	if n := conv.Conversation.Messages.Nodes; len(n) != 5 || n[0].Seq != 1 || n[4].Seq != 5 || conv.Conversation.Messages.PageInfo.HasPreviousPage {
		t.Fatalf("earlier page: %+v", conv.Conversation.Messages)
	}
	for _, bad := range []string{`messages(first: 0)`, `messages(last: 101)`, `messages(first: 2, last: 2)`, `messages(after: "bogus")`} {
		if code := c.client.Do(t, `query($id: ID!) { conversation(id: $id) { `+bad+` { totalCount } } }`, map[string]any{"id": c.conversationID}).Code(t); code != "BAD_USER_INPUT" {
			t.Fatalf("%s: %s", bad, code)
		}
	}

	// Paused conversations take no messages; ended ones cannot be reopened.
	const status = `mutation($id: ID!, $s: ConversationStatus!) { setConversationStatus(id: $id, status: $s) { status } }`
	c.client.Must(t, status, map[string]any{"id": c.conversationID, "s": "PAUSED"}, &struct{}{})
	if code := c.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": c.conversationID, "content": "hello?"}}).Code(t); code != "CONFLICT" {
		t.Fatalf("sending to a paused conversation: %s", code)
	}
	c.client.Must(t, status, map[string]any{"id": c.conversationID, "s": "ENDED"}, &struct{}{})
	if code := c.client.Do(t, status, map[string]any{"id": c.conversationID, "s": "ACTIVE"}).Code(t); code != "CONFLICT" {
		t.Fatalf("reopening an ended conversation: %s", code)
	}
	// A message to the character now opens a new direct conversation.
	var next struct {
		SendMessage struct {
			Conversation struct{ ID string }
			Message      struct{ Seq int }
		}
	}
	c.client.Must(t, `mutation($ch: ID!) { sendMessage(input: {characterId: $ch, content: "Shall we begin again?"}) { conversation { id } message { seq } } }`,
		map[string]any{"ch": c.character}, &next)
	if next.SendMessage.Conversation.ID == c.conversationID || next.SendMessage.Message.Seq != 1 {
		t.Fatalf("after ending: %+v", next.SendMessage)
	}

	// A scene: only the character addressed replies; a character outside it cannot be.
	jane := c.client.CreateCharacter(t, c.ecosystem, "Jane Bennet")
	outsider := c.client.CreateCharacter(t, c.ecosystem, "Mr. Collins")
	var scene struct{ StartConversation struct{ ID string } }
	c.client.Must(t, `mutation($e: ID!, $c: [ID!]!) { startConversation(input: {ecosystemId: $e, kind: SCENE, characterIds: $c, title: "The drawing room"}) { id } }`,
		map[string]any{"e": c.ecosystem, "c": []string{c.character, jane}}, &scene)
	var chat struct {
		Chat struct {
			Reply struct{ SenderCharacter struct{ Name string } }
		}
	}
	c.client.Must(t, `mutation($c: ID!, $ch: ID!) { chat(conversationId: $c, characterId: $ch, content: "Jane, what do you think?") { reply { senderCharacter { name } } } }`,
		map[string]any{"c": scene.StartConversation.ID, "ch": jane}, &chat)
	if chat.Chat.Reply.SenderCharacter.Name != "Jane Bennet" {
		t.Fatalf("scene reply from %+v", chat.Chat.Reply)
	}
	if code := c.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": scene.StartConversation.ID,
		"characterId": outsider, "content": "Mr. Collins?"}}).Code(t); code != "BAD_USER_INPUT" {
		t.Fatalf("addressing a character outside the scene: %s", code)
	}

	// Bad starts change nothing.
	other := newCast(t, srv, "stranger")
	before := srv.Count(t, "conversations")
	for name, in := range map[string]map[string]any{
		"two characters in a direct conversation": {"ecosystemId": c.ecosystem, "kind": "DIRECT", "characterIds": []string{c.character, jane}},
		"no cast":                  {"ecosystemId": c.ecosystem, "kind": "SCENE", "characterIds": []string{}},
		"another user's character": {"ecosystemId": c.ecosystem, "kind": "DIRECT", "characterIds": []string{other.character}},
		"another user's ecosystem": {"ecosystemId": other.ecosystem, "kind": "DIRECT", "characterIds": []string{other.character}},
		"the stand-in in the cast": {"ecosystemId": c.ecosystem, "kind": "DIRECT", "characterIds": []string{jane}, "standInId": jane},
		"a character twice":        {"ecosystemId": c.ecosystem, "kind": "SCENE", "characterIds": []string{jane, jane}},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.client.Do(t, `mutation($in: StartConversationInput!) { startConversation(input: $in) { id } }`, map[string]any{"in": in})
			if code := r.Code(t); code != "BAD_USER_INPUT" && code != "NOT_FOUND" {
				t.Fatalf("code %s", code)
			}
		})
	}
	if n := srv.Count(t, "conversations"); n != before {
		t.Fatalf("refused starts made %d conversations", n-before)
	}
	// Another user cannot read, end or delete it.
	for _, q := range []string{`query($id: ID!) { conversation(id: $id) { id } }`, `mutation($id: ID!) { deleteConversation(id: $id) }`} {
		if code := other.client.Do(t, q, map[string]any{"id": scene.StartConversation.ID}).Code(t); code != "NOT_FOUND" {
			t.Fatalf("%s by another user: %s", q, code)
		}
	}
	c.client.Must(t, `mutation($id: ID!) { deleteConversation(id: $id) }`, map[string]any{"id": scene.StartConversation.ID}, &struct{}{})
	var list struct {
		Conversations struct{ TotalCount int }
	}
	c.client.Must(t, `query($e: ID!) { conversations(filter: {ecosystemId: $e}) { totalCount } }`, map[string]any{"e": c.ecosystem}, &list)
	if list.Conversations.TotalCount != 2 {
		t.Fatalf("conversations left: %d", list.Conversations.TotalCount)
	}
}
