package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// lizzy is a request to a well-described character, varied by the tests.
func lizzy(seed int64) Request {
	return Request{
		Character: Persona{
			Name:          "Elizabeth Bennet",
			Description:   "The second of the five Bennet sisters.",
			SpeakingStyle: "lively, ironic",
			Goals:         []string{"Marry for love, not for money", "See Jane happy"},
			Traits:        Traits{Openness: 0.8, Conscientiousness: 0.6, Extraversion: 0.5, Agreeableness: 0.6, Neuroticism: 0.3},
			Emotion:       "neutral",
			SocialEnergy:  0.5,
		},
		Listener: "Jane",
		Memories: []string{
			"Elizabeth walked three miles to Netherfield in the rain to nurse Jane.",
			"Mr. Darcy refused to dance with Elizabeth at the Meryton assembly.",
		},
		Message: "Have you heard the news about the Netherfield ball?",
		Seed:    seed,
	}
}

// generate runs the offline storyteller, failing the test on error.
func generate(t *testing.T, req Request) (Reply, []string) {
	t.Helper()
	var deltas []string
	reply, err := NewOffline().Generate(context.Background(), req, func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return reply, deltas
}

// TestOfflineDeterministic proves that the same request and seed give the same reply
// (also with seed 0, derived from the request, and across instances), and that other
// seeds usually give other replies.
func TestOfflineDeterministic(t *testing.T) {
	for _, seed := range []int64{0, 1, 42, -7} {
		a, _ := generate(t, lizzy(seed))
		b, _ := generate(t, lizzy(seed))
		if a != b {
			t.Fatalf("seed %d: two replies:\n%+v\n%+v", seed, a, b)
		}
	}
	distinct := map[string]bool{}
	for seed := int64(1); seed <= 20; seed++ {
		r, _ := generate(t, lizzy(seed))
		distinct[r.Text] = true
	}
	if len(distinct) < 10 {
		t.Fatalf("only %d distinct replies for 20 seeds: %v", len(distinct), distinct)
	}
	other := lizzy(0)
	other.Message = "Do you think it will rain tomorrow?"
	a, _ := generate(t, lizzy(0))
	b, _ := generate(t, other)
	if a.Text == b.Text {
		t.Fatalf("the same reply to different messages: %q", a.Text)
	}
}

// TestOfflineReply proves the shape of every reply: the deltas are single words (with
// their leading space) that concatenate to Text, and the reply is labelled as offline
// with a known emotion and a complete finish.
func TestOfflineReply(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		reply, deltas := generate(t, lizzy(seed))
		if strings.Join(deltas, "") != reply.Text || len(deltas) < 3 {
			t.Fatalf("deltas %q do not make %q", deltas, reply.Text)
		}
		for i, d := range deltas {
			if len(strings.Fields(d)) != 1 || (i > 0 && !strings.HasPrefix(d, " ")) {
				t.Fatalf("delta %d is %q", i, d)
			}
		}
		if reply.Model != OfflineModel || !reply.Offline || reply.FinishReason != "stop" {
			t.Fatalf("reply %+v", reply)
		}
		if _, ok := NormalizeEmotion(reply.Emotion); !ok || reply.Intensity < 0 || reply.Intensity > 1 {
			t.Fatalf("emotion %q, intensity %v", reply.Emotion, reply.Intensity)
		}
		if strings.Contains(reply.Text, "{") || strings.Contains(reply.Text, "  ") || reply.Text != strings.TrimSpace(reply.Text) {
			t.Fatalf("badly filled in: %q", reply.Text)
		}
		if !regexp.MustCompile(`^[A-Z"]`).MatchString(reply.Text) || !strings.ContainsAny(reply.Text[len(reply.Text)-1:], ".!?") {
			t.Fatalf("not a sentence: %q", reply.Text)
		}
	}
	o := NewOffline()
	if o.Model() != "offline-storyteller-v1" || !o.Offline() {
		t.Fatalf("Model %q, Offline %v", o.Model(), o.Offline())
	}
}

