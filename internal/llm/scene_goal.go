package llm

import (
	"slices"
	"strings"
)

// intent is what a character's goal (or else its role) has it do in a scene. A goal said
// aloud every other line ("I came here to deflect suspicion") is a template, and an absurd
// one; a goal pursued shows in what the character does and asks: a peacemaker proposes a
// way to get along, a joker makes light of what was said, an accuser asks pointed
// questions, a suspect changes the subject, a protector stands by its ward.
type intent int

// Intents.
const (
	intentNone    intent = iota
	intentPeace          // keep the peace
	intentJoke           // lighten the mood
	intentProbe          // find something out
	intentEvade          // avert suspicion, hide something
	intentProtect        // look after someone present
)

// intentCues are the word beginnings that show an intent, first match winning: a suspect
// who means to find out who did it is still a suspect first.
var intentCues = []struct {
	intent intent
	stems  []string
}{
	{intentEvade, strings.Fields("deflect suspect suspicion hide conceal evade avoid innocen alibi")},
	{intentProbe, strings.Fields("find discover prove uncover expose investigat accus detect interrogat solve unmask")},
	{intentJoke, strings.Fields("joke joker jest laugh amus cheer lighten mood clown entertain")},
	{intentPeace, strings.Fields("peace kindly kindness calm reconcil harmony mediat sooth civil quarrel")},
	{intentProtect, strings.Fields("protect guard shield defend")},
}

// intentOf returns the intent a goal or role shows, intentNone if none does.
func intentOf(text string) intent {
	ws := scanWords(text)
	for _, cue := range intentCues {
		for _, w := range ws {
			for _, st := range cue.stems {
				if strings.HasPrefix(w.lower, st) {
					return cue.intent
				}
			}
		}
	}
	return intentNone
}

// readIntent finds the speaker's intent in its goal, else in its role; a protector needs
// someone present to protect.
func (s *sceneComposer) readIntent() (intent, *Present) {
	in := intentOf(s.goal())
	if in == intentNone {
		in = intentOf(s.req.Role)
	}
	if in != intentProtect {
		return in, nil
	}
	for i := range s.present {
		if mentions(s.goal(), s.present[i].Name) {
			return in, &s.present[i]
		}
	}
	return intentNone, nil
}

// subject returns what a pursuit of the goal is about: the topic of the line heard, else
// (for an accuser or a suspect) the goal's own ("find out who took the letter" is about
// "the letter"), else the premise's; "" when none makes a subject.
func (s *sceneComposer) subject() string {
	if s.heard.topic.phrase != "" {
		return s.heard.topic.phrase
	}
	if s.intent == intentJoke {
		return "" // a joke is about what was just said, or about nothing in particular
	}
	if s.intent == intentProbe || s.intent == intentEvade {
		if t := s.subjectOf(s.goal()); t != "" {
			return t
		}
	}
	return s.subjectOf(s.req.Premise)
}

// subjectOf returns what a goal or premise is about, as a subject of talk: "the letter"
// for "A letter has gone missing"; "" if it names nothing to talk about (nor anyone
// present, whom one talks to rather than about).
func (s *sceneComposer) subjectOf(text string) string {
	exclude := nameWords(s.name)
	for _, p := range s.present {
		for w := range nameWords(p.Name) {
			exclude[w] = true
		}
	}
	t := s.topicIn(text, exclude)
	words := strings.Fields(t.phrase)
	switch {
	case t.kind != topicPhrase && t.kind != topicName || poorNoun(words) || s.isRole(t.phrase):
		return ""
	case t.kind == topicPhrase && (words[0] == "a" || words[0] == "an"):
		words[0] = "the" // "A letter has gone missing": the letter
	case t.kind == topicPhrase && (words[0] == "your" || words[0] == "my"):
		return "" // the goal's "my letter" is the speaker's own, nobody else's to ask about
	}
	return strings.Join(words, " ")
}

// other returns someone present besides the addressee for a pursuit to bring in: for a
// suspect the one it likes least, to turn eyes on; else one at random. nil if nobody.
func (s *sceneComposer) other() *Present {
	var best *Present
	for i := range s.present {
		p := &s.present[i]
		if p == s.to {
			continue
		}
		if best == nil || s.intent == intentEvade && bondStrength(p) < bondStrength(best) {
			best = p
		}
	}
	if best == nil || s.intent == intentEvade {
		return best
	}
	var all []*Present
	for i := range s.present {
		if p := &s.present[i]; p != s.to {
			all = append(all, p)
		}
	}
	return all[s.rng.IntN(len(all))]
}

