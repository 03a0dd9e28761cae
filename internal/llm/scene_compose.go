package llm

import (
	"cmp"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
)

// sceneComposer writes one scene line. A character that came from a book speaks from its
// own quoted lines (see voiceDraft); a hand-made one composes from its description, role,
// goals, memories, secret and relationships (see handDraft). Either way the line follows
// the director's instruction (see parseDirection), is spoken to the addressee in the way
// the speaker addresses them, and is checked against what was already said.
//
// A hand-made line is a few moves, each a sentence drawn from a phrasebook of many shapes
// and filled in from the request: a reaction to what was just heard (a retort, a hurt
// reply, suspicion of an enemy's kindness, an answer, comfort, stepping into someone
// else's quarrel, an interruption), then one or two of a recalled memory (an accusation
// when it concerns the addressee and the speaker is hostile, fond when warm), the speaker's
// goal or role, an allusion to or deflection of its secret, a remark on the place, on the
// relationship, or a question handing the word to someone. A sentence whose wording was
// used in the recent lines is not chosen again, so that no shape recurs while it is
// remembered.
type sceneComposer struct {
	*composer                   // the speaker's side: traits, habits, names, memories as clauses
	req       SceneRequest      // as given
	name      string            // the speaker's name, trimmed
	present   []Present         // the others present, trimmed, without the speaker or duplicates
	to        *Present          // the addressee, nil for the room
	toForm    string            // how the speaker addresses them ("Diana", "Mr. Knightley")
	heard     heardLine         // the line being answered
	quarrel   [2]*Present       // two others present who are at each other's throats, or nils
	emotion   string            // the speaker's reaction
	intensity float64           // its strength
	tone      string            // the speaker's tone towards the addressee (see toneOf)
	avoid     []string          // req.Avoid, trimmed
	saidLines []string          // every line in the history and in Avoid
	saidNorm  []string          // the same, normalised (see normalizeLine)
	saidPlain []string          // the same without stage directions, normalised, once needed
	saidBags  []map[string]bool // their content words (see contentBag), once needed
	// sameAs is, for each of saidLines, the index of its first occurrence: a scene's
	// engine sends its last lines both as history and to avoid, and what is derived from
	// a line is derived once.
	sameAs []int
	// sentencesSaid are their sentences, normalised (see saidSentences).
	sentencesSaid map[string]bool
	dir           direction       // the director's instruction, parsed
	secret        secretInfo      // the speaker's secret
	voice         *voiceIndex     // the speaker's book voice, nil if none
	vscores       *voiceScores    // the voice's units scored for this request, once needed
	used          map[string]int  // templates used in the line being drafted, to vary its moves
	answering     bool            // the line starts an answer to a question, and needs its body
	absent        map[string]bool // common slots (lower case) the request has nothing for
	intent        intent          // what the speaker's goal has it do (see intent)
	ward          *Present        // whom it protects, for intentProtect
	subj          string          // what pursuing the goal is about (see subject)
}

// heardLine is the line the speaker answers: the last one someone else said, without its
// stage directions.
type heardLine struct {
	text      string
	who       *Present // the character who said it, if present
	narration bool     // a narrator's beat
	toMe      bool     // it addressed the speaker by name, or answered the speaker's line
	target    *Present // someone else present it addressed, or answered coldly
	emotion   string   // its emotion (see Emotion)
	question  bool
	topic     topic // what it is about (see findTopic)
}

// newSceneComposer prepares the composition of req's line with the choices of rng.
func newSceneComposer(req SceneRequest, rng *rand.Rand) *sceneComposer {
	s := &sceneComposer{req: req, name: strings.TrimSpace(req.Speaker.Name), used: map[string]int{}}
	seen := map[string]bool{strings.ToLower(s.name): true}
	for _, p := range req.Present {
		p.Name = strings.TrimSpace(p.Name)
		if key := strings.ToLower(p.Name); p.Name != "" && !seen[key] {
			seen[key] = true
			s.present = append(s.present, p)
		}
	}
	for _, a := range req.Avoid {
		if a = strings.TrimSpace(a); a != "" {
			s.avoid = append(s.avoid, a)
			s.saidLines = append(s.saidLines, a)
		}
	}
	for _, t := range req.History {
		text := strings.TrimSpace(t.Text)
		if text == "" {
			continue
		}
		s.saidLines = append(s.saidLines, text)
	}
	first := make(map[string]int, len(s.saidLines))
	for i, l := range s.saidLines {
		j, ok := first[l]
		if !ok {
			j = i
			first[l] = i
		}
		s.sameAs = append(s.sameAs, j)
		if j < i {
			s.saidNorm = append(s.saidNorm, s.saidNorm[j])
		} else {
			s.saidNorm = append(s.saidNorm, normalizeLine(l))
		}
	}

	// Words of stage directions ("*turns away* Listen") are no names, though capitalised
	// mid-line.
	spoken := make([]Turn, len(req.History))
	for i, t := range req.History {
		t.Text = dropStageDirections(t.Text, "")
		spoken[i] = t
	}
	s.composer = &composer{
		req: Request{
			Character: req.Speaker, Memories: req.Memories, History: spoken,
			Scene: strings.TrimSpace(req.Premise + " " + req.Setting),
		},
		rng:    rng,
		traits: req.Speaker.Traits.orAverage().clamped(),
		energy: clamp01(req.Speaker.SocialEnergy),
		habits: speakingHabits(req.Speaker.SpeakingStyle),
	}
	s.composer.proper = s.sceneProperWords()
	// Names are capitalised mid-sentence, and never written in lower case: "No" after a
	// dash is not a name when "no" is a word of the same texts.
	lower := map[string]bool{}
	found := map[string]bool{}
	for _, text := range s.sceneTexts() {
		text = strings.ReplaceAll(quoteStarts(text), "\u2014", ". ")
		for _, w := range scanWords(text) {
			switch {
			case !isCapitalized(w.text):
				lower[w.text] = true
			case !w.start && w.lower != "i":
				found[w.text] = true
			}
		}
	}
	for w := range found {
		if !lower[strings.ToLower(w)] {
			s.composer.proper[w] = true
		}
	}
	for _, p := range s.present {
		for _, w := range scanWords(p.Name) {
			s.composer.proper[w.text] = true
		}
	}
	if len(req.Voice) > 0 {
		s.voice = newVoiceIndex(req.Voice, s.composer.proper)
	}

	s.heard = s.hear()
	s.quarrel = s.findQuarrel()
	s.secret = s.readSecret()
	s.dir = s.parseDirection(req.Direction)
	s.to = s.chooseAddressee()
	s.tone = toneNeutral
	if s.to != nil {
		s.composer.req.Listener = s.to.Name
		s.composer.req.Relationship = s.to.Bond
		s.toForm = s.formFor(s.to)
		if s.to.Bond != nil {
			s.tone = toneOf(*s.to.Bond)
		}
	}
	s.composer.listener = s.toForm
	s.composer.names = nameWords(s.name, s.toForm)
	if s.to != nil {
		for w := range nameWords(s.to.Name) {
			s.composer.names[w] = true
		}
	}
	s.heard.topic = s.findSceneTopic()
	s.emotion, s.intensity = s.react()
	s.intent, s.ward = s.readIntent()
	s.subj = s.subject()
	s.absent = map[string]bool{
		"{topic}": s.heard.topic.phrase == "", "{by}": s.heard.who == nil, "{hint}": s.secret.hint == "",
		"{place}": s.place() == "", "{role}": s.role() == "", "{desc}": s.descriptor() == "",
		"{subject}": s.subj == "",
	}
	return s
}