// TestOfflineMentionsMemory proves that a recalled memory is retold in the first person
// ("I walked ...", "... refused to dance with me ...") whenever there is one, and that
// nothing is "remembered" when there is none.
func TestOfflineMentionsMemory(t *testing.T) {
	retold := []string{
		"I walked three miles to Netherfield in the rain to nurse Jane",
		"Mr. Darcy refused to dance with me at the Meryton assembly",
	}
	for seed := int64(1); seed <= 30; seed++ {
		reply, _ := generate(t, lizzy(seed))
		if !strings.Contains(reply.Text, retold[0]) && !strings.Contains(reply.Text, retold[1]) {
			t.Fatalf("seed %d: no memory in %q", seed, reply.Text)
		}
		req := lizzy(seed)
		req.Memories = nil
		reply, _ = generate(t, req)
		if strings.Contains(reply.Text, "Meryton") || strings.Contains(reply.Text, "rain") {
			t.Fatalf("seed %d: a memory without memories: %q", seed, reply.Text)
		}
	}
}

// TestOfflineToneFollowsRelationship proves that the same line gets a warm remark and a
// warm emotion from a devoted friend, and a hostile remark and a hostile emotion from an
// enemy, never the other's.
func TestOfflineToneFollowsRelationship(t *testing.T) {
	render := func(lines ...[]string) []string {
		var out []string
		for _, ls := range lines {
			for _, l := range ls {
				out = append(out, strings.ReplaceAll(l, "{listener}", "Jane"))
			}
		}
		return out
	}
	warmLines := render(bondLines[toneWarm], newBondLines[toneWarm], typeLines["FRIEND"][0])
	hostileLines := render(bondLines[toneHostile], typeLines["ENEMY"][1])
	contains := func(text string, lines []string) bool {
		for _, l := range lines {
			if strings.Contains(text, l) {
				return true
			}
		}
		return false
	}
	for seed := int64(1); seed <= 30; seed++ {
		warm, hostile := lizzy(seed), lizzy(seed)
		for _, r := range []*Request{&warm, &hostile} {
			r.Memories = nil
			r.Message = "The carriage leaves at noon."
		}
		warm.Relationship = &Bond{Type: "FRIEND", Strength: 0.9, Trust: 0.9, Familiarity: 0.9}
		hostile.Relationship = &Bond{Type: "ENEMY", Strength: -0.9, Trust: 0.05, Familiarity: 0.9}
		w, _ := generate(t, warm)
		h, _ := generate(t, hostile)
		if !contains(w.Text, warmLines) || contains(w.Text, hostileLines) {
			t.Errorf("seed %d: warm reply %q", seed, w.Text)
		}
		if !contains(h.Text, hostileLines) || contains(h.Text, warmLines) {
			t.Errorf("seed %d: hostile reply %q", seed, h.Text)
		}
		if w.Emotion != EmotionTrust || h.Emotion != EmotionDisgust {
			t.Errorf("seed %d: emotions %s (warm) and %s (hostile)", seed, w.Emotion, h.Emotion)
		}
	}
}

// TestOfflineMaxTokens proves that MaxTokens bounds the number of words, that a cut
// reply finishes with "length", and that a bound the reply fits in changes nothing.
func TestOfflineMaxTokens(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		full, _ := generate(t, lizzy(seed))
		n := len(strings.Fields(full.Text))
		for _, limit := range []int{1, 2, 5, 12, n, n + 10} {
			req := lizzy(seed)
			req.MaxTokens = limit
			reply, deltas := generate(t, req)
			words := len(strings.Fields(reply.Text))
			switch {
			case words > limit || words == 0:
				t.Fatalf("seed %d, MaxTokens %d: %d words: %q", seed, limit, words, reply.Text)
			case strings.Join(deltas, "") != reply.Text:
				t.Fatalf("seed %d, MaxTokens %d: deltas %q, text %q", seed, limit, deltas, reply.Text)
			case limit >= n && (reply.Text != full.Text || reply.FinishReason != "stop"):
				t.Fatalf("seed %d, MaxTokens %d: %q (%s), want %q", seed, limit, reply.Text, reply.FinishReason, full.Text)
			case limit < n && reply.FinishReason != "length":
				t.Fatalf("seed %d, MaxTokens %d: finish %q for a cut reply", seed, limit, reply.FinishReason)
			}
		}
	}
}