// bondStrength is the strength of the speaker's bond with p, 0 without one.
func bondStrength(p *Present) float64 {
	if p.Bond == nil {
		return 0
	}
	return p.Bond.Strength
}

// intentMove pursues the speaker's goal in deeds (see intent), "" when it has no intent or
// every way of doing so was used in the lines remembered.
func (s *sceneComposer) intentMove(d *draft) string {
	var lines, first []string // first: the lines to try before lines
	switch s.intent {
	case intentPeace:
		lines = peaceLines
		if s.quarrel[0] != nil {
			d.peace = []*Present{s.quarrel[0], s.quarrel[1]}
		}
		d.stance = max(d.stance, stanceNeutral)
	case intentJoke:
		lines = jokeLines
		if s.subj != "" && s.rng.Float64() < 0.7 {
			first = jokeTopicLines // a joke about what was just said, when it gives something to joke about
		}
		// "Spoken like a true undertaker" and "as if it were a hanging matter" answer a
		// gloomy line.
		h := s.heard
		gloomy := isCold(h.emotion) || h.emotion == EmotionSadness || h.emotion == EmotionFear
		if !gloomy {
			lines = withoutSlot(lines, "{By}")
		}
		if s.to == nil || h.who != s.to || !gloomy {
			lines = withoutSlot(lines, "{to}.")
		}
	case intentProbe:
		lines = probeLines
		d.stance = min(d.stance, stanceNeutral)
	case intentEvade:
		lines = evadeLines
	case intentProtect:
		if s.ward == nil {
			return ""
		}
		if s.to == s.ward {
			d.stance = max(d.stance, stanceWarm)
			return s.fill(s.chooseFresh(protectLines[0]))
		}
		d.defend = s.ward
		lines = protectLines[1]
	default:
		return ""
	}
	o := s.other()
	if o == nil {
		lines = withoutSlot(lines, "{other}", "{Other}")
	}
	tmpl := s.chooseFresh(first)
	if tmpl == "" {
		tmpl = s.chooseFresh(lines)
	}
	if tmpl == "" {
		return ""
	}
	other := ""
	if o != nil {
		other = s.formFor(o)
		if s.intent == intentEvade && strings.Contains(strings.ToLower(tmpl), "{other}") {
			d.blame = o // eyes turned on someone else
		}
	}
	ward := ""
	if s.ward != nil {
		ward = s.formFor(s.ward)
	}
	return s.fillWith(s.replacer(map[string]string{"{other}": other, "{ward}": ward}), tmpl)
}

// intentLines returns the templates that pursue an intent.
func intentLines(in intent) []string {
	switch in {
	case intentPeace:
		return peaceLines
	case intentJoke:
		return append(slices.Clone(jokeLines), jokeTopicLines...)
	case intentProbe:
		return probeLines
	case intentEvade:
		return evadeLines
	case intentProtect:
		return append(slices.Clone(protectLines[0]), protectLines[1]...)
	}
	return nil
}

// pursuedLately reports whether one of the speaker's last two lines in the history pursued
// its goal (said the fixed words of one of its intent's templates).
func (s *sceneComposer) pursuedLately() bool {
	var frags []string
	for _, tmpl := range intentLines(s.intent) {
		for _, frag := range literalFragments(tmpl) {
			if n := normalizeLine(frag); strings.Count(n, " ") >= 2 {
				frags = append(frags, n)
			}
		}
	}
	seen := 0
	for _, t := range slices.Backward(s.req.History) {
		if t.FromUser || strings.TrimSpace(t.Speaker) != s.name {
			continue
		}
		line := normalizeLine(t.Text)
		for _, f := range frags {
			if strings.Contains(line, f) {
				return true
			}
		}
		if seen++; seen == 2 {
			break
		}
	}
	return false
}

// withoutSlot returns the templates that contain none of the given slots.
func withoutSlot(lines []string, slots ...string) []string {
	var out []string
	for _, l := range lines {
		keep := true
		for _, slot := range slots {
			if strings.Contains(l, slot) {
				keep = false
			}
		}
		if keep {
			out = append(out, l)
		}
	}
	return out
}

