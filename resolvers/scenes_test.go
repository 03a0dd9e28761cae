package resolvers_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

// stage is an ecosystem with a cast of four set up for a scene: a hostile pair (Bob and
// Diana), a warm pair (Alice and Charlie), and a scenario in a garden.
type stage struct {
	client    *testkit.Client
	ecosystem string
	ids       map[string]string // name -> id
	names     map[string]string // id -> name
	scenario  string
}

// The secret Diana keeps in the scenario.
const dianaSecret = "I burned Captain Harville's letter in the potting shed"

func newStage(t testing.TB, c *testkit.Client, name string) *stage {
	t.Helper()
	s := &stage{client: c, ecosystem: c.CreateEcosystem(t, name), ids: map[string]string{}, names: map[string]string{}}
	for _, ch := range []struct {
		name, description, style string
		traits                   map[string]float64
	}{
		{"Alice", "A warm-hearted schoolteacher who hates quarrels", "gentle, curious", map[string]float64{"extraversion": 0.7, "agreeableness": 0.9}},
		{"Bob", "A proud naval officer who feels wronged", "blunt, clipped", map[string]float64{"extraversion": 0.6, "agreeableness": 0.2, "neuroticism": 0.6}},
		{"Charlie", "Alice's oldest friend, a painter", "playful, wordy", map[string]float64{"extraversion": 0.8, "agreeableness": 0.7}},
		{"Diana", "A widow with something to hide", "guarded, precise", map[string]float64{"extraversion": 0.4, "agreeableness": 0.4, "neuroticism": 0.7}},
	} {
		var out struct{ CreateCharacter struct{ ID string } }
		c.Must(t, `mutation($in: CreateCharacterInput!) { createCharacter(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"ecosystemId": s.ecosystem, "name": ch.name, "description": ch.description, "speakingStyle": ch.style,
			"personalityTraits": ch.traits}}, &out)
		s.ids[ch.name], s.names[out.CreateCharacter.ID] = out.CreateCharacter.ID, ch.name
	}
	for _, r := range []struct {
		from, to, typ   string
		strength, trust float64
	}{
		{"Bob", "Diana", "ENEMY", -0.6, 0.2}, {"Diana", "Bob", "ENEMY", -0.5, 0.2},
		{"Alice", "Charlie", "FRIEND", 0.7, 0.8}, {"Charlie", "Alice", "FRIEND", 0.7, 0.8},
	} {
		c.Must(t, `mutation($in: CreateRelationshipInput!) { createRelationship(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"fromId": s.ids[r.from], "toId": s.ids[r.to], "type": r.typ, "strength": r.strength, "trust": r.trust, "familiarity": 0.6}}, &struct{}{})
	}
	var sc struct{ CreateScenario struct{ ID string } }
	c.Must(t, `mutation($in: CreateScenarioInput!) { createScenario(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"ecosystemId": s.ecosystem, "title": "The letter", "setting": "Victorian Garden", "mood": "Tense",
		"premise":  "A letter has gone missing, and everyone suspects someone.",
		"opening":  "Rain clouds gather over the roses as the four meet by the fountain.",
		"maxTurns": 30, "paceMs": 0,
		"cast": []map[string]any{
			{"characterId": s.ids["Alice"], "role": "the peacemaker", "goal": "keep everyone talking kindly"},
			{"characterId": s.ids["Bob"], "role": "the accuser", "goal": "find out who took the letter"},
			{"characterId": s.ids["Charlie"], "role": "the joker", "goal": "lighten the mood"},
			{"characterId": s.ids["Diana"], "role": "the suspect", "goal": "deflect suspicion", "secret": dianaSecret},
		}}}, &sc)
	s.scenario = sc.CreateScenario.ID
	return s
}

// sceneLine is a line as the tests read it.
type sceneLine struct {
	ID                  string
	Seq                 int
	Turn                *int
	SenderKind          string
	Content             string
	Emotion             *string
	Intensity           *float64
	Metadata            map[string]any
	SenderCharacter     *struct{ ID, Name string }
	Addressee           *struct{ Name string }
	RelationshipChanges []struct {
		From  struct{ Name string }
		To    struct{ Name string }
		Delta *struct{ Strength, Trust, Familiarity *float64 }
		Cause string
		Actor string
		Line  struct{ ID string }
	}
}

const sceneState = `query($c: ID!) { scene(conversationId: $c) { status turn maxTurns paceMs mode
	pendingDirections { character { name } instruction } } }`

type sceneStatus struct {
	Scene struct {
		Status, Mode           string
		Turn, MaxTurns, PaceMs int
		PendingDirections      []struct {
			Character   struct{ Name string }
			Instruction string
		}
	}
}

func (s *stage) run(t testing.TB, input map[string]any) string {
	t.Helper()
	var out struct {
		RunScenario struct {
			Conversation struct{ ID string }
			Status       string
			Turn, Seed   int
		}
	}
	s.client.Must(t, `mutation($id: ID!, $in: RunScenarioInput) { runScenario(id: $id, input: $in) {
		conversation { id } status turn seed } }`, map[string]any{"id": s.scenario, "in": input}, &out)
	if out.RunScenario.Status != "ACTIVE" || out.RunScenario.Turn != 0 {
		t.Fatalf("runScenario: %+v", out.RunScenario)
	}
	return out.RunScenario.Conversation.ID
}

func (s *stage) state(t testing.TB, conv string) sceneStatus {
	t.Helper()
	var st sceneStatus
	s.client.Must(t, sceneState, map[string]any{"c": conv}, &st)
	return st
}

// waitFor polls the scene until ok, failing after timeout.
func (s *stage) waitFor(t testing.TB, conv string, timeout time.Duration, ok func(sceneStatus) bool) sceneStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := s.state(t, conv)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("scene %s: still %+v after %s", conv, st.Scene, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *stage) lines(t *testing.T, conv string) []sceneLine {
	t.Helper()
	var out struct {
		Conversation struct {
			Messages struct{ Nodes []sceneLine }
		}
	}
	s.client.Must(t, `query($c: ID!) { conversation(id: $c) { messages(first: 100) { nodes {
		id seq turn senderKind content emotion intensity metadata senderCharacter { id name } addressee { name }
		relationshipChanges { from { name } to { name } delta { strength trust familiarity } cause actor line { id } } } } } }`,
		map[string]any{"c": conv}, &out)
	return out.Conversation.Messages.Nodes
}

func (s *stage) strength(t *testing.T, from, to string) float64 {
	t.Helper()
	var out struct {
		Character struct {
			Relationships struct {
				Nodes []struct {
					Strength float64
					To       struct{ Name string }
				}
			}
		}
	}
	s.client.Must(t, `query($id: ID!) { character: node(id: $id) { ... on Character {
		relationships(filter: {direction: OUTGOING}, first: 20) { nodes { strength to { name } } } } } }`,
		map[string]any{"id": s.ids[from]}, &out)
	for _, r := range out.Character.Relationships.Nodes {
		if r.To.Name == to {
			return r.Strength
		}
	}
	t.Fatalf("no relationship %s -> %s", from, to)
	return 0
}

func TestSceneRunsThirtyTurnsOffline(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, _ := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	hostile, warm := s.strength(t, "Bob", "Diana"), s.strength(t, "Alice", "Charlie")
	started := time.Now()
	conv := s.run(t, map[string]any{"seed": 7})
	s.waitFor(t, conv, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })

	lines := s.lines(t, conv)
	if len(lines) != 31 || lines[0].SenderKind != "NARRATOR" {
		t.Fatalf("want the opening and 30 lines, got %d messages", len(lines))
	}
	said := map[string]int{}
	var speakers []string
	for i, l := range lines[1:] {
		if l.Turn == nil || *l.Turn != i+1 || l.SenderKind != "CHARACTER" || l.SenderCharacter == nil {
			t.Fatalf("line %d: turn %v kind %s", i+1, l.Turn, l.SenderKind)
		}
		speakers = append(speakers, l.SenderCharacter.Name)
		if i > 0 && speakers[i] == speakers[i-1] {
			t.Errorf("turn %d: %s spoke twice in a row", i+1, speakers[i])
		}
		if l.Emotion == nil || *l.Emotion == "" || l.Intensity == nil {
			t.Errorf("turn %d: no emotion", i+1)
		}
		if prev, ok := said[l.Content]; ok {
			t.Errorf("turn %d repeats turn %d: %q", i+1, prev, l.Content)
		}
		said[l.Content] = i + 1
		if len(l.RelationshipChanges) == 0 {
			t.Errorf("turn %d changed no relationship: %q", i+1, l.Content)
		}
		for _, ch := range l.RelationshipChanges {
			if ch.Actor != "scene" || ch.Line.ID != l.ID || ch.Cause == "" || !strings.HasPrefix(l.Content, strings.TrimSuffix(ch.Cause, "…")) {
				t.Errorf("turn %d: change %+v does not name its line", i+1, ch)
			}
		}
		if l.Metadata["offline"] != true || l.Metadata["reason"] == "" {
			t.Errorf("turn %d: metadata %v", i+1, l.Metadata)
		}
		t.Logf("%2d %-8s -> %-8v [%s] %s", i+1, l.SenderCharacter.Name, l.Addressee, *l.Emotion, l.Content)
	}
	// Every change is in relationship history with its line as the cause.
	var changes, lineChanges int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM relationship_events e JOIN messages m ON m.id = e.message_id
		WHERE m.conversation_id = $1::uuid AND e.cause IS NOT NULL AND left(m.content, 900) = left(e.cause, 900)`, uuidOf(t, conv)).Scan(&changes); err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		lineChanges += len(l.RelationshipChanges)
	}
	if changes != lineChanges || changes < 30 {
		t.Fatalf("history has %d changes caused by the lines, the lines report %d", changes, lineChanges)
	}
	// Those spoken to feel something about it: every line to someone changes its
	// addressee's emotion in the line's own transaction.
	var addressed, felt int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE EXISTS (
			SELECT 1 FROM events c WHERE c.txid = e.txid AND c.topic = 'character.changed'
			  AND c.payload->>'id' = m.addressee_character_id::text))
		FROM messages m JOIN events e ON e.topic = 'message.created' AND e.payload->>'id' = m.id::text
		WHERE m.conversation_id = $1::uuid AND m.addressee_character_id IS NOT NULL`, uuidOf(t, conv)).Scan(&addressed, &felt); err != nil {
		t.Fatal(err)
	}
	if addressed == 0 || felt != addressed {
		t.Fatalf("%d of %d addressees' emotions moved with the line said to them", felt, addressed)
	}
	// Hostile pairs drift apart, warm ones warm further, and the map shows it, then and now.
	if now := s.strength(t, "Bob", "Diana"); now >= hostile {
		t.Errorf("Bob -> Diana went from %.2f to %.2f", hostile, now)
	}
	var maps struct{ Now, Then relationshipMap }
	c.Must(t, `query($e: ID!, $at: Time) { now: relationshipMap(ecosystemId: $e) { edges { from to strength } }
		then: relationshipMap(ecosystemId: $e, asOf: $at) { edges { from to strength } } }`,
		map[string]any{"e": s.ecosystem, "at": started.Format(time.RFC3339Nano)}, &maps)
	edge := func(m relationshipMap, from, to string) float64 {
		for _, e := range m.Edges {
			if e.From == s.ids[from] && e.To == s.ids[to] {
				return e.Strength
			}
		}
		t.Fatalf("no edge %s -> %s on the map", from, to)
		return 0
	}
	if edge(maps.Then, "Bob", "Diana") != hostile || edge(maps.Now, "Bob", "Diana") != s.strength(t, "Bob", "Diana") {
		t.Errorf("the map shows Bob -> Diana at %.2f before the scene and %.2f now", edge(maps.Then, "Bob", "Diana"), edge(maps.Now, "Bob", "Diana"))
	}
	if now := s.strength(t, "Alice", "Charlie"); now <= warm {
		t.Errorf("Alice -> Charlie went from %.2f to %.2f", warm, now)
	}
	// Every character present remembers every line, from its own point of view.
	var memories int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM memories m JOIN messages l ON l.id = m.source_message_id
		WHERE l.conversation_id = $1::uuid`, uuidOf(t, conv)).Scan(&memories); err != nil {
		t.Fatal(err)
	}
	if memories != 4*31 {
		t.Fatalf("%d memories of the scene's 31 lines, want 4 each", memories)
	}

	// The same seed on the same stage replays the same choices of speaker.
	again := newStage(t, c, "Garden again")
	conv2 := again.run(t, map[string]any{"seed": 7})
	again.waitFor(t, conv2, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	var replay []string
	for _, l := range again.lines(t, conv2)[1:] {
		replay = append(replay, l.SenderCharacter.Name)
	}
	if strings.Join(replay, ",") != strings.Join(speakers, ",") {
		t.Fatalf("seed 7 chose\n%v\nthen\n%v", speakers, replay)
	}
}