// TestOfflineLengthFollowsPersonality proves that a talkative, energetic character says
// more than a reserved, drained one, and that a terse speaking style says less.
func TestOfflineLengthFollowsPersonality(t *testing.T) {
	words := func(edit func(*Request)) int {
		total := 0
		for seed := int64(1); seed <= 20; seed++ {
			req := lizzy(seed)
			edit(&req)
			reply, _ := generate(t, req)
			total += len(strings.Fields(reply.Text))
		}
		return total
	}
	quiet := words(func(r *Request) { r.Character.Traits.Extraversion, r.Character.SocialEnergy = 0.1, 0.1 })
	chatty := words(func(r *Request) { r.Character.Traits.Extraversion, r.Character.SocialEnergy = 0.95, 1 })
	terse := words(func(r *Request) {
		r.Character.Traits.Extraversion, r.Character.SocialEnergy = 0.95, 1
		r.Character.SpeakingStyle = "terse and blunt"
	})
	if chatty < 2*quiet || terse >= chatty {
		t.Fatalf("words over 20 replies: quiet %d, chatty %d, terse %d", quiet, chatty, terse)
	}
}

// TestOfflineEmotion proves the reply's emotion: the speaker's reaction to what was said,
// shaped by agreeableness and neuroticism, the current emotion kept when nothing
// emotional was said, and neuroticism raising the intensity.
func TestOfflineEmotion(t *testing.T) {
	tests := []struct {
		name    string
		message string
		traits  Traits
		current string
		want    string
	}{
		{"joy is catching", "I am so happy, what wonderful news!", Traits{0.5, 0.5, 0.5, 0.5, 0.3}, "", EmotionJoy},
		{"anger angers the disagreeable", "How dare you, you liar!", Traits{0.5, 0.5, 0.5, 0.1, 0.3}, "", EmotionAnger},
		{"anger frightens the neurotic", "How dare you, you liar!", Traits{0.5, 0.5, 0.5, 0.5, 0.9}, "", EmotionFear},
		{"anger hurts the agreeable", "How dare you, you liar!", Traits{0.5, 0.5, 0.5, 0.9, 0.2}, "", EmotionSadness},
		{"fear is reassured by the stable", "I am terrified.", Traits{0.5, 0.5, 0.5, 0.5, 0.1}, "", EmotionTrust},
		{"sadness moves the agreeable", "My mother died.", Traits{0.5, 0.5, 0.5, 0.9, 0.5}, "", EmotionSadness},
		{"a neutral line keeps the mood", "The carriage leaves at noon.", Traits{}, "Melancholy", EmotionSadness},
		{"a neutral line in a neutral mood", "The carriage leaves at noon.", Traits{}, "", EmotionNeutral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Character: Persona{Name: "Kitty", Traits: tt.traits, Emotion: tt.current}, Message: tt.message, Seed: 1}
			reply, _ := generate(t, req)
			if reply.Emotion != tt.want || (reply.Emotion == EmotionNeutral) != (reply.Intensity == 0) {
				t.Fatalf("%s %.2f, want %s", reply.Emotion, reply.Intensity, tt.want)
			}
		})
	}
	calm := Request{Character: Persona{Name: "Kitty", Traits: Traits{0.5, 0.5, 0.5, 0.5, 0.1}}, Message: "What wonderful news!"}
	nervy := calm
	nervy.Character.Traits.Neuroticism = 0.9
	a, _ := generate(t, calm)
	b, _ := generate(t, nervy)
	if a.Emotion != EmotionJoy || b.Emotion != EmotionJoy || b.Intensity <= a.Intensity {
		t.Fatalf("calm %s %.2f, neurotic %s %.2f", a.Emotion, a.Intensity, b.Emotion, b.Intensity)
	}
}