// goalNamed reports whether the speaker has named its goal where it can tell: in the lines
// remembered or to avoid, or in the lines it remembers saying: as the goal's own words, or
// as one of the lines that name it in other words.
func (s *sceneComposer) goalNamed() bool {
	g := normalizeLine(s.clause(s.goal(), false))
	var phrases []string
	if g != "" {
		phrases = append(phrases, g)
	}
	for _, tmpl := range goalSayLines[s.intent] {
		for _, frag := range literalFragments(tmpl) {
			if n := normalizeLine(frag); strings.Count(n, " ") >= 2 {
				phrases = append(phrases, n)
			}
		}
	}
	texts := append(append([]string{}, s.saidNorm...), s.ownLines()...)
	for _, t := range texts {
		t = normalizeLine(t)
		for _, p := range phrases {
			if strings.Contains(t, p) {
				return true
			}
		}
	}
	return false
}

// goalSayMove names the speaker's goal: in other words when it pursues it in deeds, in its
// own words (see goalMove) otherwise; never for a suspect.
func (s *sceneComposer) goalSayMove(d *draft) string {
	switch s.intent {
	case intentEvade:
		return ""
	case intentNone:
		// A goal in its own words is said once in a scene at most (see mayStateSelf);
		// after that, by what it is about.
		if s.mayStateSelf(s.clause(s.goal(), false)) {
			return s.goalMove(d)
		}
		aim := s.aim()
		if aim == "" {
			return ""
		}
		return s.fillWith(s.replacer(map[string]string{"{aim}": aim}), s.chooseFresh(goalSayLines[intentNone]))
	}
	lines := goalSayLines[s.intent]
	if s.intent == intentProtect {
		lines = goalSayLines[intentProtect][boolIndex(s.to == s.ward):][:1]
	}
	ward := ""
	if s.ward != nil {
		ward = s.formFor(s.ward)
	}
	return s.fillWith(s.replacer(map[string]string{"{ward}": ward}), s.chooseFresh(lines))
}

// aim returns what the speaker's goal is about, as it says it: "the reading of the will"
// for "keep the reading of the will on schedule", "my name" for "clear my name"; "" when
// the goal names nothing that can be talked of on its own.
func (s *sceneComposer) aim() string {
	g := strings.Join(strings.Fields(s.goal()), " ")
	exclude := nameWords(s.name)
	for _, p := range s.present {
		for w := range nameWords(p.Name) {
			exclude[w] = true
		}
	}
	t := s.topicIn(g, exclude)
	words := strings.Fields(t.phrase)
	switch {
	case t.kind == topicName:
		return t.phrase
	case t.kind != topicPhrase || poorNoun(words):
		return ""
	}
	orig := slices.Clone(words)
	switch words[0] {
	case "the":
	case "your":
		// findTopic answers the goal's "my name" as "your name"; it is the speaker's own.
		words[0], orig[0] = "my", "my"
	default:
		return "" // "her firm", "this thing": whose, or which, only the goal's author knows
	}
	phrase := strings.Join(words, " ")
	// A noun's "of" phrase comes with it: "the reading of the will".
	if i := strings.Index(strings.ToLower(g), strings.Join(orig, " ")+" of "); i >= 0 {
		rest := strings.Fields(g[i+len(strings.Join(orig, " "))+len(" of "):])
		if len(rest) >= 2 && determiners[strings.ToLower(rest[0])] == strings.ToLower(rest[0]) {
			if noun := strings.Trim(rest[1], ".,;:!?"); len(noun) >= 3 && !stopWords[strings.ToLower(noun)] {
				phrase += " of " + strings.ToLower(rest[0]) + " " + noun
			}
		}
	}
	return phrase
}

// mayStateSelf reports whether the speaker may say what it is (its role, what its
// description makes it, its goal in its own words): only in its first line of a young
// scene, where the history shows all it said, so that it says so once in a scene at most;
// and not when someone has said it already.
func (s *sceneComposer) mayStateSelf(phrase string) bool {
	if phrase == "" || len(s.req.History) > 6 || len(s.ownLines()) > 0 {
		return false
	}
	return !s.saidBefore(phrase)
}