// relationshipMap is a map's edges as the tests read them.
type relationshipMap struct {
	Edges []struct {
		From, To string
		Strength float64
	}
}

// uuidOf takes the uuid out of a global id.
func uuidOf(t *testing.T, gid string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	_, id, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok {
		t.Fatalf("not a global id: %s", gid)
	}
	return id
}

// sceneEvent is an event of sceneUpdates as the tests read it.
type sceneEvent struct {
	Cursor  string
	Message *struct {
		SenderKind string
		Turn       *int
		Content    string
	}
	Change *struct {
		Kind        string
		Turn        int
		Status      string
		Speaker     *struct{ Name string }
		Reason      *string
		Character   *struct{ Name string }
		Instruction *string
	}
}

const sceneUpdates = `subscription($c: ID!, $after: String) { sceneUpdates(conversationId: $c, after: $after) { cursor
	message { senderKind turn content } change { kind turn status speaker { name } reason character { name } instruction } } }`

// readScene reads sceneUpdates events until ok says stop, failing after timeout.
func readScene(t *testing.T, ws *testkit.WS, id string, ok func(sceneEvent) bool) []sceneEvent {
	t.Helper()
	var got []sceneEvent
	for {
		m := ws.Read(30 * time.Second)
		if m.ID != id {
			continue
		}
		if m.Type != "next" {
			t.Fatalf("sceneUpdates: %s %s", m.Type, m.Payload)
		}
		var p struct {
			Data struct{ SceneUpdates sceneEvent }
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Data.SceneUpdates)
		if ok(p.Data.SceneUpdates) {
			return got
		}
	}
}