// findSceneTopic returns what the line heard is about, or when nothing was heard the
// premise, as findTopic finds it; not the people present, whom a line names to address
// them rather than to talk about them, not a bare word, which makes poor talk without
// quotation marks, not a noun of an idiom ("my head", "the way"), and not one the last
// lines have already worn out.
func (s *sceneComposer) findSceneTopic() topic {
	exclude := nameWords(s.name)
	for _, p := range s.present {
		for w := range nameWords(p.Name) {
			exclude[w] = true
		}
	}
	text := s.heard.text
	if text == "" && !s.heard.narration {
		text = s.req.Premise
	}
	t := s.topicIn(text, exclude)
	words := strings.Fields(t.phrase)
	if t.kind == topicWord || poorNoun(words) {
		return topic{}
	}
	if t.kind == topicPhrase && (words[0] == "a" || words[0] == "an") {
		return topic{} // "a simple thing" is a manner of speaking, not a subject
	}
	if t.kind == topicPhrase && (words[0] == "your" || words[0] == "my") && s.heard.who != nil && s.heard.who != s.to {
		// Someone's "my letter", answered to another, is theirs: neither "your" nor "my".
		words[0] = "the"
		t.phrase = strings.Join(words, " ")
	}
	if p := s.place(); p != "" && strings.HasSuffix(t.phrase, strings.TrimPrefix(p, "this ")) {
		return topic{} // the place is where they talk, not what about
	}
	if s.isRole(t.phrase) {
		return topic{} // "the host" is someone here, talked to rather than about
	}
	// A subject already picked up twice in the lines remembered has been talked out.
	n := 0
	for _, said := range s.saidLines[len(s.avoid):] {
		if containsWord(strings.ToLower(said), strings.ToLower(t.phrase)) {
			n++
		}
	}
	if n > 2 {
		return topic{}
	}
	return t
}

// poorNoun reports whether a topic's words end in no noun worth talking about: a noun of an
// idiom, an adjective, a verb after a demonstrative ("that means", "this seems"), or a
// verb's -ing form after a possessive ("my answering you").
func poorNoun(words []string) bool {
	if len(words) == 0 {
		return true
	}
	last := strings.ToLower(words[len(words)-1])
	if idiomNouns[last] || hasAnySuffix(last, "ible", "ous", "ful", "less") || len(last) > 6 && strings.HasSuffix(last, "able") {
		return true // "the first sensible (thing)": an adjective is no subject
	}
	switch first := strings.ToLower(words[0]); {
	case len(words) != 2:
		return false
	case first == "this" || first == "that":
		return strings.HasSuffix(last, "s") && !hasAnySuffix(last, "ss", "us", "is")
	case first == "my" || first == "your" || first == "his" || first == "her" || first == "our" || first == "their":
		return strings.HasSuffix(last, "ing")
	}
	return false
}

// idiomNouns are nouns that mostly come in idioms ("out of my head", "by the way") and make
// absurd subjects when picked up.
var idiomNouns = wordSet(`head mind heart eye eyes word words way point story nerve voice breath side fault face
	turn moment chance subject opinion idea thing version tone place manner pass matter sort lot end
	best least rest night day morning evening afternoon time year week hour minute charm tears salt
	help pardon sake business attention permission leave luck patience company piece means
	mouth tongue hand hands ear ears nose lips feet foot shoulders truth concern benefit doubt person people
	favourite favorite wrong right`)

// sceneTexts are the request's texts beyond the speaker's own, whose capitalised words
// mid-sentence are names to keep capitalised.
func (s *sceneComposer) sceneTexts() []string {
	r := s.req
	texts := []string{r.Role, r.Goal, r.Secret, r.Setting, r.Premise, r.Direction}
	texts = append(texts, r.Avoid...)
	return append(texts, r.Voice...)
}

// hear finds the line being answered: the last line of the history that someone else said
// (narration included).
func (s *sceneComposer) hear() heardLine {
	var h heardLine
	idx := -1
	for i, t := range slices.Backward(s.req.History) {
		if text := strings.TrimSpace(t.Text); text != "" && (t.FromUser || strings.TrimSpace(t.Speaker) != s.name) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return h
	}
	t := s.req.History[idx]
	h.text = strings.TrimSpace(dropStageDirections(t.Text, " "))
	by := strings.TrimSpace(t.Speaker)
	h.narration = !t.FromUser && (strings.EqualFold(by, "narrator") || by == "")
	if !t.FromUser && !h.narration {
		h.who = s.presentByName(by)
	}
	h.emotion, _ = Emotion(h.text)
	h.question = strings.HasSuffix(strings.TrimRight(h.text, "\"')* "), "?")
	vocs := findVocatives(h.text, s.proper)
	addressed := func(name string) bool {
		return slices.ContainsFunc(vocs, func(v vocative) bool { return refersTo(v.name, name) })
	}
	// Naming someone is not speaking to them ("I saw Bob and Diana"); addressing them is.
	h.toMe = addressed(s.name)
	for i := range s.present {
		if p := &s.present[i]; p != h.who && addressed(p.Name) {
			h.target = p
			break
		}
	}
	if idx > 0 && h.target == nil {
		// Otherwise a line answers the one before it.
		prev := s.req.History[idx-1]
		switch p := s.presentByName(strings.TrimSpace(prev.Speaker)); {
		case prev.FromUser:
		case strings.TrimSpace(prev.Speaker) == s.name:
			h.toMe = true
		case p != nil && p != h.who && isCold(h.emotion):
			h.target = p
		}
	}
	return h
}

// stageDirections match the actions in a line ("*turns away*"), which are not words said.
var stageDirections = regexp.MustCompile(`\*[^*]*\*`)

// dropStageDirections replaces the stage directions of s with repl. Most lines have
// none, and the scan for an asterisk is far cheaper than the regular expression.
func dropStageDirections(s, repl string) string {
	if !strings.Contains(s, "*") {
		return s
	}
	return stageDirections.ReplaceAllString(s, repl)
}

