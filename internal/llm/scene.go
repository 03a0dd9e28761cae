package llm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// SceneRequest is what a generator knows when a character speaks in a scene.
type SceneRequest struct {
	// Speaker is who speaks: name, description, backstory, speaking style, goals, traits,
	// emotion and social energy.
	Speaker Persona
	// Role, Goal and Secret are the speaker's own per-scenario role, goal and secret ("" if
	// none). Only the speaker's own secret is ever given; it may be alluded to, acted on or
	// deflected, never stated outright.
	Role, Goal, Secret string
	// Setting, Mood and Premise describe the scenario ("Victorian Garden", "Tense", ...).
	Setting, Mood, Premise string
	// Present are the other characters present (not the speaker), in cast order.
	Present []Present
	// Addressee is the engine's suggestion of whom to address: a name in Present, or ""
	// for the room.
	Addressee string
	// Memories are the speaker's recalled memories, most relevant first: what it witnessed
	// or was told.
	Memories []string
	// Voice are the speaker's own lines quoted from its book, if it came from one (may be
	// empty; up to about 200). The offline storyteller speaks from them.
	Voice []string
	// History is the last lines of the scene, oldest first (Speaker "Narrator" for
	// narration, FromUser for the user).
	History []Turn
	// Direction is a director's instruction this line must follow ("" if none), e.g.
	// "Confess you read the letter".
	Direction string
	// Avoid are lines already said in this scene recently: the line is never one of them
	// (exact text).
	Avoid []string
	// SaidBefore, if set, reports whether the scene has had a line already, however long
	// ago: the offline storyteller drafts again rather than offer it (it sees only
	// History, and deep into a long scene many of its drafts were said long before).
	SaidBefore func(line string) bool
	// Seed makes the offline storyteller's choices deterministic given the request.
	Seed int64
	// MaxTokens bounds the length of the line, 0 for no bound (the offline storyteller
	// counts words).
	MaxTokens int
}

// Present is another character present in the scene, seen from the speaker.
type Present struct {
	// Name is the character's name.
	Name string
	// Role is the character's per-scenario role, may be "".
	Role string
	// Bond is the speaker's relationship towards this character, nil if none.
	Bond *Bond
	// BondBack is this character's relationship towards the speaker, nil if none.
	BondBack *Bond
}

// SceneDelta is a change of one directed relationship a line causes.
type SceneDelta struct {
	// From and To are character names; From is the speaker, or an observer whose feelings
	// the line touches.
	From, To string
	// Strength, Trust and Familiarity are the changes, limited by ClampDelta.
	Strength, Trust, Familiarity float64
}

// SceneLine is a character's line in a scene, with its consequences.
type SceneLine struct {
	// Text is the line as said, the concatenation of the streamed pieces.
	Text string
	// Addressee is whom the line is spoken to: a name from Present, or "" (the room).
	Addressee string
	// Emotion is the speaker's emotion as they say it, one of Emotions.
	Emotion string
	// Intensity is the strength of Emotion, 0..1.
	Intensity float64
	// Deltas are the relationship changes the line causes, each clamped by ClampDelta,
	// between the speaker and characters in Present only.
	Deltas []SceneDelta
	// Model names what wrote the line.
	Model string
	// Offline reports whether the line was composed by the offline storyteller.
	Offline bool
	// Fallback says why the offline storyteller wrote a line a model was asked for (""
	// otherwise), e.g. "invalid structured output twice" or "endpoint unavailable".
	Fallback string
	// FinishReason says why the line ended: "stop", or "length" when MaxTokens cut it.
	FinishReason string
}

// SceneWriter writes scene lines. Both *Offline and *OpenAI implement it.
type SceneWriter interface {
	// Scene writes req.Speaker's line and streams it to onDelta (which may be nil). If ctx
	// ends, it returns ctx's error (wrapped).
	Scene(ctx context.Context, req SceneRequest, onDelta func(string)) (SceneLine, error)
}