func TestSceneDirectorControls(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, session := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	conv := s.run(t, map[string]any{"seed": 11, "paceMs": 150, "maxTurns": 200})
	vars := map[string]any{"c": conv}

	ws := srv.Live(t, session.AccessToken)
	// Lines stream piece by piece while they are written, as replies do.
	pieces := srv.Live(t, session.AccessToken)
	pieces.Subscribe("pieces", `subscription($c: ID!) { messageStream(conversationId: $c) { messageId index text done character { name } } }`, vars)
	ws.Subscribe("scene", sceneUpdates, vars)
	// Without a cursor the stream starts at the scene's start: STARTED, the opening.
	first := readScene(t, ws, "scene", func(e sceneEvent) bool { return e.Change != nil && e.Change.Kind == "TURN" && e.Change.Turn == 2 })
	if first[0].Change == nil || first[0].Change.Kind != "STARTED" || first[1].Message == nil || first[1].Message.SenderKind != "NARRATOR" {
		t.Fatalf("stream starts with %+v %+v", first[0], first[1])
	}

	var words int
	for done := false; !done; {
		m := pieces.Read(30 * time.Second)
		var p struct {
			Data struct {
				MessageStream struct {
					Index     int
					Text      string
					Done      bool
					Character struct{ Name string }
				}
			}
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || m.Type != "next" {
			t.Fatalf("messageStream: %s %s", m.Type, m.Payload)
		}
		d := p.Data.MessageStream
		if d.Character.Name == "" {
			t.Fatalf("a piece without its speaker: %+v", d)
		}
		if d.Done {
			done = words > 1
			words = 0
			continue
		}
		words++
	}

	// Pause: no turn is written while paused, the one under way included.
	var paused struct{ PauseScene struct{ Status string } }
	c.Must(t, `mutation($c: ID!) { pauseScene(conversationId: $c) { status } }`, vars, &paused)
	at := s.state(t, conv).Scene.Turn
	time.Sleep(600 * time.Millisecond)
	if st := s.state(t, conv); st.Scene.Status != "PAUSED" || st.Scene.Turn != at {
		t.Fatalf("paused at turn %d, now %+v", at, st.Scene)
	}
	// Step runs exactly one turn and stays paused.
	c.Must(t, `mutation($c: ID!) { stepScene(conversationId: $c) { status } }`, vars, &struct{}{})
	s.waitFor(t, conv, 20*time.Second, func(st sceneStatus) bool { return st.Scene.Turn == at+1 })
	time.Sleep(400 * time.Millisecond)
	if st := s.state(t, conv); st.Scene.Status != "PAUSED" || st.Scene.Turn != at+1 {
		t.Fatalf("after a step: %+v", st.Scene)
	}
	c.Must(t, `mutation($c: ID!) { resumeScene(conversationId: $c) { status } }`, vars, &struct{}{})
	if code := c.Do(t, `mutation($c: ID!) { stepScene(conversationId: $c) { status } }`, vars).Code(t); code != "CONFLICT" {
		t.Fatalf("stepping a running scene: %s", code)
	}

	// A narrator's beat: stored at once, witnessed by all four.
	var beat struct {
		Narrate struct{ ID, SenderKind, Content string }
	}
	c.Must(t, `mutation($c: ID!) { narrate(conversationId: $c, text: "A storm breaks over the garden.") { id senderKind content } }`, vars, &beat)
	var witnessed int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM memories WHERE source_message_id = $1::uuid AND content = 'A storm breaks over the garden.'`,
		uuidOf(t, beat.Narrate.ID)).Scan(&witnessed); err != nil {
		t.Fatal(err)
	}
	if beat.Narrate.SenderKind != "NARRATOR" || witnessed != 4 {
		t.Fatalf("narration %+v witnessed by %d", beat.Narrate, witnessed)
	}

	// A direction: pending until the character's next line follows it.
	const instruction = "Admit that you were in the garden last night"
	var directed struct {
		DirectCharacter struct {
			PendingDirections []struct{ Instruction string }
		}
	}
	c.Must(t, `mutation($c: ID!, $ch: ID!, $i: String!) { directCharacter(conversationId: $c, characterId: $ch, instruction: $i) {
		pendingDirections { instruction } } }`, map[string]any{"c": conv, "ch": s.ids["Charlie"], "i": instruction}, &directed)
	if d := directed.DirectCharacter.PendingDirections; len(d) != 1 || d[0].Instruction != instruction {
		t.Fatalf("pending: %+v", d)
	}
	s.waitFor(t, conv, 30*time.Second, func(st sceneStatus) bool { return len(st.Scene.PendingDirections) == 0 })
	var followed int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM messages m JOIN characters c ON c.id = m.sender_character_id
		WHERE m.conversation_id = $1::uuid AND c.name = 'Charlie' AND m.metadata->>'direction' = $2`, uuidOf(t, conv), instruction).Scan(&followed); err != nil {
		t.Fatal(err)
	}
	if followed != 1 {
		t.Fatalf("%d of Charlie's lines followed the direction", followed)
	}

	// Pace, from the next turn.
	var paced struct{ SetScenePace struct{ PaceMs int } }
	c.Must(t, `mutation($c: ID!) { setScenePace(conversationId: $c, paceMs: 20) { paceMs } }`, vars, &paced)
	if paced.SetScenePace.PaceMs != 20 {
		t.Fatalf("pace: %+v", paced)
	}

	// Observer Mode refuses the user's lines; taking part lets the user address Alice,
	// who answers soon.
	send := `mutation($c: ID!, $ch: ID) { sendMessage(input: {conversationId: $c, characterId: $ch, content: "Alice, what did you see?"}) { message { seq } } }`
	if code := c.Do(t, send, map[string]any{"c": conv, "ch": s.ids["Alice"]}).Code(t); code != "CONFLICT" {
		t.Fatalf("speaking in Observer Mode: %s", code)
	}
	c.Must(t, `mutation($c: ID!) { setSceneMode(conversationId: $c, mode: PARTICIPATE) { mode } }`, vars, &struct{}{})
	var sent struct {
		SendMessage struct{ Message struct{ Seq int } }
	}
	c.Must(t, send, map[string]any{"c": conv, "ch": s.ids["Alice"]}, &sent)
	deadline := time.Now().Add(30 * time.Second)
	for answered := false; !answered; {
		for _, l := range s.lines(t, conv) {
			if l.Seq > sent.SendMessage.Message.Seq && l.Seq <= sent.SendMessage.Message.Seq+2 && l.SenderCharacter != nil && l.SenderCharacter.Name == "Alice" {
				answered = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("Alice did not answer the user within two turns")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// setConversationStatus drives a scene as the scene's own controls do.
	const status = `mutation($c: ID!, $s: ConversationStatus!) { setConversationStatus(id: $c, status: $s) { status } }`
	c.Must(t, status, map[string]any{"c": conv, "s": "PAUSED"}, &struct{}{})
	at = s.state(t, conv).Scene.Turn
	c.Must(t, status, map[string]any{"c": conv, "s": "ACTIVE"}, &struct{}{})
	s.waitFor(t, conv, 20*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ACTIVE" && st.Scene.Turn > at })

	// End: for good.
	c.Must(t, `mutation($c: ID!) { endScene(conversationId: $c) { status } }`, vars, &struct{}{})
	for _, m := range []string{"resumeScene", "stepScene", "pauseScene"} {
		if code := c.Do(t, `mutation($c: ID!) { `+m+`(conversationId: $c) { status } }`, vars).Code(t); code != "CONFLICT" {
			t.Fatalf("%s on an ended scene: %s", m, code)
		}
	}
	end := s.state(t, conv).Scene.Turn
	time.Sleep(300 * time.Millisecond)
	if st := s.state(t, conv); st.Scene.Status != "ENDED" || st.Scene.Turn != end {
		t.Fatalf("after the end: %+v", st.Scene)
	}

	// The stream saw every control, and a cursor resumes it after any event.
	seen := map[string]bool{}
	events := readScene(t, ws, "scene", func(e sceneEvent) bool { return e.Change != nil && e.Change.Kind == "ENDED" })
	for _, e := range events {
		if e.Change != nil {
			seen[e.Change.Kind] = true
			if e.Change.Kind == "DIRECTED" && (e.Change.Character == nil || e.Change.Character.Name != "Charlie" || *e.Change.Instruction != instruction) {
				t.Fatalf("direction event: %+v", e.Change)
			}
			if e.Change.Kind == "TURN" && (e.Change.Speaker == nil || e.Change.Reason == nil) {
				t.Fatalf("turn event without its speaker: %+v", e.Change)
			}
		}
	}
	for _, k := range []string{"PAUSED", "STEPPED", "RESUMED", "DIRECTED", "SETTINGS", "TURN", "ENDED"} {
		if !seen[k] {
			t.Errorf("the stream never showed %s", k)
		}
	}
	all := append(first, events...)
	ws.Subscribe("resume", sceneUpdates, map[string]any{"c": conv, "after": all[len(all)-3].Cursor})
	resumed := readScene(t, ws, "resume", func(e sceneEvent) bool { return e.Change != nil && e.Change.Kind == "ENDED" })
	if len(resumed) != 2 {
		t.Fatalf("resuming before the last two events replayed %d", len(resumed))
	}
}

func TestSceneBadInput(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t, "MAX_RUNNING_SCENES=1")
	c, _ := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	conv := s.run(t, map[string]any{"paceMs": 60000})
	other, _ := srv.Register(t, "stranger")
	var started struct{ StartConversation struct{ ID string } }
	c.Must(t, `mutation($e: ID!, $ch: ID!) { startConversation(input: {ecosystemId: $e, kind: DIRECT, characterIds: [$ch]}) { id } }`,
		map[string]any{"e": s.ecosystem, "ch": s.ids["Alice"]}, &started)
	direct := started.StartConversation.ID
	before := map[string]int{}
	tables := []string{"scenarios", "scenes", "messages", "scene_directions", "conversations"}
	for _, tb := range tables {
		before[tb] = srv.Count(t, tb)
	}
	tests := []struct {
		name, query string
		vars        map[string]any
		client      *testkit.Client
		code        string
	}{
		{"more scenes than a user may run", `mutation($id: ID!) { runScenario(id: $id) { turn } }`, map[string]any{"id": s.scenario}, c, "CONFLICT"},
		{"seed out of range", `mutation($id: ID!) { runScenario(id: $id, input: {seed: -1}) { turn } }`, map[string]any{"id": s.scenario}, c, "BAD_USER_INPUT"},
		{"no turns", `mutation($id: ID!) { runScenario(id: $id, input: {maxTurns: 0}) { turn } }`, map[string]any{"id": s.scenario}, c, "BAD_USER_INPUT"},
		{"too many turns", `mutation($id: ID!) { runScenario(id: $id, input: {maxTurns: 10001}) { turn } }`, map[string]any{"id": s.scenario}, c, "BAD_USER_INPUT"},
		{"negative pace", `mutation($id: ID!) { runScenario(id: $id, input: {paceMs: -5}) { turn } }`, map[string]any{"id": s.scenario}, c, "BAD_USER_INPUT"},
		{"stand-in in the cast", `mutation($id: ID!, $ch: ID!) { runScenario(id: $id, input: {standInId: $ch}) { turn } }`, map[string]any{"id": s.scenario, "ch": s.ids["Bob"]}, c, "BAD_USER_INPUT"},
		{"another user's scenario", `mutation($id: ID!) { runScenario(id: $id) { turn } }`, map[string]any{"id": s.scenario}, other, "NOT_FOUND"},
		{"a character id as a scenario", `mutation($id: ID!) { runScenario(id: $id) { turn } }`, map[string]any{"id": s.ids["Bob"]}, c, "NOT_FOUND"},
		{"another user's scene", `mutation($c: ID!) { pauseScene(conversationId: $c) { turn } }`, map[string]any{"c": conv}, other, "NOT_FOUND"},
		{"no token", `mutation($c: ID!) { pauseScene(conversationId: $c) { turn } }`, map[string]any{"c": conv}, srv.Client(), "UNAUTHENTICATED"},
		{"empty narration", `mutation($c: ID!) { narrate(conversationId: $c, text: "  ") { id } }`, map[string]any{"c": conv}, c, "BAD_USER_INPUT"},
		{"narration with NUL", `mutation($c: ID!) { narrate(conversationId: $c, text: "a\u0000b") { id } }`, map[string]any{"c": conv}, c, "BAD_USER_INPUT"},
		{"long narration", `mutation($c: ID!, $x: String!) { narrate(conversationId: $c, text: $x) { id } }`, map[string]any{"c": conv, "x": strings.Repeat("a", 2001)}, c, "BAD_USER_INPUT"},
		{"direct a stranger", `mutation($c: ID!, $ch: ID!) { directCharacter(conversationId: $c, characterId: $ch, instruction: "Sing") { turn } }`,
			map[string]any{"c": conv, "ch": c.CreateCharacter(t, s.ecosystem, "Eve")}, c, "BAD_USER_INPUT"},
		{"long instruction", `mutation($c: ID!, $ch: ID!, $i: String!) { directCharacter(conversationId: $c, characterId: $ch, instruction: $i) { turn } }`,
			map[string]any{"c": conv, "ch": s.ids["Bob"], "i": strings.Repeat("x", 1001)}, c, "BAD_USER_INPUT"},
		{"pace too long", `mutation($c: ID!) { setScenePace(conversationId: $c, paceMs: 600001) { turn } }`, map[string]any{"c": conv}, c, "BAD_USER_INPUT"},
		{"pace of the wrong type", `mutation($c: ID!) { setScenePace(conversationId: $c, paceMs: "fast") { turn } }`, map[string]any{"c": conv}, c, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown mode", `mutation($c: ID!) { setSceneMode(conversationId: $c, mode: SHOUT) { turn } }`, map[string]any{"c": conv}, c, "GRAPHQL_VALIDATION_FAILED"},
		{"a direct conversation is no scene", `mutation($c: ID!) { pauseScene(conversationId: $c) { turn } }`, map[string]any{"c": direct}, c, "NOT_FOUND"},
		{"a malformed id", `mutation($c: ID!) { pauseScene(conversationId: $c) { turn } }`, map[string]any{"c": "bm90IGFuIGlk"}, c, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := tt.client.Do(t, tt.query, tt.vars).Code(t); code != tt.code {
				t.Fatalf("got %s, want %s", code, tt.code)
			}
		})
	}
	for _, tb := range tables {
		if n := srv.Count(t, tb); n != before[tb] {
			t.Errorf("%s: %d rows, was %d", tb, n, before[tb])
		}
	}
}

// secretKept checks that Diana's secret is in no line and in no memory but hers, and
// that another character recalling it finds nothing.
func secretKept(t *testing.T, srv *testkit.Server, s *stage, conv string) {
	t.Helper()
	for _, l := range s.lines(t, conv) {
		low := strings.ToLower(l.Content)
		if strings.Contains(low, "potting shed") || strings.Contains(low, "burned captain") {
			t.Errorf("line %d gives the secret away: %q", l.Seq, l.Content)
		}
	}
	rows, err := srv.Pool.Query(t.Context(), `SELECT DISTINCT c.name FROM memories m JOIN characters c ON c.id = m.character_id
		WHERE c.ecosystem_id = $1::uuid AND m.content ILIKE '%potting shed%'`, uuidOf(t, s.ecosystem))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var holders []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		holders = append(holders, n)
	}
	if len(holders) != 1 || holders[0] != "Diana" {
		t.Fatalf("the secret is in the memories of %v", holders)
	}
	for _, name := range []string{"Alice", "Bob", "Charlie"} {
		var out struct {
			Recall []struct{ Memory struct{ Content string } }
		}
		s.client.Must(t, `query($ch: ID!, $q: String!) { recall(characterId: $ch, query: $q, topK: 20) { memory { content } } }`,
			map[string]any{"ch": s.ids[name], "q": dianaSecret}, &out)
		for _, m := range out.Recall {
			if strings.Contains(strings.ToLower(m.Memory.Content), "potting shed") {
				t.Errorf("%s recalls the secret: %q", name, m.Memory.Content)
			}
		}
	}
}

func TestSceneSecretsOffline(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, _ := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	conv := s.run(t, map[string]any{"seed": 3})
	s.waitFor(t, conv, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	secretKept(t, srv, s, conv)
}

// sceneModel serves a scripted model's scene lines as an OpenAI-compatible streaming
// endpoint: line gets each request's body and returns the line and its emotion.
func sceneModel(t *testing.T, line func(body string) (text, emotion string)) *httptest.Server {
	t.Helper()
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		text, emotion := line(string(body))
		out, _ := json.Marshal(map[string]any{"line": text, "addressee": "", "emotion": emotion, "intensity": 0.4, "deltas": []any{}})
		chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]any{"content": string(out)}}}})
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk)
	}))
	t.Cleanup(model.Close)
	return model
}