// findQuarrel returns two others present who are quarrelling: the line heard is cold and
// aimed at another present character, or the last two lines, by two others, were both
// cold.
func (s *sceneComposer) findQuarrel() [2]*Present {
	h := s.heard
	if h.who != nil && isCold(h.emotion) {
		if h.target != nil {
			return [2]*Present{h.who, h.target}
		}
		hist := s.req.History
		for i := len(hist) - 2; i >= 0 && i >= len(hist)-3; i-- {
			t := hist[i]
			if strings.TrimSpace(t.Speaker) == s.name {
				break // the speaker is in it, not looking on
			}
			prev := s.presentByName(strings.TrimSpace(t.Speaker))
			if t.FromUser || prev == nil || prev == h.who {
				continue
			}
			if e, _ := Emotion(t.Text); isCold(e) {
				return [2]*Present{prev, h.who}
			}
			break
		}
	}
	return [2]*Present{}
}

// isCold reports whether an emotion is hostile: anger or disgust.
func isCold(e string) bool { return e == EmotionAnger || e == EmotionDisgust }

// chooseAddressee returns whom the line is spoken to: the one the director's instruction
// is aimed at, else whoever just asked the speaker a question, else the engine's
// suggestion, else, when the room was suggested, whoever just spoke to the speaker.
func (s *sceneComposer) chooseAddressee() *Present {
	if s.dir.target != nil {
		return s.dir.target
	}
	if s.dir.room {
		return nil
	}
	if h := s.heard; h.who != nil && h.question && h.toMe {
		return h.who // a question put to the speaker is answered to whoever asked it
	}
	if a := strings.TrimSpace(s.req.Addressee); a != "" {
		return s.presentByName(a)
	}
	if h := s.heard; h.who != nil && h.toMe {
		return h.who
	}
	return nil
}

// presentByName finds a present character by name: the full name, or, if only one
// character answers to it, the first name or surname.
func (s *sceneComposer) presentByName(name string) *Present {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	for i := range s.present {
		if strings.EqualFold(s.present[i].Name, name) {
			return &s.present[i]
		}
	}
	var found *Present
	for i := range s.present {
		if slices.ContainsFunc(nameForms(s.present[i].Name), func(f string) bool { return strings.EqualFold(f, name) }) {
			if found != nil {
				return nil
			}
			found = &s.present[i]
		}
	}
	return found
}

// mentions reports whether text names the character called name: by its full name, first
// name, or surname after a title, as whole words.
func mentions(text, name string) bool {
	for _, form := range nameForms(name) {
		if containsWord(text, form) {
			return true
		}
	}
	return false
}

// containsWord reports whether text contains w with no letter or digit on either side.
func containsWord(text, w string) bool {
	if w == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !isWordByte(text[start-1])) && (end == len(text) || !isWordByte(text[end])) {
			return true
		}
		i = start + 1
	}
}

// formFor returns how the speaker addresses p: as the speaker's own book lines address
// them, if they do; else by first name unless they hardly know each other, by full name
// otherwise.
func (s *sceneComposer) formFor(p *Present) string {
	if s.voice != nil {
		if f := s.voice.formFor(p.Name); f != "" {
			return f
		}
	}
	if p.Bond != nil && p.Bond.Familiarity >= 0.25 {
		if first, _, ok := strings.Cut(p.Name, " "); ok && !honorifics[strings.ToLower(strings.TrimSuffix(first, "."))] {
			return first
		}
	}
	return p.Name
}

// react returns the speaker's emotion: its reaction (see Reaction) to the line heard, felt
// through its relationship with whoever said it (or with the addressee, when it was
// narration or nothing was said), unless the director asked for a feeling.
func (s *sceneComposer) react() (string, float64) {
	if s.dir.emotion != "" {
		return s.dir.emotion, round2(0.45 + 0.3*s.traits.Neuroticism)
	}
	var bond *Bond
	switch {
	case s.heard.who != nil:
		bond = s.heard.who.Bond
	case s.to != nil:
		bond = s.to.Bond
	}
	return Reaction(s.req.Speaker, bond, s.heard.text)
}

// toneTo returns the speaker's tone towards p (toneNeutral without a bond, or for nobody).
func toneTo(p *Present) string {
	if p != nil && p.Bond != nil {
		return toneOf(*p.Bond)
	}
	return toneNeutral
}

// isHostileTone reports whether a tone is guarded or hostile.
func isHostileTone(t string) bool { return t == toneHostile || t == toneGuarded }

// isWarmTone reports whether a tone is warm or friendly.
func isWarmTone(t string) bool { return t == toneWarm || t == toneFriendly }

// stanceOf is the stance a tone gives a line when nothing in it says otherwise.
func stanceOf(tone string) int {
	switch tone {
	case toneWarm:
		return stanceWarm
	case toneFriendly:
		return stanceFriendly
	case toneGuarded:
		return stanceCool
	case toneHostile:
		return stanceHostile
	}
	return stanceNeutral
}

// draft composes one attempt at the line.
func (s *sceneComposer) draft(try int) draft {
	clear(s.used)
	s.answering = false
	if s.voice != nil {
		if d, ok := s.voiceDraft(try); ok {
			return d
		}
	}
	return s.handDraft()
}

// Slots of a hand-made line, in the order they are said.
const (
	mslotBeat = iota
	mslotReact
	mslotDirection
	mslotContent
	mslotBond
	mslotHandoff
)

// handDraft composes a line of a character without a book voice.
func (s *sceneComposer) handDraft() draft {
	d := draft{stance: stanceOf(s.tone)}
	var moves []sentence
	addMove := func(slot, priority int, text string) {
		if text != "" {
			moves = append(moves, sentence{slot, priority, text})
		}
	}
	budget := s.budget()

	if s.dir.stanceSet {
		d.stance = s.dir.stance
	}
	if s.dir.acts() {
		addMove(mslotDirection, -1, s.directionText(&d))
		budget = min(budget, 2)
		if s.dir.silent {
			d.sents = moves // told to hold its tongue, the speaker only does
			return d
		}
	}
	if !s.dir.acts() || s.rng.Float64() < 0.35 {
		addMove(mslotReact, 0, s.reactMove(&d))
	}
	if s.dir.stage == "" && s.rng.Float64() < s.beatChance() {
		addMove(mslotBeat, 5, s.stageBeat(d.stance))
	}
	n := budget - len(moves)
	if s.answering {
		n = max(n, 1)
	}
	for _, m := range s.contentMoves(&d, n) {
		addMove(m.slot, m.priority, m.text)
	}
	if len(moves) == 0 {
		addMove(mslotContent, 1, s.fallbackMove())
	}
	slices.SortStableFunc(moves, func(a, b sentence) int { return cmp.Compare(a.slot, b.slot) })
	s.finishSentences(moves)
	d.sents = moves
	return d
}

// budget returns how many moves a hand-made line makes: 1 to 3, more for an extravert
// with energy, fewer for a terse speaker.
func (s *sceneComposer) budget() int {
	n := 1 + int(1.6*s.traits.Extraversion+1.2*s.energy+0.6*s.rng.Float64())
	if s.habits["terse"] {
		n--
	}
	if s.habits["verbose"] {
		n++
	}
	return min(max(n, 1), 3)
}