// Compile-time checks that both implementations write scenes.
var (
	_ SceneWriter = (*Offline)(nil)
	_ SceneWriter = (*OpenAI)(nil)
)

// The most one line may change a relationship: a scene moves feelings by small steps, so
// that no single line, however generated, can turn friends into enemies.
const (
	maxDeltaStrength    = 0.15
	maxDeltaTrust       = 0.1
	maxDeltaFamiliarity = 0.05
)

// ClampDelta limits a delta: strength to ±0.15, trust to ±0.1, familiarity to 0..0.05
// (one line never makes people strangers); NaN becomes 0.
func ClampDelta(d SceneDelta) SceneDelta {
	d.Strength = clampAbs(d.Strength, maxDeltaStrength)
	d.Trust = clampAbs(d.Trust, maxDeltaTrust)
	d.Familiarity = min(clamp01(d.Familiarity), maxDeltaFamiliarity)
	return d
}

// clampAbs limits x to -limit..limit, mapping NaN to 0.
func clampAbs(x, limit float64) float64 {
	if x != x {
		return 0
	}
	return max(min(x, limit), -limit)
}

// Reaction is how a character with persona p, feeling bond towards the speaker (nil if
// none), reacts to hearing heard: the emotion (one of Emotions) and its intensity 0..1.
// It is the reaction the offline storyteller gives its speakers: joy answers joy, anger
// frightens the neurotic, angers the disagreeable and saddens the rest, an enemy's
// kindness is suspect, and with nothing emotional heard the current emotion stays.
func Reaction(p Persona, bond *Bond, heard string) (string, float64) {
	c := &composer{req: Request{Character: p, Relationship: bond}, traits: p.Traits.orAverage().clamped()}
	return c.react(heard)
}

// Scene composes the speaker's line (see sceneComposer) and streams it to onDelta word by
// word, as Generate does. It fails only when ctx is done, which it checks before every
// piece, or, in theory, when every line it could write is in req.Avoid.
func (o *Offline) Scene(ctx context.Context, req SceneRequest, onDelta func(string)) (SceneLine, error) {
	line := SceneLine{Model: OfflineModel, Offline: true}
	if err := ctx.Err(); err != nil {
		return line, fmt.Errorf("llm %s: %w", OfflineModel, err)
	}
	c, err := composeScene(req)
	if err != nil {
		return line, fmt.Errorf("llm %s: %w", OfflineModel, err)
	}
	line.Addressee, line.Emotion, line.Intensity, line.Deltas = c.addressee, c.emotion, c.intensity, c.deltas
	if line.Text, err = streamText(ctx, c.text, onDelta); err != nil {
		return line, err
	}
	line.FinishReason = c.finish
	return line, nil
}

// errExhausted reports that every line the storyteller could think of is in Avoid: every
// draft of the line and every silent beat, alone or paired, which takes an Avoid list of
// well over a hundred lines, all of them its own.
var errExhausted = errors.New("every line it could write is in Avoid")

// sceneComposition is a composed scene line.
type sceneComposition struct {
	text, addressee, emotion, finish string
	intensity                        float64
	deltas                           []SceneDelta
}

// Stances: how a line treats its addressee, which decides the relationship deltas.
const (
	stanceHostile  = -2
	stanceCool     = -1
	stanceNeutral  = 0
	stanceFriendly = 1
	stanceWarm     = 2
)

// draft is one attempt at a line, before it is checked against what was said.
type draft struct {
	sents  []sentence
	stance int // towards the addressee
	// effects on observers, as deltas from them to the speaker (see deltas).
	peace  []*Present // quarrellers the speaker tries to calm
	defend *Present   // someone the speaker stands up for
	blame  *Present   // someone the speaker turns on, besides the addressee
}

// attempts is how many drafts are tried before the storyteller falls back to a silent
// beat: a draft is rejected when it repeats a line or a sentence, gives away the speaker's
// secret or says what the director forbade, and with the seeded choices a few tries
// almost always find another.
const attempts = 16

