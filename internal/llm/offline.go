package llm

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// OfflineModel names the offline storyteller. Any change to how it composes replies (its
// phrasebook, its choices, its use of the random stream) changes the reply to a given
// request and seed, so it must come with a new version.
const OfflineModel = "offline-storyteller-v1"

// pcgStream is the PCG stream of requests without a seed (the seed is then the request's
// hash); any fixed odd constant would do.
const pcgStream = 0x9e3779b97f4a7c15

// maxClauseWords bounds a memory or goal quoted inside a sentence, so that a long
// memory does not swallow the reply.
const maxClauseWords = 24

// Offline is the storyteller Generator that needs no model: it composes a reply from the
// request alone, so characters can talk on a bare machine and tests are repeatable.
//
// A reply is up to five sentences, each drawn from a phrasebook and filled in from the
// request: an opener chosen by the reply's emotion and the speaker's extraversion; a
// sentence that picks up the subject of the line being answered (a name, a noun phrase
// such as "your letter" turned into "my letter", or failing those a word of it); a
// recalled memory, retold in the first person ("I keep thinking of the day I walked to
// Netherfield"); a remark coloured by the relationship with the listener (warm, friendly,
// neutral, guarded or hostile, by strength and trust, and by its type and familiarity);
// sometimes one of the speaker's goals, a witty aside or a question back to the listener.
// How many sentences are said grows with extraversion and social energy, and with a
// verbose speaking style; a terse style shortens it, a casual one contracts ("I'm"), a
// hesitant one stumbles at the start, an excitable one exclaims. When sentences must go,
// the subject and the memory are kept longest.
//
// The reply's emotion is the speaker's reaction to what was heard (see Emotion): joy
// answers joy, anger frightens the neurotic, angers the disagreeable and saddens the
// rest, and so on; when nothing emotional was said the speaker keeps their current
// emotion, or takes one from a warm or hostile relationship. Neuroticism amplifies it.
//
// Everything is chosen with a PCG generator, so the same Request and Seed always give the
// same reply, streamed word by word. It is safe for concurrent use.
type Offline struct{}

// NewOffline returns the offline storyteller.
func NewOffline() *Offline { return &Offline{} }

// Model returns OfflineModel.
func (*Offline) Model() string { return OfflineModel }

// Offline returns true.
func (*Offline) Offline() bool { return true }

// Generate composes the reply to req and streams it to onDelta word by word ("I", " keep",
// " thinking", ...). It fails only when ctx is done, which it checks before every piece;
// the Reply then holds the text streamed so far.
func (o *Offline) Generate(ctx context.Context, req Request, onDelta func(string)) (Reply, error) {
	reply := Reply{Model: OfflineModel, Offline: true}
	if err := ctx.Err(); err != nil {
		return reply, fmt.Errorf("llm %s: %w", OfflineModel, err)
	}
	c := compose(req)
	reply.Emotion, reply.Intensity = c.emotion, c.intensity
	var err error
	if reply.Text, err = streamText(ctx, c.text, onDelta); err != nil {
		return reply, err
	}
	reply.FinishReason = c.finish
	return reply, nil
}

// streamText hands text to onDelta piece by piece (see pieces), as a model streams its reply,
// and returns what was sent: all of text, or what went before ctx ended.
func streamText(ctx context.Context, text string, onDelta func(string)) (string, error) {
	var sent strings.Builder
	for _, piece := range pieces(text) {
		if err := ctx.Err(); err != nil {
			return sent.String(), fmt.Errorf("llm %s: %w", OfflineModel, err)
		}
		if onDelta != nil {
			onDelta(piece)
		}
		sent.WriteString(piece)
	}
	return sent.String(), nil
}