// TestSceneSecretsWithAModel runs a scene against a scripted model that blurts out any
// secret its prompt holds: only Diana is ever told hers, so only her lines are refused
// (and written offline instead), and nobody's line carries it.
func TestSceneSecretsWithAModel(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var prompts, withSecret int
	model := sceneModel(t, func(body string) (string, string) {
		mu.Lock()
		defer mu.Unlock()
		prompts++
		if strings.Contains(body, dianaSecret) {
			withSecret++
			return "Very well, I confess: " + dianaSecret + ".", "anticipation"
		}
		return fmt.Sprintf("Line %d, said by the model over the roses.", prompts), "anticipation"
	})
	srv := testkit.NewServer(t, "LLM_BASE_URL="+model.URL+"/v1", "LLM_MODEL=test-model", "LLM_MAX_RETRIES=0")
	c, _ := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	conv := s.run(t, map[string]any{"seed": 5, "maxTurns": 16})
	s.waitFor(t, conv, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	secretKept(t, srv, s, conv)
	dianaSpoke := false
	for _, l := range s.lines(t, conv)[1:] {
		diana := l.SenderCharacter.Name == "Diana"
		dianaSpoke = dianaSpoke || diana
		if diana != (l.Metadata["offline"] == true) {
			t.Errorf("turn %d by %s: offline=%v (%v)", *l.Turn, l.SenderCharacter.Name, l.Metadata["offline"], l.Metadata["fallback"])
		}
		if !diana && l.Metadata["generator"] != "test-model" {
			t.Errorf("turn %d: written by %v", *l.Turn, l.Metadata["generator"])
		}
	}
	if !dianaSpoke || withSecret == 0 {
		t.Fatalf("Diana never spoke (%v) or was never told her secret (%d prompts)", dianaSpoke, withSecret)
	}
}

// TestSceneModelThatRepeatsItself runs a scene with a model that answers every prompt with
// the same line: it is said once, and every later turn is written by the offline
// storyteller, says so, and is new.
func TestSceneModelThatRepeatsItself(t *testing.T) {
	t.Parallel()
	const same = "I have nothing more to say about the roses."
	model := sceneModel(t, func(string) (string, string) { return same, "sadness" })
	srv := testkit.NewServer(t, "LLM_BASE_URL="+model.URL+"/v1", "LLM_MODEL=test-model", "LLM_MAX_RETRIES=0")
	c, _ := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	conv := s.run(t, map[string]any{"seed": 9, "maxTurns": 12})
	s.waitFor(t, conv, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	said := map[string]bool{}
	for _, l := range s.lines(t, conv)[1:] {
		if said[l.Content] {
			t.Errorf("turn %d repeats %q", *l.Turn, l.Content)
		}
		said[l.Content] = true
		first := *l.Turn == 1
		if first != (l.Content == same) || first == (l.Metadata["offline"] == true) {
			t.Errorf("turn %d: %q offline=%v", *l.Turn, l.Content, l.Metadata["offline"])
		}
		if fb, _ := l.Metadata["fallback"].(string); !first && !strings.Contains(fb, "repeat") {
			t.Errorf("turn %d: fallback %v", *l.Turn, l.Metadata["fallback"])
		}
	}
	if len(said) != 12 {
		t.Fatalf("%d distinct lines, want 12", len(said))
	}
}

// TestSceneOnTwoInstances runs scenes on two instances of one database: turns go to
// whichever instance is free, and still every turn is written once, in order.
func TestSceneOnTwoInstances(t *testing.T) {
	t.Parallel()
	a := testkit.NewServer(t)
	b := testkit.NewServerOn(t, a.DatabaseURL)
	c, _ := a.Register(t, "director")
	s := newStage(t, c, "Garden")
	var convs []string
	for range 3 {
		convs = append(convs, s.run(t, map[string]any{"maxTurns": 25}))
	}
	onB := &stage{client: &testkit.Client{URL: b.URL + "/graphql", Token: c.Token}, ids: s.ids, names: s.names}
	for _, conv := range convs {
		onB.waitFor(t, conv, 90*time.Second, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
		lines := s.lines(t, conv)
		if len(lines) != 26 {
			t.Fatalf("%d messages, want the opening and 25 lines", len(lines))
		}
		for i, l := range lines[1:] {
			if l.Turn == nil || *l.Turn != i+1 || l.Seq != i+2 {
				t.Fatalf("message %d is turn %v", l.Seq, l.Turn)
			}
		}
	}
	var instances int
	if err := a.Pool.QueryRow(t.Context(), `SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE kind = 'scene_turn'`).Scan(&instances); err != nil {
		t.Fatal(err)
	}
	if instances != 2 {
		t.Fatalf("turns ran on %d instances, want both", instances)
	}
}

// TestScenesStartTogether: scenes of one cast started at once all start. Starting one
// references its cast (participants) and locks it (memories); a lock that waited on the
// references deadlocked two starts.
func TestScenesStartTogether(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c, _ := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	const n = 8
	resps := make([]*testkit.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resps[i] = c.Do(t, `mutation($id: ID!, $in: RunScenarioInput) { runScenario(id: $id, input: $in) { status } }`,
				map[string]any{"id": s.scenario, "in": map[string]any{"maxTurns": 2}})
		})
	}
	wg.Wait()
	for i, r := range resps {
		if len(r.Errors) > 0 {
			t.Errorf("start %d: %+v", i, r.Errors)
		}
	}
}

// TestSceneWitnessesReflect: what characters witness in a scene counts towards their
// reflections like any memory, so a long enough scene makes each of them reflect.
func TestSceneWitnessesReflect(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t, "REFLECTION_THRESHOLD=2")
	c, _ := srv.Register(t, "director")
	s := newStage(t, c, "Garden")
	conv := s.run(t, map[string]any{"seed": 3, "maxTurns": 12})
	s.waitFor(t, conv, time.Minute, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	deadline := time.Now().Add(30 * time.Second)
	for {
		var reflected int
		if err := srv.Pool.QueryRow(t.Context(), `SELECT count(DISTINCT character_id) FROM memories
			WHERE ecosystem_id = $1 AND type = 'REFLECTION'`, uuidOf(t, s.ecosystem)).Scan(&reflected); err != nil {
			t.Fatal(err)
		}
		if reflected == len(s.ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d characters reflected on the scene", reflected, len(s.ids))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