// composeScene writes the line for req.
func composeScene(req SceneRequest) (sceneComposition, error) {
	h := hashScene(req)
	src := rand.NewPCG(h, pcgStream)
	if req.Seed != 0 {
		// As in compose: the seed picks the stream and the request the position in it, so
		// that a fixed seed still gives varied lines to varied turns.
		src = rand.NewPCG(uint64(req.Seed), h)
	}
	s := newSceneComposer(req, rand.New(src))
	var text, finish string
	var d draft
	found := false
	for try := range attempts {
		d = s.draft(try)
		text, finish = fit(d.sents, req.MaxTokens)
		text = closeQuotes(text)
		if s.acceptable(text, try) {
			found = true
			break
		}
	}
	if !found {
		var ok bool
		if text, ok = s.beat(); !ok {
			return sceneComposition{}, errExhausted
		}
		d, finish = draft{stance: stanceNeutral}, "stop"
	}
	emotion, intensity := s.emotion, s.intensity
	if emotion == EmotionNeutral {
		// Nothing stirred the speaker, but the words chosen may still show a feeling.
		emotion, intensity = Emotion(text)
	}
	out := sceneComposition{text: text, emotion: emotion, intensity: intensity, finish: finish}
	if s.to != nil {
		out.addressee = s.to.Name
	}
	out.deltas = s.deltas(d, intensity)
	return out, nil
}

// closeQuotes closes a quotation that a bound on the length cut off, so that every
// opening mark has its closing one.
func closeQuotes(text string) string {
	if strings.Count(text, "\u201c") > strings.Count(text, "\u201d") {
		return text + "\u201d"
	}
	return text
}

// hashScene is a 64-bit FNV-1a hash of what in req a line depends on; the seed, MaxTokens
// and the memories are left out.
func hashScene(req SceneRequest) uint64 {
	h := fnv.New64a()
	var buf []byte
	str := func(s string) {
		buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(len(s)))
		_, _ = h.Write(append(buf, s...))
	}
	num := func(f float64) {
		_, _ = h.Write(binary.LittleEndian.AppendUint64(buf[:0], math.Float64bits(f)))
	}
	strs := func(ss []string) {
		num(float64(len(ss)))
		for _, s := range ss {
			str(s)
		}
	}
	bond := func(b *Bond) {
		if b == nil {
			str("-")
			return
		}
		str(b.Type)
		num(b.Strength)
		num(b.Trust)
		num(b.Familiarity)
	}
	p := req.Speaker
	for _, s := range []string{p.Name, p.Description, p.Backstory, p.SpeakingStyle, p.Emotion,
		req.Role, req.Goal, req.Secret, req.Setting, req.Mood, req.Premise, req.Addressee, req.Direction} {
		str(s)
	}
	for _, f := range []float64{p.Traits.Openness, p.Traits.Conscientiousness, p.Traits.Extraversion, p.Traits.Agreeableness, p.Traits.Neuroticism, p.SocialEnergy} {
		num(f)
	}
	strs(p.Goals)
	num(float64(len(req.Present)))
	for _, o := range req.Present {
		str(o.Name)
		str(o.Role)
		bond(o.Bond)
		bond(o.BondBack)
	}
	// Not the memories: recall ranks them partly by the moment each was last touched, which
	// a replayed scene does not reproduce to the microsecond, so the few recalled may come
	// in another order or differ in one; the choices of a line should not change with that
	// alone. A memory the line tells still makes it differ.
	strs(req.Voice)
	strs(req.Avoid)
	for _, t := range req.History {
		str(t.Speaker)
		str(t.Text)
		if t.FromUser {
			str("user")
		}
	}
	return h.Sum64()
}