// TestOfflineTurnsWithoutMessage proves that with no message the speaker answers the
// last line someone else said, and with no history opens the scene from its description.
func TestOfflineTurnsWithoutMessage(t *testing.T) {
	req := lizzy(3)
	req.Message = ""
	req.Memories = nil
	req.History = []Turn{
		{Speaker: "Jane", Text: "I had a letter from our aunt Gardiner this morning."},
		{Speaker: "Elizabeth Bennet", Text: "Did you?"},
	}
	seen := false
	for seed := int64(1); seed <= 10; seed++ {
		req.Seed = seed
		reply, _ := generate(t, req)
		seen = seen || strings.Contains(reply.Text, "aunt Gardiner") || strings.Contains(reply.Text, "Gardiner")
	}
	if !seen {
		t.Fatal("the last line of the history was never picked up")
	}

	scene := Request{
		Character: Persona{Name: "Captain Ahab", Traits: Traits{0.3, 0.9, 0.2, 0.1, 0.8}, Emotion: "anger", SocialEnergy: 0.3},
		Scene:     "The deck of the Pequod at dawn; the white whale has been sighted.",
	}
	mentions := 0
	for seed := int64(1); seed <= 10; seed++ {
		scene.Seed = seed
		reply, _ := generate(t, scene)
		if strings.Contains(reply.Text, "the Pequod") {
			mentions++
		}
		if reply.Emotion != EmotionAnger {
			t.Fatalf("scene opening in %s, want the current anger", reply.Emotion)
		}
	}
	if mentions < 5 {
		t.Fatalf("the scene was mentioned in %d of 10 openings", mentions)
	}
}

// TestOfflineDoesNotRepeatItself proves that when the choices would make the speaker say
// word for word their previous line, other choices are made.
func TestOfflineDoesNotRepeatItself(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		req := lizzy(0)
		first := composeWith(req, rand.New(rand.NewPCG(seed, 1)))
		// The same choices again, now that the speaker has said exactly that.
		req.History = []Turn{{Speaker: req.Character.Name, Text: first.text}}
		again := composeWith(req, rand.New(rand.NewPCG(seed, 1)))
		if again.text == first.text {
			t.Fatalf("seed %d repeated %q", seed, first.text)
		}
	}
}