// pieces splits text into the chunks it is streamed in: each word with the space before it.
func pieces(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if isSpaceByte(text[i]) && !isSpaceByte(text[i-1]) {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// isSpaceByte reports whether b is ASCII white space; such bytes never occur inside a
// multi-byte UTF-8 sequence, so text can be split at them byte by byte.
func isSpaceByte(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

// composition is a composed reply.
type composition struct {
	text      string
	emotion   string
	intensity float64
	finish    string
}

// Reply slots, in the order their sentences are said.
const (
	slotOpener = iota
	slotTopic
	slotMemory
	slotBond
	slotGoal
	slotQuip
	slotClosing
)

// sentence is one sentence of a reply: where it goes, and how early it is dropped when
// the reply must be shorter (higher priority values go first).
type sentence struct {
	slot, priority int
	text           string
}

// composer holds what the sentences of one reply are made from.
type composer struct {
	req      Request
	rng      *rand.Rand
	traits   Traits
	energy   float64
	listener string          // as addressed, "" for nobody in particular
	names    map[string]bool // words of the speaker's and listener's names
	proper   map[string]bool // words written with a capital in the request: names and places
	habits   map[string]bool // speaking habits from the speaking style (see styleCues)
}

// compose writes the reply to req.
func compose(req Request) composition {
	h := hashRequest(req)
	src := rand.NewPCG(h, pcgStream)
	if req.Seed != 0 {
		// The request selects the stream, so that a caller who fixes the seed still gets
		// varied replies to varied requests, and the same reply to the same one.
		src = rand.NewPCG(uint64(req.Seed), h)
	}
	return composeWith(req, rand.New(src))
}

// composeWith writes the reply to req with the choices of rng.
func composeWith(req Request, rng *rand.Rand) composition {
	c := &composer{
		req:    req,
		rng:    rng,
		traits: req.Character.Traits.orAverage().clamped(),
		energy: clamp01(req.Character.SocialEnergy),
		habits: speakingHabits(req.Character.SpeakingStyle),
	}
	c.names = nameWords(req.Character.Name, req.Listener)
	c.proper = c.properWords()
	c.listener = c.address()

	heard := c.heard()
	emotion, intensity := c.react(heard)
	last := c.lastOwnLine()
	var sents []sentence
	for range 3 { // saying exactly what one said last time sounds broken: choose again
		sents = c.sentences(heard, emotion)
		if joinSentences(sents) != last {
			break
		}
	}
	text, finish := fit(sents, req.MaxTokens)
	return composition{text: text, emotion: emotion, intensity: intensity, finish: finish}
}

// hashRequest is a 64-bit FNV-1a hash of everything in req that a reply depends on; the
// seed and MaxTokens are left out, so that a shorter bound cuts the same reply short.
func hashRequest(req Request) uint64 {
	h := fnv.New64a()
	var buf []byte
	str := func(s string) {
		// Length-prefixed, so that ("ab", "c") and ("a", "bc") hash apart.
		buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(len(s)))
		_, _ = h.Write(append(buf, s...))
	}
	num := func(f float64) {
		_, _ = h.Write(binary.LittleEndian.AppendUint64(buf[:0], math.Float64bits(f)))
	}
	p := req.Character
	for _, s := range []string{p.Name, p.Description, p.Backstory, p.SpeakingStyle, p.Emotion, req.Listener, req.Message, req.Scene} {
		str(s)
	}
	for _, f := range []float64{p.Traits.Openness, p.Traits.Conscientiousness, p.Traits.Extraversion, p.Traits.Agreeableness, p.Traits.Neuroticism, p.SocialEnergy} {
		num(f)
	}
	num(float64(len(p.Goals)))
	for _, g := range p.Goals {
		str(g)
	}
	if b := req.Relationship; b != nil {
		str(b.Type)
		num(b.Strength)
		num(b.Trust)
		num(b.Familiarity)
	}
	num(float64(len(req.Memories)))
	for _, m := range req.Memories {
		str(m)
	}
	for _, t := range req.History {
		str(t.Speaker)
		str(t.Text)
		if t.FromUser {
			str("user")
		}
	}
	return h.Sum64()
}

// heard returns the line being answered: the message, or else the last line someone else
// said, or "" when the speaker opens the scene.
func (c *composer) heard() string {
	if m := strings.TrimSpace(c.req.Message); m != "" {
		return m
	}
	for _, t := range slices.Backward(c.req.History) {
		if text := strings.TrimSpace(t.Text); text != "" && (t.FromUser || t.Speaker != c.req.Character.Name) {
			return text
		}
	}
	return ""
}

// lastOwnLine returns the speaker's last line in the history, "" if none.
func (c *composer) lastOwnLine() string {
	for _, t := range slices.Backward(c.req.History) {
		if !t.FromUser && t.Speaker == c.req.Character.Name {
			return strings.TrimSpace(t.Text)
		}
	}
	return ""
}

// address returns how the speaker addresses the listener: by first name when they know
// each other well, by full name otherwise, and not at all when speaking to nobody in
// particular (or, oddly, to themselves).
func (c *composer) address() string {
	l := strings.TrimSpace(c.req.Listener)
	if l == "" || l == strings.TrimSpace(c.req.Character.Name) {
		return ""
	}
	if b := c.req.Relationship; b != nil && b.Familiarity >= 0.6 {
		if first, _, ok := strings.Cut(l, " "); ok && !honorifics[strings.ToLower(strings.TrimSuffix(first, "."))] {
			return first
		}
	}
	return l
}

// react returns the emotion with which the speaker answers heard, and its intensity.
func (c *composer) react(heard string) (string, float64) {
	t := c.traits
	current, _ := NormalizeEmotion(c.req.Character.Emotion)
	tone := toneNeutral
	if c.req.Relationship != nil {
		tone = toneOf(*c.req.Relationship)
	}
	hostile := tone == toneHostile
	felt, strength := Emotion(heard)
	var e string
	switch felt {
	case EmotionNeutral:
		e = current
		switch {
		case e != EmotionNeutral:
		case hostile && t.Neuroticism >= 0.6:
			e = EmotionFear
		case hostile && t.Agreeableness < 0.5:
			e = EmotionAnger
		case hostile:
			e = EmotionDisgust
		case tone == toneWarm:
			e = EmotionTrust
		}
		if e == EmotionNeutral {
			return EmotionNeutral, 0
		}
		return e, round2(0.25 + 0.35*t.Neuroticism)
	case EmotionJoy, EmotionTrust, EmotionAnticipation:
		switch {
		case hostile:
			// Friendliness from an enemy is suspect.
			e = ifElse(t.Agreeableness < 0.5, EmotionDisgust, EmotionSurprise)
		case tone == toneGuarded && felt == EmotionTrust:
			e = EmotionNeutral
		default:
			e = felt
		}
	case EmotionSadness:
		e = ifElse(t.Agreeableness >= 0.5 || tone == toneWarm, EmotionSadness, EmotionNeutral)
	case EmotionAnger:
		switch {
		case t.Neuroticism >= 0.6:
			e = EmotionFear
		case t.Agreeableness < 0.4 || hostile:
			e = EmotionAnger
		default:
			e = EmotionSadness // hurt, rather than angry back
		}
	case EmotionFear:
		e = ifElse(t.Neuroticism >= 0.5, EmotionFear, EmotionTrust)
	case EmotionDisgust:
		e = ifElse(t.Agreeableness < 0.5 || hostile, EmotionDisgust, EmotionSadness)
	default: // surprise is catching
		e = felt
	}
	if e == EmotionNeutral {
		return EmotionNeutral, 0
	}
	intensity := strength * (0.6 + 0.8*t.Neuroticism) // the neurotic feel everything more
	if e == current {
		intensity += 0.1 // a feeling already there is stirred up, not started
	}
	return e, round2(max(clamp01(intensity), 0.05))
}

// ifElse returns a if cond, b otherwise.
func ifElse(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// round2 rounds x to two decimals, which is all the precision an intensity has.
func round2(x float64) float64 { return math.Round(100*x) / 100 }

// toneOf classifies a relationship by the speaker's warmth towards the listener, which
// weighs feeling (strength) above trust.
func toneOf(b Bond) string {
	warmth := 0.65*clampSigned(b.Strength) + 0.35*(2*clamp01(b.Trust)-1)
	switch {
	case warmth >= 0.45:
		return toneWarm
	case warmth >= 0.15:
		return toneFriendly
	case warmth > -0.15:
		return toneNeutral
	case warmth > -0.45:
		return toneGuarded
	}
	return toneHostile
}

// budget returns how many sentences the speaker says: 1 to 5, more for an extravert with
// energy to spare.
func (c *composer) budget() int {
	n := 1 + int(math.Round(2*c.traits.Extraversion+2*c.energy))
	if c.habits["terse"] {
		n -= 2
	}
	if c.habits["verbose"] {
		n++
	}
	return min(max(n, 1), 5)
}

// sentences composes the sentences of one reply, in the order they are said.
func (c *composer) sentences(heard, emotion string) []sentence {
	mood := moodOf(emotion)
	expressive := c.rng.Float64() < c.traits.Extraversion

	subject := heard
	if subject == "" {
		subject = c.req.Scene
	}
	topic := findTopic(subject, c.names, c.proper)
	memory := c.memory()
	goal := c.goal()
	r := c.replacer(topic.phrase, memory, goal)

	var cands []sentence
	add := func(slot, priority int, tmpl string) {
		s := upperFirst(r.Replace(tmpl))
		if c.habits["casual"] {
			s = contract(s)
		}
		cands = append(cands, sentence{slot: slot, priority: priority, text: s})
	}
	if heard == "" {
		if topic.phrase != "" && topic.kind != topicWord {
			add(slotOpener, 0, pick(c.rng, sceneTopicOpeners))
		} else {
			add(slotOpener, 0, pick(c.rng, sceneOpeners))
		}
	} else {
		greeting := isGreeting(heard)
		if greeting {
			lines := greetingLines[mood]
			if len(lines) == 0 {
				lines = greetingLines[moodCalm]
			}
			add(slotOpener, 0, pick(c.rng, lines))
		} else {
			tmpl := pick(c.rng, openers[emotion][boolIndex(!expressive)])
			if c.habits["exclaim"] && strings.HasSuffix(tmpl, ".") {
				tmpl = strings.TrimSuffix(tmpl, ".") + "!"
			}
			add(slotOpener, 3, tmpl)
		}
		switch {
		case topic.phrase == "", greeting && topic.kind == topicWord:
		case topic.kind == topicWord:
			add(slotTopic, 0, pick(c.rng, wordLines))
		case strings.HasSuffix(heard, "?") && len(questionLines[mood]) > 0 && c.rng.IntN(2) == 0:
			add(slotTopic, 0, pick(c.rng, questionLines[mood]))
		default:
			add(slotTopic, 0, pick(c.rng, topicLines[mood]))
		}
	}
	if memory != "" {
		add(slotMemory, 1, pick(c.rng, memoryLines[mood]))
	}
	if line := c.bondLine(); line != "" {
		add(slotBond, 2, line)
	}
	if goal != "" && c.rng.Float64() < 0.25+0.4*c.traits.Conscientiousness {
		lines := goalLines
		if mood == moodCold {
			lines = coldGoalLines
		}
		add(slotGoal, 4, pick(c.rng, lines))
	}
	if c.habits["witty"] && c.rng.Float64() < 0.7 {
		add(slotQuip, 5, pick(c.rng, quips))
	}
	if c.rng.Float64() < 0.8*c.traits.Extraversion {
		lines := closingLines[mood]
		if heard != "" && isGreeting(heard) && mood != moodCold {
			lines = greetingClosings
		}
		add(slotClosing, 6, pick(c.rng, lines))
	}

	slices.SortStableFunc(cands, func(a, b sentence) int { return cmp.Compare(a.priority, b.priority) })
	cands = cands[:min(len(cands), c.budget())]
	slices.SortFunc(cands, func(a, b sentence) int { return cmp.Compare(a.slot, b.slot) })
	if c.habits["hesitant"] {
		cands[0].text = pick(c.rng, hesitations) + lowerFirst(cands[0].text, c.proper)
	}
	return cands
}

// isGreeting reports whether a line starts with a greeting ("Hello!", "Good evening, Jane").
func isGreeting(line string) bool {
	ws := scanWords(line)
	if len(ws) == 0 {
		return false
	}
	if greetings[ws[0].lower] {
		return true
	}
	return len(ws) > 1 && ws[0].lower == "good" && greetings[ws[1].lower]
}

// replacer fills in the placeholders of the phrasebook.
func (c *composer) replacer(topic, memory, goal string) *strings.Replacer {
	var pairs []string
	if c.listener == "" {
		pairs = append(pairs, ", {listener}", "")
	}
	return strings.NewReplacer(append(pairs,
		"{listener}", c.listener,
		"{Topic}", upperFirst(topic),
		"{topic}", topic,
		"{memory}", memory,
		"{goal}", goal,
	)...)
}

// memory returns a recalled memory as a first-person clause, usually the most relevant
// one, or "" when nothing is recalled.
func (c *composer) memory() string {
	var ms []string
	for _, m := range c.req.Memories {
		if strings.TrimSpace(m) != "" {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return ""
	}
	i := 0
	if c.rng.Float64() >= 0.7 {
		i = c.rng.IntN(min(len(ms), 3))
	}
	return c.clause(ms[i], true)
}

// goal returns one of the speaker's goals as a clause, usually the first, or "".
func (c *composer) goal() string {
	var gs []string
	for _, g := range c.req.Character.Goals {
		if strings.TrimSpace(g) != "" {
			gs = append(gs, g)
		}
	}
	if len(gs) == 0 {
		return ""
	}
	i := 0
	if c.rng.Float64() >= 0.6 {
		i = c.rng.IntN(len(gs))
	}
	return c.clause(gs[i], false)
}

// bondLine returns the remark on the relationship with the listener, or "" for none.
func (c *composer) bondLine() string {
	b := c.req.Relationship
	if b == nil {
		if c.listener != "" && c.rng.Float64() < 0.5 {
			return pick(c.rng, bondLines[toneStranger])
		}
		return ""
	}
	tone := toneOf(*b)
	if lines, ok := typeLines[strings.ToUpper(strings.TrimSpace(b.Type))]; ok && c.rng.Float64() < 0.35 {
		return pick(c.rng, lines[boolIndex(tone == toneGuarded || tone == toneHostile)])
	}
	if b.Familiarity < 0.3 && len(newBondLines[tone]) > 0 && c.rng.Float64() < 0.5 {
		return pick(c.rng, newBondLines[tone])
	}
	return pick(c.rng, bondLines[tone])
}

// clause turns a memory or goal into a clause to quote inside a sentence: its first
// sentence, without final punctuation, at most maxClauseWords words, starting in lower
// case unless with a name; firstPerson retells it as the speaker ("Elizabeth walked" → "I
// walked", "Darcy slighted Elizabeth" → "Darcy slighted me").
func (c *composer) clause(text string, firstPerson bool) string {
	s := firstSentence(strings.Join(strings.Fields(text), " "))
	words := strings.Fields(s)
	if len(words) > maxClauseWords {
		cut := maxClauseWords
		for i := maxClauseWords - 1; i >= maxClauseWords/3; i-- {
			if strings.HasSuffix(words[i], ",") || strings.HasSuffix(words[i], ";") {
				cut = i + 1
				break
			}
		}
		words = words[:cut]
	}
	s = strings.TrimRight(strings.Join(words, " "), ".!?;:,…— ")
	if firstPerson {
		// A memory is a sentence of its own, which may well start with a name.
		return lowerCommonFirst(retell(s, c.req.Character.Name), c.proper)
	}
	return lowerFirst(s, c.proper)
}

// firstSentence returns s up to the end of its first sentence; a full stop after an
// honorific ("Mr.") does not end it.
func firstSentence(s string) string {
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch != '.' && ch != '!' && ch != '?' {
			continue
		}
		if i+1 < len(s) && s[i+1] != ' ' {
			continue // "3.5", "..."
		}
		if s[i] == '.' {
			start := strings.LastIndexByte(s[:i], ' ') + 1
			if honorifics[strings.ToLower(s[start:i])] {
				continue
			}
		}
		return s[:i+1]
	}
	return s
}

// retell rewrites a memory told about the speaker in the first person: the speaker's
// name (full, or first name, or surname after a title) becomes "I" at the start and "me"
// elsewhere, its possessive "my", and the verbs that must agree with "I" do.
func retell(s, name string) string {
	forms := nameForms(name)
	if len(forms) == 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i > 0 && isWordByte(s[i-1]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		matched := false
		for _, form := range forms {
			rest, ok := strings.CutPrefix(s[i:], form)
			if !ok {
				continue
			}
			if p, ok := cutPossessive(rest); ok {
				b.WriteString(ifElse(i == 0, "My", "my"))
				i = len(s) - len(p)
				matched = true
				break
			}
			if rest != "" && isWordByte(rest[0]) {
				continue
			}
			b.WriteString(ifElse(i == 0, "I", "me"))
			i += len(form)
			matched = true
			break
		}
		if !matched {
			b.WriteByte(s[i])
			i++
		}
	}
	out := b.String()
	if rest, ok := strings.CutPrefix(out, "I and "); ok {
		// "Elizabeth and Jane walked" → "Jane and I walked", "Mr. Darcy and I danced".
		words := strings.SplitN(rest, " ", 3)
		n := 1
		if honorifics[strings.ToLower(strings.TrimSuffix(words[0], "."))] {
			n = 2
		}
		if len(words) > n && isCapitalized(words[0]) {
			out = strings.Join(words[:n], " ") + " and I " + strings.Join(words[n:], " ")
		}
	}
	return agree(out)
}

// cutPossessive removes a leading "'s" (or "’s") from s.
func cutPossessive(s string) (string, bool) {
	for _, p := range []string{"'s", "\u2019s"} {
		if rest, ok := strings.CutPrefix(s, p); ok && (rest == "" || !isWordByte(rest[0])) {
			return rest, true
		}
	}
	return s, false
}

// agree fixes the verbs after "I" that a retold memory leaves in the third person.
func agree(s string) string {
	return replaceWords(s, []string{
		"I isn't", "I am not", "I is", "I am", "I hasn't", "I haven't", "I has", "I have",
		"I doesn't", "I don't", "I does", "I do",
	})
}

// nameForms returns the ways a memory may name the speaker, longest first: the full name,
// the first name, and the surname when the name starts with a title ("Mr Darcy", "Darcy").
func nameForms(name string) []string {
	words := strings.Fields(name)
	if len(words) == 0 {
		return nil
	}
	forms := []string{strings.Join(words, " ")}
	if len(words) > 1 {
		if honorifics[strings.ToLower(strings.TrimSuffix(words[0], "."))] {
			forms = append(forms, words[len(words)-1])
		} else {
			forms = append(forms, words[0])
		}
	}
	slices.SortStableFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return slices.Compact(forms)
}

// nameWords returns the words of the given names, lower-cased.
func nameWords(names ...string) map[string]bool {
	set := make(map[string]bool)
	for _, n := range names {
		for _, w := range scanWords(n) {
			set[w.lower] = true
		}
	}
	return set
}

// properWords returns the words the request writes with a capital where a sentence does
// not start, which are taken to be names and kept capitalised; and the words of the names.
func (c *composer) properWords() map[string]bool {
	set := make(map[string]bool)
	p := c.req.Character
	texts := []string{p.Name, c.req.Listener, p.Description, p.Backstory, c.req.Message, c.req.Scene}
	texts = append(append(texts, p.Goals...), c.req.Memories...)
	for _, t := range c.req.History {
		texts = append(texts, t.Speaker, t.Text)
	}
	for i, text := range texts {
		isName := i < 2
		for _, w := range scanWords(text) {
			if isCapitalized(w.text) && (isName || !w.start) && w.lower != "i" {
				set[w.text] = true
			}
		}
	}
	for _, t := range c.req.History {
		for _, w := range scanWords(t.Speaker) {
			set[w.text] = true
		}
	}
	return set
}

// Kinds of topic, by how they can be quoted.
const (
	topicNone   = iota
	topicName   // a name: "Netherfield", "Mr Darcy"
	topicPhrase // a noun phrase: "your letter", "the old house"
	topicWord   // a single word of unknown part of speech, which must be quoted
)

// topic is what a line is about.
type topic struct {
	phrase string
	kind   int
}

// findTopic returns what text is about, as the speaker would say it: the first name in
// it that is not the speaker's or the listener's (names are words in proper); else its
// most telling noun phrase, preferring possessive ones ("my letter", retold as "your
// letter") and longer nouns; else its longest word that is not a stop word or a feeling.
func findTopic(text string, exclude, proper map[string]bool) topic {
	ws := scanWords(text)
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		title := honorifics[w.lower]
		if !isCapitalized(w.text) || w.lower == "i" || strings.HasPrefix(w.lower, "i'") ||
			(w.start && !title && !proper[w.text]) || (stopWords[w.lower] && !title) {
			continue
		}
		j := i + 1
		for j < len(ws) && ws[j].joined && !ws[j].start && isCapitalized(ws[j].text) {
			j++
		}
		run := ws[i:j]
		i = j - 1
		named, excluded := false, true
		var parts []string
		for _, r := range run {
			parts = append(parts, r.text+ifElse(r.abbrev, ".", ""))
			if !honorifics[r.lower] {
				named = true
				excluded = excluded && exclude[r.lower]
			}
		}
		if named && !excluded {
			if k := j - len(run) - 1; k >= 0 && ws[k].lower == "the" && run[0].joined {
				// "the Pequod"; but when the name qualifies a noun, "the Netherfield ball",
				// or if the noun may be a verb ("the Longbourn drawing room", "the Pequod
				// sails") the name alone.
				switch next := j; {
				case next >= len(ws) || !usableNoun(ws[next]) || isCapitalized(ws[next].text):
					parts = append([]string{"the"}, parts...)
				case !hasAnySuffix(ws[next].lower, "s", "ed", "ing"):
					parts = append(append([]string{"the"}, parts...), ws[next].lower)
				}
			}
			return topic{strings.Join(parts, " "), topicName}
		}
	}

	best, bestScore := "", 0
	for i, w := range ws {
		det, ok := determiners[w.lower]
		if !ok || i+1 >= len(ws) {
			continue
		}
		n := ws[i+1]
		if !usableNoun(n) || (isDemonstrative(w.lower) && (strings.HasSuffix(n.lower, "ed") || strings.HasSuffix(n.lower, "ing"))) {
			continue
		}
		phrase := []string{det, n.lower}
		if adjectives[n.lower] {
			if i+2 >= len(ws) || !usableNoun(ws[i+2]) || adjectives[ws[i+2].lower] {
				continue // "the old" is no subject
			}
			phrase = append(phrase, ws[i+2].lower)
		}
		noun := phrase[len(phrase)-1]
		score := len(noun)
		if det != w.lower || w.lower == "our" || w.lower == "his" || w.lower == "her" || w.lower == "their" {
			score += 4 // a possessive makes it personal
		}
		if score > bestScore {
			best, bestScore = strings.Join(phrase, " "), score
		}
	}
	if best != "" {
		return topic{best, topicPhrase}
	}

	for _, w := range ws {
		if len(w.lower) < 5 || stopWords[w.lower] || exclude[w.lower] || hasAnySuffix(w.lower, "ly", "ed", "ing") {
			continue
		}
		if _, feeling := lookup(w.lower); feeling {
			continue
		}
		if len(w.lower) > len(best) {
			best = w.lower
		}
	}
	if best != "" {
		return topic{best, topicWord}
	}
	return topic{}
}

// hasAnySuffix reports whether s ends with one of the suffixes.
func hasAnySuffix(s string, suffixes ...string) bool {
	for _, suffix := range suffixes {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

// usableNoun reports whether w, following a determiner in the same clause, can be the
// noun of a subject.
func usableNoun(w word) bool {
	return w.joined && !w.start && len(w.lower) >= 3 && !stopWords[w.lower] &&
		determiners[w.lower] == "" && !strings.HasSuffix(w.lower, "ly") && !intensifiers[w.lower]
}

// isDemonstrative reports whether det can also stand alone as a pronoun ("that happened"),
// in which case a following verb is no noun.
func isDemonstrative(det string) bool {
	return det == "this" || det == "that" || det == "these" || det == "those"
}

// word is a word of a text, as scanWords finds it.
type word struct {
	text, lower string
	start       bool // it starts a sentence
	joined      bool // nothing but spaces separates it from the previous word
	abbrev      bool // it is a title followed by a full stop ("Mr.")
}

// scanWords splits text into words (letters, digits, and inner apostrophes and hyphens),
// noting where sentences start and where punctuation intervenes. Words are slices of
// text unless they hold a typographic apostrophe: this runs over every text of a scene
// at every turn.
func scanWords(text string) []word {
	out := make([]word, 0, len(text)/6+1)
	sentence, joined := true, false
	begin, curly := -1, false
	// cut ends the word in progress at end and returns it as written ("" if none).
	cut := func(end int) string {
		if begin < 0 {
			return ""
		}
		w := text[begin:end]
		if curly {
			w = strings.ReplaceAll(w, "\u2019", "'")
		}
		begin, curly = -1, false
		return w
	}
	flush := func(w string) {
		if t := strings.TrimRight(w, "'-"); t != "" {
			out = append(out, word{text: t, lower: strings.ToLower(t), start: sentence, joined: joined})
			sentence, joined = false, true
		}
	}
	for i, r := range text {
		switch {
		case letterOrDigit(r):
			if begin < 0 {
				begin = i
			}
			continue
		case (r == '\'' || r == '\u2019' || r == '-') && begin >= 0:
			curly = curly || r == '\u2019'
			continue
		}
		prev := cut(i)
		flush(prev)
		switch {
		case unicode.IsSpace(r):
		case r == '.' && honorifics[strings.ToLower(prev)] && len(out) > 0:
			// "Mr." neither ends the sentence nor parts the title from the name.
			out[len(out)-1].abbrev = true
		case r == '.' || r == '!' || r == '?':
			sentence, joined = true, false
		default:
			joined = false
		}
	}
	flush(cut(len(text)))
	return out
}

// isCapitalized reports whether w starts with an upper-case letter.
func isCapitalized(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

// isWordByte reports whether b is an ASCII letter or digit, or part of a multi-byte rune
// (taken as a letter).
func isWordByte(b byte) bool {
	return b >= utf8.RuneSelf || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// lowerFirst lowers the first letter of s, to continue a sentence with it, unless its first
// word is "I", an acronym, a title or a name (in proper).
func lowerFirst(s string, proper map[string]bool) string {
	first := firstWord(s)
	if first == "" || first == "I" || strings.HasPrefix(first, "I'") || strings.HasPrefix(first, "I\u2019") ||
		proper[first] || honorifics[strings.ToLower(first)] || (len(first) > 1 && first == strings.ToUpper(first)) {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}

// lowerCommonFirst is lowerFirst for a text that may start with a name nowhere else
// written mid-sentence ("Bingley left for London"): it lowers only a first word known to
// be common ("The", "When", "Yesterday", "Walking").
func lowerCommonFirst(s string, proper map[string]bool) string {
	lower := strings.ToLower(firstWord(s))
	if stopWords[lower] || determiners[lower] != "" || commonStarters[lower] || hasAnySuffix(lower, "ing", "ed", "ly") {
		return lowerFirst(s, proper)
	}
	return s
}

// firstWord returns the letters (and apostrophes) s starts with.
func firstWord(s string) string {
	if i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '\u2019' }); i >= 0 {
		return s[:i]
	}
	return s
}

// contract makes the contractions of a casual speaker.
func contract(s string) string { return replaceWords(s, contractions) }

// replaceWords replaces, in one pass, each whole-word occurrence of pairs[2i] with
// pairs[2i+1], trying pairs in order at each position.
func replaceWords(s string, pairs []string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if i == 0 || !isWordByte(s[i-1]) {
			replaced := false
			for p := 0; p+1 < len(pairs); p += 2 {
				old := pairs[p]
				if strings.HasPrefix(s[i:], old) && (i+len(old) == len(s) || !isWordByte(s[i+len(old)])) {
					b.WriteString(pairs[p+1])
					i += len(old)
					replaced = true
					break
				}
			}
			if replaced {
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// speakingHabits returns the habits (see styleCues) a speaking style mentions.
func speakingHabits(style string) map[string]bool {
	style = strings.ToLower(style)
	words := make(map[string]bool)
	for _, w := range scanWords(style) {
		words[w.lower] = true
	}
	habits := make(map[string]bool)
	for _, cue := range styleCues {
		for _, w := range cue.words {
			if words[w] || (strings.Contains(w, " ") && strings.Contains(style, w)) {
				habits[cue.habit] = true
			}
		}
	}
	return habits
}

// pick returns a random element of options, "" if there are none.
func pick(rng *rand.Rand, options []string) string {
	if len(options) == 0 {
		return ""
	}
	return options[rng.IntN(len(options))]
}

// boolIndex returns 1 for true and 0 for false.
func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// joinSentences returns the text of sentences, in order.
func joinSentences(sents []sentence) string {
	texts := make([]string, len(sents))
	for i, s := range sents {
		texts[i] = s.text
	}
	return strings.Join(texts, " ")
}

// fit shortens sentences to at most maxWords words (0: no bound), dropping the least
// important sentences first and, if one sentence alone is too long, cutting it off. It
// returns the text and the finish reason: "length" if anything was cut, else "stop".
func fit(sents []sentence, maxWords int) (string, string) {
	count := func() int { return len(strings.Fields(joinSentences(sents))) }
	if maxWords <= 0 || count() <= maxWords {
		return joinSentences(sents), "stop"
	}
	sents = slices.Clone(sents)
	for len(sents) > 1 && count() > maxWords {
		drop := 0
		for i, s := range sents {
			if s.priority > sents[drop].priority {
				drop = i
			}
		}
		sents = slices.Delete(sents, drop, drop+1)
	}
	text := joinSentences(sents)
	if words := strings.Fields(text); len(words) > maxWords {
		text = strings.TrimRight(strings.Join(words[:maxWords], " "), ",;:—-") + "…"
	}
	return text, "length"
}