// beatChance is how often a line opens with a stage direction: sparingly, and never right
// after one, since a beat in every line reads like a script's mannerism.
func (s *sceneComposer) beatChance() float64 {
	hist := s.req.History
	for i := max(len(hist)-2, 0); i < len(hist); i++ {
		if strings.Contains(hist[i].Text, "*") {
			return 0
		}
	}
	return 0.08 + 0.08*s.traits.Neuroticism
}

// reactMove answers the line heard, or opens the scene: "" when every shape of the
// answer has been used already, which the rest of the line then makes up for.
func (s *sceneComposer) reactMove(d *draft) string {
	h := s.heard
	switch {
	case h.text == "":
		return s.openingMove()
	case h.narration:
		if h.topic.phrase != "" && s.rng.IntN(2) == 0 {
			if t := s.chooseFresh(narrationTopicLines); t != "" {
				return s.fill(t)
			}
		}
		return s.fill(s.chooseFresh(narrationLines))
	}
	toThem := h.who != nil && h.who == s.to
	byTone := toneTo(h.who)
	cold, warm := isCold(h.emotion), h.emotion == EmotionJoy || h.emotion == EmotionTrust
	if cold && h.who != nil && h.target != nil && isWarmTone(toneTo(h.target)) && !isWarmTone(byTone) &&
		(s.traits.Agreeableness < 0.75 || isHostileTone(byTone)) {
		// A born peacemaker calms the quarrel instead, unless the attacker is an enemy.
		return s.defendMove(d, h.target)
	}
	if s.quarrel[0] != nil {
		return s.quarrelMove(d)
	}
	if cold && h.toMe && (s.traits.Extraversion > 0.55 || s.traits.Agreeableness < 0.45) && s.rng.Float64() < 0.3 {
		// Cut in before the insult lands; the rest of the line does the answering.
		if t := s.chooseFresh(interruptions); t != "" {
			return s.fill(t)
		}
	}
	var lines []string
	switch {
	case h.question && (h.toMe || toThem):
		s.answering = true
		switch {
		case isHostileTone(byTone):
			lines = answerLines[toneHostile]
		case isWarmTone(byTone):
			lines = answerLines[toneWarm]
		default:
			lines = answerLines[toneNeutral]
		}
	case cold && h.toMe:
		switch {
		case isWarmTone(byTone) && toThem:
			lines = hurtTo
		case isWarmTone(byTone):
			lines = hurtAbout
		case toThem:
			lines = retortTo
			d.stance = min(d.stance, stanceCool)
		default:
			lines = retortAbout
		}
	case (warm || h.emotion == EmotionAnticipation) && isHostileTone(byTone):
		lines = ifLines(toThem, suspiciousTo, suspiciousAbout)
	case warm:
		lines = ifLines(toThem, acceptTo, acceptAbout)
	case h.emotion == EmotionSadness || h.emotion == EmotionFear:
		switch {
		case s.traits.Agreeableness < 0.4 && !isWarmTone(byTone):
			lines = ifLines(toThem, scoffTo, scoffAbout)
		default:
			lines = ifLines(toThem, comfortTo, comfortAbout)
			if toThem {
				d.stance = max(d.stance, stanceFriendly)
			}
		}
	case h.topic.phrase != "" && s.rng.Float64() < 0.45:
		lines = topicLinesByMood[moodOf(s.emotion)]
	case isHostileTone(byTone) || (cold && !isWarmTone(byTone)):
		lines = ifLines(toThem, disagreeTo, disagreeAbout)
	case isWarmTone(byTone):
		lines = ifLines(toThem, agreeTo, agreeAbout)
	default:
		lines = ifLines(toThem, mildTo, mildAbout)
	}
	// Every shape of that reaction used already: pick up the topic, or answer mildly,
	// rather than say the same thing twice.
	for _, family := range [][]string{lines, topicLinesByMood[moodOf(s.emotion)], ifLines(toThem, mildTo, mildAbout)} {
		if t := s.chooseFresh(family); t != "" {
			return s.fill(t)
		}
	}
	return "" // the rest of the line will have to answer
}

// ifLines returns a if cond, b otherwise.
func ifLines(cond bool, a, b []string) []string {
	if cond {
		return a
	}
	return b
}

// openingMove opens the scene, about its premise or its place.
func (s *sceneComposer) openingMove() string {
	switch {
	case s.heard.topic.phrase != "" && s.rng.Float64() < 0.6:
		return s.fill(s.chooseFresh(openingTopicLines))
	case s.place() != "" && s.rng.Float64() < 0.4:
		return s.fill(s.chooseFresh(placeLines))
	}
	return s.fill(s.chooseFresh(openingLines))
}

// quarrelMove steps into a quarrel between two others: a peacemaker calms it, someone
// hostile to one of them takes the other's side, anyone else looks on.
func (s *sceneComposer) quarrelMove(d *draft) string {
	a, b := s.quarrel[0], s.quarrel[1]
	ta, tb := toneTo(a), toneTo(b)
	switch {
	case isHostileTone(ta) != isHostileTone(tb):
		target, ally := a, b
		if isHostileTone(tb) {
			target, ally = b, a
		}
		d.blame = target
		r := s.replacer(map[string]string{"{target}": s.formFor(target), "{ally}": s.formFor(ally)})
		switch s.to {
		case target:
			d.stance = min(d.stance, stanceCool)
			return s.fillWith(r, s.chooseFresh(sideToTarget))
		case ally:
			d.stance = max(d.stance, stanceFriendly)
			return s.fillWith(r, s.chooseFresh(sideToAlly))
		}
		return s.fillWith(r, s.chooseFresh(sideToRoom))
	case s.traits.Agreeableness >= 0.5 || isWarmTone(ta) || isWarmTone(tb):
		d.peace = []*Present{a, b}
		d.stance = max(d.stance, stanceNeutral)
		r := s.replacer(map[string]string{"{q1}": s.formFor(a), "{q2}": s.formFor(b)})
		return s.fillWith(r, s.chooseFresh(interveneLines))
	}
	return s.fill(s.chooseFresh(watchQuarrelLines))
}

// defendMove stands up for someone the speaker is fond of, whom the line heard attacked.
func (s *sceneComposer) defendMove(d *draft, victim *Present) string {
	d.defend = victim
	r := s.replacer(map[string]string{"{victim}": s.formFor(victim)})
	switch s.to {
	case s.heard.who:
		d.stance = min(d.stance, stanceCool)
		return s.fillWith(r, s.chooseFresh(defendToAttacker))
	case victim:
		d.stance = max(d.stance, stanceWarm)
		return s.fillWith(r, s.chooseFresh(defendToVictim))
	}
	d.blame = s.heard.who
	return s.fillWith(r, s.chooseFresh(defendToRoom))
}