// TestOfflineCancelled proves that a done context stops the reply at once, returning
// ctx's error and exactly the text streamed so far.
func TestOfflineCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	_, err := NewOffline().Generate(ctx, lizzy(1), func(string) { called = true })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("err %v, onDelta called %v", err, called)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var got []string
	reply, err := NewOffline().Generate(ctx, lizzy(1), func(d string) {
		got = append(got, d)
		if len(got) == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || len(got) != 2 || reply.Text != strings.Join(got, "") || reply.FinishReason != "" {
		t.Fatalf("err %v, deltas %q, reply %+v", err, got, reply)
	}
}

// TestOfflineSpeakingStyle proves that a casual style contracts, a hesitant one stumbles
// and an excitable one exclaims.
func TestOfflineSpeakingStyle(t *testing.T) {
	count := func(style string, match func(string) bool) int {
		n := 0
		for seed := int64(1); seed <= 20; seed++ {
			req := lizzy(seed)
			req.Character.SpeakingStyle = style
			reply, _ := generate(t, req)
			if match(reply.Text) {
				n++
			}
		}
		return n
	}
	contracted := regexp.MustCompile(`\b(I'm|I've|don't|it's|I'd|can't|isn't|that's|you've|I'll)\b`)
	if n := count("casual and breezy", contracted.MatchString); n < 10 {
		t.Errorf("casual: contractions in %d of 20 replies", n)
	}
	if n := count("formal", contracted.MatchString); n != 0 {
		t.Errorf("formal: contractions in %d of 20 replies", n)
	}
	hesitant := func(s string) bool {
		for _, h := range hesitations {
			if strings.HasPrefix(s, h) {
				return true
			}
		}
		return false
	}
	if n := count("shy, hesitant", hesitant); n != 20 {
		t.Errorf("hesitant: %d of 20 replies hesitate", n)
	}
}

// TestPhrasebook proves that the phrasebook is complete and well-formed: every emotion
// has openers of both kinds, every mood has lines of every kind that is looked up by
// mood, and {listener} always comes after ", " so that it can be dropped with its comma.
func TestPhrasebook(t *testing.T) {
	moods := []string{moodCalm, moodWarm, moodCold, moodSad, moodAfraid, moodSurprised}
	for _, e := range emotions {
		if o := openers[e]; len(o[0]) == 0 || len(o[1]) == 0 {
			t.Errorf("no openers for %s", e)
		}
	}
	for _, m := range moods {
		if len(topicLines[m]) == 0 || len(memoryLines[m]) == 0 || len(closingLines[m]) == 0 {
			t.Errorf("mood %s lacks lines", m)
		}
	}
	for _, tone := range []string{toneWarm, toneFriendly, toneNeutral, toneGuarded, toneHostile, toneStranger} {
		if len(bondLines[tone]) == 0 {
			t.Errorf("no bond lines for %s", tone)
		}
	}
	var all []string
	for _, o := range openers {
		all = append(append(all, o[0]...), o[1]...)
	}
	for _, tl := range typeLines {
		all = append(append(all, tl[0]...), tl[1]...)
	}
	for _, table := range []map[string][]string{topicLines, questionLines, memoryLines, bondLines, newBondLines, closingLines, greetingLines} {
		for _, lines := range table {
			all = append(all, lines...)
		}
	}
	all = append(all, sceneOpeners...)
	all = append(all, sceneTopicOpeners...)
	all = append(all, wordLines...)
	all = append(all, goalLines...)
	all = append(all, coldGoalLines...)
	all = append(all, greetingClosings...)
	all = append(all, quips...)
	placeholder := regexp.MustCompile(`\{[^}]*\}`)
	for _, line := range all {
		if strings.Count(line, "{listener}") != strings.Count(line, ", {listener}") {
			t.Errorf("{listener} without a comma before it: %q", line)
		}
		for _, p := range placeholder.FindAllString(line, -1) {
			switch p {
			case "{listener}", "{topic}", "{Topic}", "{memory}", "{goal}":
			default:
				t.Errorf("unknown placeholder %s in %q", p, line)
			}
		}
	}
}

// TestRetell proves how memories are retold in the first person.
func TestRetell(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Elizabeth Bennet", "Elizabeth walked to Netherfield", "I walked to Netherfield"},
		{"Elizabeth Bennet", "Elizabeth Bennet is proud of her sisters", "I am proud of her sisters"},
		{"Elizabeth Bennet", "Darcy slighted Elizabeth at the ball", "Darcy slighted me at the ball"},
		{"Elizabeth Bennet", "Elizabeth's father laughed", "My father laughed"},
		{"Elizabeth Bennet", "Jane read Elizabeth’s letter", "Jane read my letter"},
		{"Elizabeth Bennet", "Elizabeth and Jane walked home", "Jane and I walked home"},
		{"Elizabeth Bennet", "Elizabeth and Mr. Darcy danced twice", "Mr. Darcy and I danced twice"},
		{"Elizabeth Bennet", "Elizabeth and her sisters sang", "I and her sisters sang"},
		{"Elizabeth Bennet", "Elizabethan plays bored Elizabeth", "Elizabethan plays bored me"},
		{"Elizabeth Bennet", "Elizabeth has a letter and does not open it", "I have a letter and does not open it"},
		{"Mr. Darcy", "Darcy wrote a letter", "I wrote a letter"},
		{"Mr. Darcy", "Elizabeth refused Mr. Darcy", "Elizabeth refused me"},
		{"", "Someone walked", "Someone walked"},
	}
	for _, tt := range tests {
		if got := retell(tt.in, tt.name); got != tt.want {
			t.Errorf("retell(%q, %q) = %q, want %q", tt.in, tt.name, got, tt.want)
		}
	}
}