// acceptable reports whether text may be said: it is not empty, not a line already said
// (in Avoid, or in the history, or the same words in another order), does not give away the
// speaker's secret, does not say what the director forbade, and has no sentence of three
// words or more said before, to whomever. Early tries also reject a line too close to one said
// recently, which reads as a repeat even when not word for word.
func (s *sceneComposer) acceptable(text string, try int) bool {
	t := strings.TrimSpace(text)
	if t == "" || slices.Contains(s.avoid, t) || s.req.SaidBefore != nil && s.req.SaidBefore(t) {
		return false
	}
	norm := normalizeLine(t)
	bag := contentBag(t)
	for i := range s.saidLines {
		if s.saidNorm[i] == norm {
			return false
		}
		if try < attempts/2 && len(bag) >= 3 && overlap(bag, s.saidBag(i)) >= 0.7 {
			return false
		}
	}
	// A sentence said before, even inside another line, is a repeat to the listener.
	for _, st := range splitSentences(dropStageDirections(t, "")) {
		if n := s.bareSentence(st); strings.Count(n, " ") >= 2 && s.saidSentences()[n] {
			return false
		}
	}
	if s.leaksSecret(t) {
		return false
	}
	for _, f := range s.dir.forbidden {
		if containsWord(strings.ToLower(t), f) {
			return false
		}
	}
	return true
}

// saidSentences returns the sentences of the lines remembered and to avoid (see
// bareSentence), computed once.
func (s *sceneComposer) saidSentences() map[string]bool {
	if s.sentencesSaid == nil {
		s.sentencesSaid = map[string]bool{}
		for i, l := range s.saidLines {
			if s.sameAs[i] < i {
				continue
			}
			for _, st := range splitSentences(dropStageDirections(l, "")) {
				s.sentencesSaid[s.bareSentence(st)] = true
			}
		}
	}
	return s.sentencesSaid
}

// bareSentence normalises a sentence without its names of address: the same words said
// to another name are the same sentence.
func (s *sceneComposer) bareSentence(st string) string {
	return normalizeLine(withoutAddress(st, findVocatives(st, s.proper)))
}

// normalizeLine reduces a line to its lower-case words, so that punctuation and spacing do
// not make a repeat look new.
func normalizeLine(s string) string {
	return strings.ToLower(strings.Join(tokens(s), " "))
}

// contentBag returns the set of the stems of the content words of s.
func contentBag(s string) map[string]bool {
	bag := make(map[string]bool)
	for _, w := range contentWords(s) {
		bag[w] = true
	}
	return bag
}