// contentMoves chooses up to n moves that give the line substance, weighted by what the
// speaker has to say and how it feels, in the order they are said.
func (s *sceneComposer) contentMoves(d *draft, n int) []sentence {
	type option struct {
		weight  float64
		slot    int
		make    func() string
		answers bool // it can answer a question
	}
	var opts []option
	if mem, ok := s.pickMemory(d.stance); ok {
		w := 2.5
		if mem.about {
			w = 4
		}
		if s.heard.question && s.heard.toMe {
			w += 2
		}
		opts = append(opts, option{w, mslotContent, func() string { return s.memoryMove(d, mem) }, true})
	}
	if s.secret.text != "" {
		switch {
		case s.secret.touched(s.heard.text):
			opts = append(opts, option{5, mslotContent, func() string { return s.fill(s.choose(s.secret.lines(deflectLines))) }, true})
		case s.rng.Float64() < 0.3:
			opts = append(opts, option{0.8, mslotContent, func() string { return s.fill(s.chooseFresh(s.secret.lines(hintLines))) }, true})
		}
	}
	if s.intent != intentNone {
		// A goal shows in what the speaker does and asks; an accuser's question answers
		// nothing.
		w := 2 + 0.6*s.traits.Conscientiousness
		if !s.pursuedLately() {
			w *= 2 // a purpose shows in most of one's lines, even a terse speaker's
		}
		opts = append(opts, option{w, mslotContent, func() string { return s.intentMove(d) }, s.intent != intentProbe})
	}
	if s.goal() != "" && s.intent != intentEvade && !s.goalNamed() {
		// Saying what one wants once makes a purpose; every turn, a refrain: the goal is
		// named only when no line in sight or remembered names it already.
		w := ifFloat(s.intent == intentNone, 0.5+0.5*s.traits.Conscientiousness, 0.3)
		opts = append(opts, option{w, mslotContent, func() string { return s.goalSayMove(d) }, true})
	}
	if s.mayStateSelf(s.role()) {
		opts = append(opts, option{0.5, mslotContent, func() string { return s.fill(s.chooseFresh(roleLines[stanceMood(d.stance)])) }, true})
	}
	if s.place() != "" {
		opts = append(opts, option{0.35, mslotContent, func() string { return s.fill(s.chooseFresh(placeLines)) }, false})
	}
	if s.answering {
		// "If you must know, I will tell you." must be followed by something.
		opts = append(opts, option{0.3, mslotContent, func() string { return s.fill(s.chooseFresh(answerBodyLines)) }, true})
	}
	if d.stance != stanceNeutral && s.mayStateSelf(s.descriptor()) {
		opts = append(opts, option{0.4, mslotContent, func() string { return s.fill(s.chooseFresh(descLines[stanceMood(d.stance)])) }, true})
	}
	if s.habits["witty"] {
		opts = append(opts, option{0.6, mslotContent, func() string { return s.fill(s.chooseFresh(quipLines)) }, false})
	}
	if s.to != nil {
		opts = append(opts, option{1.2, mslotBond, func() string { return s.bondMove() }, false})
		opts = append(opts, option{0.6 + 0.8*s.traits.Extraversion, mslotHandoff, func() string {
			return s.fill(s.chooseFresh(handoffLines[stanceMood(d.stance)]))
		}, false})
	}
	if o := s.quiet(); o != nil {
		opts = append(opts, option{0.3 + 0.5*s.traits.Extraversion, mslotHandoff, func() string {
			return s.fillWith(s.replacer(map[string]string{"{other}": s.formFor(o)}), s.chooseFresh(otherHandoffLines))
		}, false})
	}
	var out []sentence
	for len(out) < n && len(opts) > 0 {
		weight := func(o option) float64 {
			if s.answering && len(out) == 0 && !o.answers {
				return 0 // the answer to a question is a memory, a purpose or an evasion, not the view
			}
			return o.weight
		}
		total := 0.0
		for _, o := range opts {
			total += weight(o)
		}
		if total == 0 {
			break
		}
		x := s.rng.Float64() * total
		i := 0
		for ; i < len(opts)-1 && x >= weight(opts[i]); i++ {
			x -= weight(opts[i])
		}
		o := opts[i]
		opts = slices.Delete(opts, i, i+1)
		if o.slot == mslotHandoff && slices.ContainsFunc(out, func(m sentence) bool { return m.slot == mslotHandoff }) {
			continue
		}
		if text := o.make(); text != "" {
			out = append(out, sentence{o.slot, 1 + len(out), text})
		}
	}
	return out
}

// saidBefore reports whether phrase was said in the lines remembered or to avoid.
func (s *sceneComposer) saidBefore(phrase string) bool {
	norm := normalizeLine(phrase)
	if norm == "" {
		return false
	}
	for _, said := range s.saidNorm {
		if strings.Contains(said, norm) {
			return true
		}
	}
	return false
}

// ifFloat returns a if cond, b otherwise.
func ifFloat(cond bool, a, b float64) float64 {
	if cond {
		return a
	}
	return b
}

// fallbackMove is said when nothing else could be: a remark on the topic or the room.
func (s *sceneComposer) fallbackMove() string {
	if s.heard.topic.phrase != "" {
		return s.fill(s.choose(topicLinesByMood[moodOf(s.emotion)]))
	}
	return s.fill(s.choose(openingLines))
}

// stanceMood maps a stance to the moods the stance-dependent tables are keyed by.
func stanceMood(stance int) string {
	switch {
	case stance <= stanceCool:
		return moodCold
	case stance >= stanceFriendly:
		return moodWarm
	}
	return moodCalm
}

// memoryPick is the memory a line tells: a free memory as a first-person clause, or a line
// remembered (see retell).
type memoryPick struct {
	clause string     // the free memory, "" for a line remembered
	said   *retelling // the line remembered, nil for a free memory
	about  bool       // it concerns the addressee
}