// TestClause proves how a memory becomes a clause: its first sentence (a title's full stop
// does not end it), without final punctuation, shortened at a comma, in lower case unless
// it starts with a name.
func TestClause(t *testing.T) {
	c := &composer{req: Request{Character: Persona{Name: "Jane Bennet"}}, proper: map[string]bool{"Bingley": true, "Mr": true}}
	tests := []struct{ in, want string }{
		{"The ball was loud. Then it rained.", "the ball was loud"},
		{"Mr. Bingley danced with Jane twice!", "Mr. Bingley danced with me twice"},
		{"Bingley left for London.", "Bingley left for London"},
		{"Jane fell ill at Netherfield.", "I fell ill at Netherfield"},
		{"  Walking   home, we sang.  ", "walking home, we sang"},
		{
			"When the regiment left Meryton for Brighton, Lydia cried for days and days, and nobody, not even Kitty, could console her in that long and dreary summer.",
			"when the regiment left Meryton for Brighton, Lydia cried for days and days, and nobody, not even Kitty",
		},
	}
	for _, tt := range tests {
		if got := c.clause(tt.in, true); got != tt.want {
			t.Errorf("clause(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFindTopic proves what is picked up from a line: a name other than the speaker's or
// listener's, else a noun phrase seen from the speaker's side, else a telling word.
func TestFindTopic(t *testing.T) {
	exclude := nameWords("Elizabeth Bennet", "Jane")
	tests := []struct {
		text string
		want topic
	}{
		{"Have you heard about the Netherfield ball?", topic{"the Netherfield ball", topicName}},
		{"The Pequod sails at dawn.", topic{"Pequod", topicName}},
		{"A rainy afternoon in the Longbourn drawing room.", topic{"Longbourn", topicName}},
		{"We sail on the Pequod at dawn.", topic{"the Pequod", topicName}},
		{"Jane, what do you think of Mr. Darcy?", topic{"Mr. Darcy", topicName}},
		{"Elizabeth, come here.", topic{}},
		{"Did you read my letter?", topic{"your letter", topicPhrase}},
		{"I saw your sister and the old house.", topic{"my sister", topicPhrase}},
		{"They walked past the old house.", topic{"the old house", topicPhrase}},
		{"That happened long ago.", topic{}},
		{"We danced beautifully until midnight.", topic{"midnight", topicWord}},
		{"Yes.", topic{}},
	}
	for _, tt := range tests {
		if got := findTopic(tt.text, exclude, nil); got != tt.want {
			t.Errorf("findTopic(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

// TestContract proves that contractions replace whole words only.
func TestContract(t *testing.T) {
	for in, want := range map[string]string{
		"I am sure it is so, and I have not forgotten.": "I'm sure it's so, and I haven't forgotten.",
		"Do not visit is what I would say.":             "Don't visit is what I'd say.",
		"Iam cannot":                                    "Iam can't",
	} {
		if got := contract(in); got != want {
			t.Errorf("contract(%q) = %q, want %q", in, got, want)
		}
	}
}

// ExampleOffline shows the offline storyteller answering a line.
func ExampleOffline() {
	req := Request{
		Character: Persona{
			Name:         "Elizabeth Bennet",
			Traits:       Traits{Openness: 0.8, Conscientiousness: 0.5, Extraversion: 0.7, Agreeableness: 0.6, Neuroticism: 0.3},
			SocialEnergy: 0.6,
		},
		Listener:     "Jane",
		Relationship: &Bond{Type: "FAMILY", Strength: 0.9, Trust: 0.95, Familiarity: 1},
		Memories:     []string{"Elizabeth walked three miles to Netherfield in the rain."},
		Message:      "Mr. Bingley has written at last!",
		Seed:         7,
	}
	reply, err := NewOffline().Generate(context.Background(), req, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(reply.Emotion)
	fmt.Println(reply.Text)
	// Output:
	// trust
	// Yes. I understand. Mr. Bingley! I was hoping we would talk of Mr. Bingley. I often think, fondly, of the time I walked three miles to Netherfield in the rain. You know I would trust you with anything, Jane.
}