// overlap is the share of a's words also in b, 0 when a is empty.
func overlap(a, b map[string]bool) float64 {
	if len(a) == 0 {
		return 0
	}
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

// contentWords returns the stems of the words of s that carry meaning: no stop words, no
// words of fewer than three letters, in order, with repeats.
func contentWords(s string) []string {
	var out []string
	for _, tok := range tokens(s) {
		w := strings.ToLower(tok)
		if len(w) < 3 || stopWords[w] || honorifics[w] {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// stem strips a common English suffix, so that "letters", "lettered" and "letter" match;
// it is crude but the same on both sides of every comparison.
func stem(w string) string {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "\u2019s")
	for _, suffix := range []string{"ing", "ies", "es", "ed", "ly", "s"} {
		if s, ok := strings.CutSuffix(w, suffix); ok && len(s) >= 3 {
			if suffix == "ies" {
				return s + "y"
			}
			return s
		}
	}
	return w
}

// beat returns a line that says nothing, only shows the speaker in the scene, for when
// every line composed was one to avoid: the first of the beats, alone or two together, not
// in Avoid. It reports false when all of them are.
func (s *sceneComposer) beat() (string, bool) {
	for _, a := range silentBeats {
		if s.acceptable(a, attempts) {
			return a, true
		}
	}
	for _, a := range silentBeats {
		for _, b := range silentBeats {
			if line := a + " " + b; a != b && s.acceptable(line, attempts) {
				return line, true
			}
		}
	}
	return "", false
}

// deltas returns the relationship changes of a line of draft d, said with the given
// intensity: between the speaker and the addressee by the line's stance, and from
// observers the line touches. Amounts are a few hundredths, varied by the seed, scaled by
// intensity and clamped; familiarity always grows a little between the two who talk.
func (s *sceneComposer) deltas(d draft, intensity float64) []SceneDelta {
	var out []SceneDelta
	add := func(from, to string, strength, trust, familiarity float64) {
		if from == to || from == "" || to == "" || (strength == 0 && trust == 0 && familiarity == 0) {
			return
		}
		for i := range out {
			if out[i].From == from && out[i].To == to {
				out[i].Strength += strength
				out[i].Trust += trust
				out[i].Familiarity += familiarity
				return
			}
		}
		out = append(out, SceneDelta{From: from, To: to, Strength: strength, Trust: trust, Familiarity: familiarity})
	}
	k := 0.6 + 0.4*clamp01(intensity)
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*s.rng.Float64() }
	if a := s.to; a != nil {
		back := toneNeutral
		if a.BondBack != nil {
			back = toneOf(*a.BondBack)
		}
		var st, tr, bst, btr float64
		switch {
		case d.stance <= stanceHostile:
			st, tr = -u(0.03, 0.06)*k, -u(0.02, 0.04)*k
			bst, btr = -u(0.02, 0.05)*k, -u(0.01, 0.03)*k
		case d.stance == stanceCool:
			st, tr = -u(0.01, 0.025), -u(0, 0.015)
			bst = -u(0.005, 0.02)
		case d.stance == stanceFriendly:
			st, tr = u(0.01, 0.02), u(0, 0.015)
			if back != toneHostile {
				bst, btr = u(0.005, 0.015), u(0, 0.01)
			}
		case d.stance >= stanceWarm:
			st, tr = u(0.02, 0.04)*k, u(0.01, 0.03)*k
			if back == toneHostile || back == toneGuarded {
				btr = u(0, 0.01) // kindness thaws suspicion slowly, if at all
			} else {
				bst, btr = u(0.015, 0.035)*k, u(0.01, 0.02)*k
			}
		}
		add(s.name, a.Name, st, tr, u(0.01, 0.02))
		add(a.Name, s.name, bst, btr, u(0.005, 0.015))
	}
	for _, p := range d.peace {
		if p != s.to {
			add(p.Name, s.name, u(0.005, 0.015), u(0.01, 0.02), 0)
		} else {
			add(p.Name, s.name, 0, u(0.005, 0.015), 0)
		}
	}
	if v := d.defend; v != nil {
		add(v.Name, s.name, u(0.02, 0.03), u(0.01, 0.03), u(0, 0.01))
	}
	if b := d.blame; b != nil && b != s.to {
		add(b.Name, s.name, -u(0.01, 0.03), -u(0.01, 0.02), 0)
	}
	if s.to != nil && d.stance >= stanceWarm && (s.dir.lines != nil && slices.Equal(s.dir.lines, flirtLines) || isRomance(s.to.Bond)) {
		// A lover who watches the speaker court someone else minds; friendliness is no
		// courtship.
		for i := range s.present {
			o := &s.present[i]
			if o.Name != s.to.Name && isRomance(o.BondBack) {
				add(o.Name, s.name, -u(0.01, 0.025), -u(0.005, 0.015), 0)
			}
		}
	}
	kept := out[:0]
	for _, d := range out {
		d = ClampDelta(d)
		d.Strength, d.Trust, d.Familiarity = round3(d.Strength), round3(d.Trust), round3(d.Familiarity)
		if d.Strength != 0 || d.Trust != 0 || d.Familiarity != 0 {
			kept = append(kept, d)
		}
	}
	return kept
}

// isRomance reports whether a bond is a romance.
func isRomance(b *Bond) bool {
	return b != nil && strings.EqualFold(strings.TrimSpace(b.Type), "ROMANCE")
}

// round3 rounds x to three decimals: a delta of a few hundredths needs no more.
func round3(x float64) float64 { return math.Round(1000*x) / 1000 }