// pickMemory returns one of the speaker's memories to tell: usually among the first (the
// most relevant), preferring one about the addressee, touching what was heard, or fitting
// the speaker's stance; never one the speaker has already told, nor one that would give
// the secret away, and none already told in the scene. A free memory is told as a
// first-person clause with the addressee as "you"; a line of the scene (see sceneMemory)
// only when it bears on what is being talked about and has left the history, and as
// reported speech (see retell).
// The memory of a secret, and the speaker's own lines from its book, are never told.
func (s *sceneComposer) pickMemory(stance int) (memoryPick, bool) {
	heard := contentBag(s.heard.text)
	names := nameWords(s.name)
	for _, p := range s.present {
		for w := range nameWords(p.Name) {
			names[w] = true
		}
	}
	// What the talk is about, for lines remembered to bear on: the topic of the line heard,
	// else the premise's. A line that merely shares a word with the last one ("mean",
	// "wrong") is no line to bring up again.
	focus := s.heard.topic.phrase
	if focus == "" {
		focus = s.subjectOf(s.req.Premise)
	}
	want := map[string]bool{}
	if ws := strings.Fields(focus); len(ws) > 0 {
		// The noun of "the wrong person" is what it is about, and all of a name.
		if head := ws[len(ws)-1]; isCapitalized(head) {
			want = contentBag(focus)
		} else {
			want[stem(strings.ToLower(head))] = true
		}
	}
	for w := range names {
		delete(want, stem(w))
	}
	var best memoryPick
	bestScore := 0.0
	// Each memory's share of chance comes from its own words and one draw, not from a draw
	// in the order recalled: recall may order equally relevant memories either way.
	draw := s.rng.Float64()
	for i, raw := range s.req.Memories {
		m := parseMemory(raw)
		var pick memoryPick
		var bag map[string]bool
		var e string
		switch m.kind {
		case memSecret, memBook:
			continue
		case memSaid:
			r, ok := s.retell(m, want)
			if !ok {
				continue
			}
			pick = memoryPick{said: &r, about: s.to != nil && (r.person == "you" || r.toWho == s.to)}
			bag = s.quoteBag(m.quote)
			e, _ = Emotion(m.quote)
		default:
			if m.text == "" || s.secret.overlaps(m.text) {
				continue
			}
			// Compared without names, which retelling turns into "I" and "you".
			bag = contentBag(m.text)
			for w := range names {
				delete(bag, stem(w))
			}
			told := false
			for i := range s.saidLines {
				if overlap(bag, s.saidBag(i)) >= 0.6 {
					told = true
					break
				}
			}
			if told {
				continue
			}
			pick = memoryPick{clause: m.text, about: s.to != nil && mentions(m.text, s.to.Name)}
			e, _ = Emotion(m.text)
		}
		score := 0.6*overlap(bag, heard)*float64(len(bag)) + 0.5*jitter(draw, raw)
		if pick.said == nil {
			// A free memory is chosen by how relevant recall found it; a line remembered
			// bears on the topic already (see retell), and is not ranked by its place in the
			// order recalled, which recall may swap for the equally relevant.
			score += 1 / (1 + float64(i))
		} else {
			score += 1.1
		}
		// A fond memory makes a poor weapon, a bitter one a poor gift.
		switch {
		case stance <= stanceCool && (e == EmotionJoy || e == EmotionTrust):
			score -= 0.8
		case stance >= stanceFriendly && isCold(e):
			score -= 0.5
		}
		if pick.about {
			score++
		}
		if score > bestScore {
			best, bestScore = pick, score
		}
	}
	if best.clause == "" && best.said == nil {
		return best, false
	}
	if best.said != nil {
		return best, true
	}
	raw := best.clause
	clause := s.clause(raw, true)
	if s.to != nil {
		clause = secondPerson(clause, s.to.Name)
		clause = youFirst.ReplaceAllString(clause, "you and $1")
	}
	if mentions(raw, s.name) {
		// A memory of the speaker and someone: "between them" is "between us" now.
		clause = replaceWords(clause, pairPhrases)
	}
	best.clause = clause
	return best, true
}

// jitter returns a number in [0, 1) given by a draw and a text: the same for the same
// pair, whatever else is drawn.
func jitter(draw float64, text string) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	x := draw + float64(h.Sum64()>>11)/(1<<53)
	return x - math.Floor(x)
}

// pairPhrases are what a memory of two people says of them both, and what either of them
// says instead.
var pairPhrases = []string{
	"between them", "between us", "both of them", "both of us", "the two of them", "the two of us",
	"them both", "us both", "they met", "we met", "they first met", "we first met",
}

// youFirst matches "Bob and you", which English says the other way round.
var youFirst = regexp.MustCompile(`\b((?:(?:Mr|Mrs|Miss|Ms|Dr)\.? )?[A-Z][\w'-]*(?: [A-Z][\w'-]*)?) and you\b`)

// memoryMove tells a memory, framed by the speaker's stance: as an accusation when it
// concerns the addressee and the speaker is cool to them, fondly when warm, plainly
// otherwise. A line remembered is told in reported speech (see tellRetelling).
func (s *sceneComposer) memoryMove(d *draft, mem memoryPick) string {
	if mem.about && d.stance <= stanceCool {
		d.stance = stanceHostile
	}
	if mem.said != nil {
		return s.tellRetelling(d, *mem.said)
	}
	var lines []string
	switch {
	case mem.about && d.stance <= stanceCool:
		lines = memoryAccuse
	case mem.about && d.stance >= stanceFriendly:
		lines = memoryFond
	case d.stance <= stanceCool:
		lines = memoryGrim
	default:
		lines = memoryShare
	}
	return s.fillWith(s.replacer(map[string]string{"{memory}": mem.clause}), s.choose(lines))
}

// goal returns the speaker's goal in the scene, or else its first goal, "" if none.
func (s *sceneComposer) goal() string {
	if g := strings.TrimSpace(s.req.Goal); g != "" {
		return g
	}
	for _, g := range s.req.Speaker.Goals {
		if g = strings.TrimSpace(g); g != "" {
			return g
		}
	}
	return ""
}

// goalMove states the speaker's goal, as a verb phrase ("find out who took it") or a noun
// phrase ("the truth"), with the addressee as "you".
func (s *sceneComposer) goalMove(d *draft) string {
	g := s.clause(s.goal(), false)
	if s.to != nil {
		g = secondPerson(g, s.to.Name)
	}
	first := strings.ToLower(firstWord(g))
	lines := goalVerbLines[stanceMood(d.stance)]
	switch _, det := determiners[first]; {
	case det || first == "" || strings.HasSuffix(first, "ing") || s.proper[firstWord(g)]:
		lines = goalNounLines
	case containsWord(g, "you") || containsWord(g, "your"):
		lines = goalForYouLines[stanceMood(d.stance)] // "help me protect you" would be absurd
	}
	return s.fillWith(s.replacer(map[string]string{"{goal}": g}), s.chooseFresh(lines))
}

// role returns the speaker's role as a noun phrase ("the host"), "" if none.
func (s *sceneComposer) role() string { return nounPhrase(s.req.Role, s.proper) }

// descriptor returns what the speaker is, from the start of its description ("a retired
// sea captain"), or "" when the description does not start so simply.
func (s *sceneComposer) descriptor() string {
	desc := firstSentence(strings.Join(strings.Fields(s.req.Speaker.Description), " "))
	words := strings.Fields(strings.TrimRight(desc, ".!?"))
	if len(words) < 2 {
		return ""
	}
	if a := strings.ToLower(words[0]); a != "a" && a != "an" {
		return ""
	}
	var out []string
	for i, w := range words {
		bare := strings.TrimRight(w, ",;:")
		lw := strings.ToLower(bare)
		if i > 0 && (lw == "who" || lw == "with" || lw == "whose" || lw == "that" || lw == "and" || lw == "from" || lw == "of" || lw == "in") {
			break
		}
		out = append(out, bare)
		if bare != w || i >= 5 {
			break
		}
	}
	if len(out) < 2 || len(out) > 5 {
		return ""
	}
	out[0] = strings.ToLower(out[0])
	return strings.Join(out, " ")
}

// nounPhrase makes a role into a noun phrase: "Host" → "the host", "The Duke's heir" →
// "the Duke's heir", "Diana's fiancé" as it is; names stay capitalised.
func nounPhrase(role string, proper map[string]bool) string {
	role = strings.TrimRight(strings.Join(strings.Fields(role), " "), ".!?;:, ")
	if role == "" {
		return ""
	}
	first := strings.ToLower(firstWord(role))
	if first == "the" || first == "a" || first == "an" || first == "my" {
		return lowerFirst(role, proper)
	}
	fw := firstWord(role)
	for _, suffix := range []string{"'s", "\u2019s"} {
		if base, ok := strings.CutSuffix(fw, suffix); ok && isCapitalized(base) {
			return role // "Diana's fiancé" needs no article
		}
	}
	return "the " + lowerFirst(role, proper)
}

// place returns the scene's place as a sentence names it: "this garden" for "Victorian
// Garden", or a name as it is ("Pemberley"), "" if there is no setting.
func (s *sceneComposer) place() string {
	words := strings.Fields(strings.TrimRight(s.req.Setting, ".!?;:, "))
	switch {
	case len(words) == 0:
		return ""
	case len(words) == 1 && isCapitalized(words[0]):
		return words[0]
	}
	last := words[len(words)-1]
	for _, w := range words[1:] {
		if !isCapitalized(w) && isCapitalized(last) {
			return "" // "A train to Paris": a sentence ending in a name, not a place's name
		}
	}
	last = strings.ToLower(last)
	if !isWordByte(last[0]) || len(last) < 3 {
		return ""
	}
	return "this " + last
}

// bondMove remarks on the relationship with the addressee, by its type or its tone.
func (s *sceneComposer) bondMove() string {
	b := s.to.Bond
	if b == nil {
		return s.fill(s.chooseFresh(sceneBondLines[toneStranger]))
	}
	if lines, ok := typeLines[strings.ToUpper(strings.TrimSpace(b.Type))]; ok && s.rng.Float64() < 0.3 {
		if t := s.chooseFresh(listenerToVocative(lines[boolIndex(isHostileTone(s.tone))])); t != "" {
			return s.fill(t)
		}
	}
	return s.fill(s.chooseFresh(sceneBondLines[s.tone]))
}

// listenerToVocative rewrites templates of the reply phrasebook, where the listener is
// "{listener}", for the scene phrasebook, where the addressee is "{to}".
func listenerToVocative(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.ReplaceAll(l, ", {listener}", "{to}")
	}
	return out
}

// quiet returns someone present other than the addressee who has not spoken in the lines
// remembered, to bring into the talk; nil if everyone has.
func (s *sceneComposer) quiet() *Present {
	var quiet []*Present
	for i := range s.present {
		p := &s.present[i]
		if p == s.to || p == s.heard.who {
			continue
		}
		spoke := false
		for _, t := range s.req.History[max(len(s.req.History)-6, 0):] {
			if strings.EqualFold(strings.TrimSpace(t.Speaker), p.Name) {
				spoke = true
			}
		}
		if !spoke {
			quiet = append(quiet, p)
		}
	}
	if len(quiet) == 0 {
		return nil
	}
	return quiet[s.rng.IntN(len(quiet))]
}

// stageBeat returns a stage direction that shows the speaker's feeling.
func (s *sceneComposer) stageBeat(stance int) string {
	mood := moodOf(s.emotion)
	if stance <= stanceHostile {
		mood = moodCold
	}
	return s.choose(beats[mood])
}

// choose picks one of the templates at random, preferring those whose wording was not used
// in the lines remembered nor already in this line: a fixed phrase heard twice within a
// few lines is what makes a storyteller sound like a template. When all were used, it
// picks among them anyway.
func (s *sceneComposer) choose(lines []string) string { return s.pickTemplate(lines, false) }

// chooseFresh is choose for a sentence the line can do without: "" rather than wording
// already used.
func (s *sceneComposer) chooseFresh(lines []string) string { return s.pickTemplate(lines, true) }

// pickTemplate is choose, or chooseFresh when freshOnly.
func (s *sceneComposer) pickTemplate(lines []string, freshOnly bool) string {
	if len(lines) == 0 {
		return ""
	}
	var usable, fresh []string
	for _, l := range lines {
		if !s.fillable(l) {
			continue
		}
		usable = append(usable, l)
		if s.used[l] == 0 && !s.worn(l) {
			fresh = append(fresh, l)
		}
	}
	if len(fresh) == 0 && !freshOnly {
		fresh = usable
	}
	if len(fresh) == 0 {
		return ""
	}
	l := fresh[s.rng.IntN(len(fresh))]
	s.used[l]++
	return l
}

// fillable reports whether the request has something for every common slot of tmpl.
func (s *sceneComposer) fillable(tmpl string) bool {
	for slot, absent := range s.absent {
		if absent && strings.Contains(strings.ToLower(tmpl), slot) {
			return false
		}
	}
	return true
}

// worn reports whether the fixed wording of a template (its text between the slots, and
// each sentence of it, if three words or more, with or without contractions) appears in a
// line remembered.
func (s *sceneComposer) worn(tmpl string) bool {
	var frags []string
	for _, frag := range literalFragments(tmpl) {
		frags = append(frags, frag)
		if parts := splitSentences(strings.TrimSpace(frag)); len(parts) > 1 {
			frags = append(frags, parts...)
		}
	}
	for _, frag := range frags {
		// Either form, since a casual speaker may have said it with contractions.
		for _, form := range []string{frag, contract(frag)} {
			norm := normalizeLine(form)
			if strings.Count(norm, " ") < 2 {
				continue
			}
			for _, said := range s.saidNorm {
				if strings.Contains(said, norm) {
					return true
				}
			}
		}
	}
	return false
}

// literalFragments returns the text of a template between its slots ("{topic}").
func literalFragments(tmpl string) []string {
	var out []string
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return append(out, tmpl)
		}
		out = append(out, tmpl[:i])
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return out
		}
		tmpl = tmpl[i+j+1:]
	}
}

// replacer fills in the slots of a template that every line knows, plus extra ones.
func (s *sceneComposer) replacer(extra map[string]string) *strings.Replacer {
	by := ""
	if s.heard.who != nil {
		by = s.formFor(s.heard.who)
	}
	topic := s.heard.topic.phrase
	hint := s.secret.hint
	pairs := []string{
		"{by}", by, "{By}", by, "{topic}", topic, "{Topic}", upperFirst(topic), "{role}", s.role(), "{Role}", upperFirst(s.role()),
		"{place}", s.place(), "{Place}", upperFirst(s.place()), "{hint}", hint, "{Hint}", upperFirst(hint),
		"{desc}", s.descriptor(), "{Desc}", upperFirst(s.descriptor()),
		"{subject}", s.subj, "{Subject}", upperFirst(s.subj),
	}
	for k, v := range extra {
		pairs = append(pairs, k, v, "{"+upperFirst(strings.Trim(k, "{}"))+"}", upperFirst(v))
	}
	return strings.NewReplacer(pairs...)
}

// fill fills in a template's common slots; the addressee's slot ("{to}") stays for
// finishSentences.
func (s *sceneComposer) fill(tmpl string) string { return s.fillWith(s.replacer(nil), tmpl) }

// fillWith fills in a template with r, capitalising the sentence.
func (s *sceneComposer) fillWith(r *strings.Replacer, tmpl string) string {
	if tmpl == "" {
		return ""
	}
	return upperFirst(r.Replace(tmpl))
}

// finishSentences names the addressee in at most one place, and gives the line the
// speaker's habits of speech: contractions, hesitation, exclamation.
func (s *sceneComposer) finishSentences(sents []sentence) {
	const slot = "{to}"
	named := false
	if s.to != nil {
		turning := s.heard.who != s.to
		p := 0.4
		if turning {
			p = 0.85 // turning to someone new, say whom
		}
		for _, st := range sents {
			if mentions(st.text, s.to.Name) || (s.toForm != "" && containsWord(st.text, s.toForm)) {
				named = true
			}
		}
		if !named && s.rng.Float64() < p {
			var slots []int
			directed := -1
			for i, st := range sents {
				if strings.Contains(st.text, slot) {
					slots = append(slots, i)
					if st.slot == mslotDirection {
						directed = i
					}
				}
			}
			if directed >= 0 {
				// The director's words name whom they are said to where the instruction
				// put it ("You are a fool, Bob."), whatever else the line says.
				sents[directed].text = strings.Replace(sents[directed].text, slot, ", "+s.toForm, 1)
				named = true
			} else if len(slots) > 0 && s.rng.Float64() < 0.75 {
				i := slots[s.rng.IntN(len(slots))]
				sents[i].text = strings.Replace(sents[i].text, slot, ", "+s.toForm, 1)
				named = true
			} else {
				for i, st := range sents {
					if first := firstWord(st.text); st.slot == mslotBeat || strings.HasPrefix(st.text, "*") || strings.HasPrefix(st.text, "\u201c") ||
						s.proper[first] || interjections[strings.ToLower(first)] || len(findVocatives(st.text, s.proper)) > 0 {
						// "Diana, well." would be no address, nor "Diana, “The fountain.”", nor
						// "Bob, what do you say, Alice?"
						continue
					}
					sents[i].text = s.toForm + ", " + lowerFirst(st.text, s.proper)
					named = true
					break
				}
			}
		}
	}
	for i := range sents {
		sents[i].text = strings.ReplaceAll(sents[i].text, slot, "")
		if s.habits["casual"] {
			// Words quoted are as they were said, contracted or not.
			sents[i].text = outsideQuotes(sents[i].text, sceneContract)
		}
	}
	spoken := slices.IndexFunc(sents, func(st sentence) bool { return !strings.HasPrefix(st.text, "*") })
	if spoken < 0 {
		return
	}
	if s.habits["hesitant"] && s.rng.Float64() < 0.4 && !interjections[strings.ToLower(firstWord(sents[spoken].text))] {
		sents[spoken].text = pick(s.rng, hesitations) + lowerFirst(sents[spoken].text, s.proper)
	}
	if s.habits["exclaim"] && s.rng.Float64() < 0.5 && strings.HasSuffix(sents[spoken].text, ".") {
		sents[spoken].text = strings.TrimSuffix(sents[spoken].text, ".") + "!"
	}
}

// outsideQuotes applies f to the parts of text outside curly quotation marks.
func outsideQuotes(text string, f func(string) string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, "\u201c")
		if i < 0 {
			b.WriteString(f(text))
			return b.String()
		}
		b.WriteString(f(text[:i]))
		j := strings.Index(text[i:], "\u201d")
		if j < 0 {
			b.WriteString(text[i:])
			return b.String()
		}
		j += i + len("\u201d")
		b.WriteString(text[i:j])
		text = text[j:]
	}
}

// interjections open sentences that a name of address cannot precede.
var interjections = wordSet("well oh ah hm so now yes no please")

// sceneContract makes a casual speaker's contractions (see contract), undoing those
// that only work in some Englishes: "I've to go" is "I have to go", "I'll not" is "I won't".
func sceneContract(s string) string {
	return replaceWords(contract(s), []string{
		"I've to", "I have to", "I've a", "I have a", "I've an", "I have an", "I've the", "I have the",
		"You've the", "You have the", "you've the", "you have the", "you've a", "you have a",
		"I'll not", "I won't", "You're not", "You aren't", "you're not", "you aren't",
	})
}

// secondPerson rewrites a clause about the character called name as said to them: the
// name becomes "you" and its possessive "your", and the verbs after "you" agree ("Diana
// was seen" → "you were seen"). The clause is said inside a sentence, so "you" is never
// capitalised; a template capitalises it where a sentence starts.
func secondPerson(s, name string) string {
	forms := nameForms(name)
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
				b.WriteString("your")
				i = len(s) - len(p)
				matched = true
				break
			}
			if rest != "" && isWordByte(rest[0]) {
				continue
			}
			b.WriteString("you" + youMark)
			i += len(form)
			matched = true
			break
		}
		if !matched {
			b.WriteByte(s[i])
			i++
		}
	}
	return replaceWords(agreeWithYou(b.String()), youAgreement)
}

// youMark follows a "you" that stands for someone named in the third person, until
// agreeWithYou has put the verb after it in the second person.
const youMark = "\x01"

// agreeWithYou puts the present-tense verb after each marked "you" (see youMark) in the
// second person, "you owes" → "you owe", "you tries" → "you try", "you wishes" → "you
// wish", and removes the marks. A "you" that was there already is left alone: in "I gave
// you flowers" no verb follows it.
func agreeWithYou(s string) string {
	s = youVerb.ReplaceAllStringFunc(s, func(m string) string {
		you, verb, _ := strings.Cut(m, " ")
		switch lower := strings.ToLower(verb); {
		case notVerbs[lower] || len(verb) < 4 || hasAnySuffix(lower, "ss", "us", "is", "'s"):
			return m
		case strings.HasSuffix(lower, "ies"):
			verb = verb[:len(verb)-3] + "y"
		case hasAnySuffix(lower, "shes", "ches", "xes", "sses", "oes", "zes"):
			verb = verb[:len(verb)-2]
		default:
			verb = verb[:len(verb)-1]
		}
		return you + " " + verb
	})
	return strings.ReplaceAll(s, youMark, "")
}

// youVerb matches a marked "you" and a following word ending in "s".
var youVerb = regexp.MustCompile(`\b[Yy]ou` + youMark + ` [a-z]+s\b`)

// notVerbs end in "s" but are no verbs in the third person.
var notVerbs = wordSet("always perhaps yes thus unless towards afterwards besides across nevertheless sometimes ones others news")

// youAgreement fixes the verbs after "you" that a clause about someone leaves in the third
// person.
var youAgreement = []string{
	"you isn't", "you aren't", "you wasn't", "you weren't", "you hasn't", "you haven't", "you doesn't", "you don't",
	"you is", "you are", "you was", "you were", "you has", "you have", "you does", "you do",
	"You isn't", "You aren't", "You wasn't", "You weren't", "You hasn't", "You haven't", "You doesn't", "You don't",
	"You is", "You are", "You was", "You were", "You has", "You have", "You does", "You do",
	"me and you", "you and me",
}
