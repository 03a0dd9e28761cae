package llm

import (
	"cmp"
	"strings"
)

// direction is a director's instruction, parsed into what the line must do.
type direction struct {
	text      string   // the sentence that does what was asked, with "{to}" slots; "" if none
	stage     string   // a stage direction that does it ("*leaves the room*"), "" if none
	lines     []string // a table of lines that does it (insults, compliments), nil if none
	target    *Present // whom it is aimed at, nil if nobody present in particular
	room      bool     // it is aimed at everyone
	defend    *Present // someone the line must stand up for
	stance    int      // how the line treats the addressee, if stanceSet
	stanceSet bool
	emotion   string   // the feeling it asks for, "" if none
	reveal    bool     // it asks the speaker to give its secret away
	silent    bool     // it asks the speaker to say nothing
	forbidden []string // lower-case phrases the line must not contain
}

// Verbs of instructions, by how the line carries them out.
var (
	// Telling someone something: the line says it.
	sayVerbs = wordSet("tell say inform remind assure whisper shout yell warn answer reply respond retort explain talk speak")
	// Asking someone the speaker persuades to do something: "I beg you to stay".
	urgeVerbs = wordSet("beg urge order invite challenge dare implore command encourage")
	// Saying something in the first person: "I demand an apology".
	declareVerbs = wordSet("demand insist promise swear vow suggest propose offer announce declare claim request")
	// Words that start a statement, not an instruction ("I think Bob is lying").
	notInstructions = wordSet("i you he she they we it the a an this that there his her my your our their")
	// Doing something rather than saying it: a stage direction.
	stageVerbs = wordSet(`leave exit go walk storm run flee sit stand kneel laugh sigh smile cry weep gasp
		pause hesitate nod shrug glare stare look glance point turn step pour raise slam throw hand
		give take open close read hug kiss embrace slap bow curtsy drink eat hide wave clap lean pace
		cross knock fetch show drop pick grab push pull tear burn light sing dance faint collapse
		leap jump rise wink grin frown blush bang punch kick sob shove retreat approach`)
	// Stage verbs that end the speaker's part in the talk for now; goVerbs do with "out",
	// "off" or "away" ("storm out", not "walk over to Bob").
	leaveVerbs = wordSet("leave exit flee retreat")
	goVerbs    = wordSet("go walk storm run")
	// Stage verbs that show warmth or hostility to whom they are done to.
	warmStageVerbs    = wordSet("hug kiss embrace smile wink bow curtsy approach")
	hostileStageVerbs = wordSet("slap glare punch kick push shove storm bang slam")
	// Verbs of the things a director may forbid the line to say.
	speakVerbs = wordSet("mention say reveal tell talk speak bring discuss raise admit")
	// Adjectives of "be ..." and "say something ...", by the manner they ask for.
	warmAdjectives = wordSet(`kind nice polite gentle warm friendly sweet charming civil generous tender gracious
		affectionate supportive encouraging loving romantic flattering`)
	coldAdjectives = wordSet("rude cold cruel harsh nasty sarcastic mean blunt curt dismissive hostile angry cutting insulting")
	// Words after which "you" starts a clause, and so is its subject.
	clauseStarters = wordSet(`that and but because if whether when why how what where who so or as since unless
		until though although before after while once`)
	// Adverbs of manner and the emotion they ask for.
	mannerEmotions = map[string]string{
		"angrily": EmotionAnger, "furiously": EmotionAnger, "bitterly": EmotionAnger, "coldly": EmotionAnger,
		"sharply": EmotionAnger, "icily": EmotionAnger, "scornfully": EmotionDisgust, "contemptuously": EmotionDisgust,
		"sadly": EmotionSadness, "tearfully": EmotionSadness, "quietly": EmotionSadness, "wistfully": EmotionSadness,
		"happily": EmotionJoy, "cheerfully": EmotionJoy, "gleefully": EmotionJoy, "playfully": EmotionJoy, "brightly": EmotionJoy,
		"nervously": EmotionFear, "fearfully": EmotionFear, "anxiously": EmotionFear, "timidly": EmotionFear,
		"warmly": EmotionTrust, "tenderly": EmotionTrust, "kindly": EmotionTrust, "gently": EmotionTrust, "softly": EmotionTrust,
		"eagerly": EmotionAnticipation, "hopefully": EmotionAnticipation, "excitedly": EmotionAnticipation,
		"suddenly": EmotionSurprise,
	}
)

// wordSet makes a set of the words in s.
func wordSet(s string) map[string]bool {
	set := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

// parseDirection turns a director's instruction, written to the speaker ("Confess you
// read the letter", "Ask Bob where he was", "Storm out"), into what the line must do. The
// instruction's "you" is the speaker, and becomes "I" in the line; the one it is aimed at
// becomes "you" ("Tell Bob he is a fool" → "You are a fool, Bob."). Instructions it does
// not understand still colour the line's emotion.
func (s *sceneComposer) parseDirection(raw string) direction {
	var d direction
	text := strings.TrimRight(strings.Join(strings.Fields(raw), " "), ".!;: ")
	if text == "" {
		return d
	}
	words := strings.Fields(text)
	for len(words) > 1 {
		w := strings.ToLower(strings.Trim(words[0], ",:"))
		if e, ok := mannerEmotions[w]; ok {
			d.emotion = e
		} else if w != "please" && w != "now" && w != "then" && w != "just" {
			break
		}
		words = words[1:]
	}
	negated := false
	switch strings.ToLower(words[0]) {
	case "don't", "don\u2019t", "never":
		negated, words = true, words[1:]
	case "do":
		if len(words) > 1 && strings.EqualFold(words[1], "not") {
			negated, words = true, words[2:]
		}
	}
	if len(words) == 0 {
		return d
	}
	verb := strings.ToLower(words[0])
	if !isWordByte(verb[0]) || notInstructions[verb] || isCapitalized(words[0]) && s.presentByName(words[0]) != nil {
		// Not an instruction ("Bob is furious now"): it can only colour the feeling.
		if e, _ := Emotion(text); e != EmotionNeutral && d.emotion == "" {
			d.emotion = e
		}
		return d
	}
	rest := words[1:]
	if len(rest) > 0 && verb == "bring" && strings.EqualFold(rest[0], "up") {
		rest = rest[1:]
	}
	// The one it is aimed at, right after the verb or a preposition, else anywhere in it.
	start := 0
	if len(rest) > 0 {
		switch strings.ToLower(rest[0]) {
		case "to", "at", "with", "on":
			start = 1
		}
	}
	removed := false // the target's name was taken out of rest
	if p, n := s.matchPresent(rest[min(start, len(rest)):]); p != nil {
		d.target, removed = p, true
		rest = append(append([]string{}, rest[:start]...), rest[start+n:]...)
		if start == 1 && len(rest) > 0 && !stageVerbs[verb] {
			rest = rest[1:] // "apologise to Bob for ..." → "for ..."
		}
	} else if n := roomWords(rest[min(start, len(rest)):]); n > 0 {
		d.room = true
		rest = rest[start+n:]
	} else {
		for i := range rest {
			if p, _ := s.matchPresent(rest[i:]); p != nil {
				d.target = p
				break
			}
		}
	}
	content := strings.Join(rest, " ")

	if negated {
		s.negatedDirection(&d, verb, content)
		return d
	}
	if stageVerbs[verb] && !(verb == "point" && strings.HasPrefix(content, "out")) {
		s.stageDirection(&d, verb, content, removed)
		return d
	}
	s.spokenDirection(&d, verb, content)
	if d.emotion == "" && d.text != "" {
		if e, _ := Emotion(d.text); e != EmotionNeutral {
			d.emotion = e
		}
	}
	return d
}

// roomWords returns how many of the first words name everyone present ("everyone", "the
// room", "the others"), 0 if they do not.
func roomWords(words []string) int {
	if len(words) == 0 {
		return 0
	}
	switch strings.ToLower(strings.Trim(words[0], ",")) {
	case "everyone", "everybody", "all":
		return 1
	case "the":
		if len(words) > 1 {
			switch strings.ToLower(strings.Trim(words[1], ",")) {
			case "room", "others", "group", "company", "table":
				return 2
			}
		}
	}
	return 0
}

// matchPresent finds a present character named at the start of words (by full name,
// first name or surname), returning it and how many words name it.
func (s *sceneComposer) matchPresent(words []string) (*Present, int) {
	for n := min(len(words), 3); n >= 1; n-- {
		cand := strings.TrimRight(strings.Join(words[:n], " "), ",;:.!?")
		if p := s.presentByName(cand); p != nil {
			return p, n
		}
	}
	return nil, 0
}

// negatedDirection carries out "Don't ...": a thing not to say is kept out of the line,
// anything else becomes the speaker's refusal to do it ("Don't leave" → "I refuse to
// leave.").
func (s *sceneComposer) negatedDirection(d *direction, verb, content string) {
	if speakVerbs[verb] {
		obj := content
		for _, prep := range []string{"about ", "of ", "up ", "anything about ", "a word about "} {
			obj = strings.TrimPrefix(obj, prep)
		}
		obj = strings.ToLower(strings.TrimSpace(obj))
		switch {
		case strings.Contains(obj, "secret"):
			if s.secret.hint != "" {
				d.forbidden = append(d.forbidden, strings.ToLower(s.secret.hint))
			}
		case obj != "" && obj != "anything" && obj != "it":
			// The director's "your letter" is the speaker's "my letter".
			d.forbidden = append(d.forbidden, obj, strings.ToLower(s.firstPerson(obj, d.target)))
		}
		return
	}
	d.text = "I refuse to " + strings.TrimSpace(verb+" "+s.firstPerson(content, d.target)) + "{to}."
	d.stance, d.stanceSet = stanceCool, true
}

// stageDirection carries out an instruction to do something: a stage direction in the
// third person ("*storms out*"), and a parting line if it takes the speaker away. When the
// target's name was taken out of content, it is put back as the speaker names them.
func (s *sceneComposer) stageDirection(d *direction, verb, content string, removed bool) {
	obj := content
	if removed {
		obj = strings.TrimSpace(s.formFor(d.target) + " " + obj)
		if start := strings.ToLower(firstWord(content)); start == "to" || start == "at" || start == "with" || start == "on" {
			obj = strings.TrimSpace(start + " " + s.formFor(d.target) + " " + strings.TrimSpace(content[len(start):]))
		}
	}
	obj = replaceWords(obj, []string{
		"yourself", "themselves", "your", "their", "you", "them", "Your", "Their", "You", "They",
	})
	d.stage = "*" + strings.TrimSpace(thirdPersonVerb(verb)+" "+obj) + "*"
	away := strings.ToLower(firstWord(content))
	switch {
	case leaveVerbs[verb] || goVerbs[verb] && (away == "out" || away == "off" || away == "away" || away == ""):
		d.lines = partingLines
		d.stance, d.stanceSet = stanceCool, true
	case warmStageVerbs[verb]:
		d.stance, d.stanceSet = stanceWarm, true
	case hostileStageVerbs[verb]:
		d.stance, d.stanceSet = stanceHostile, true
		if d.emotion == "" {
			d.emotion = EmotionAnger
		}
	}
}

// thirdPersonVerb conjugates a verb for a stage direction: "storm" → "storms", "cross" →
// "crosses", "cry" → "cries", "go" → "goes".
func thirdPersonVerb(v string) string {
	switch {
	case v == "be":
		return "is"
	case v == "have":
		return "has"
	case hasAnySuffix(v, "s", "sh", "ch", "x", "z", "o"):
		return v + "es"
	case strings.HasSuffix(v, "y") && len(v) > 1 && !strings.ContainsRune("aeiou", rune(v[len(v)-2])):
		return v[:len(v)-1] + "ies"
	}
	return v + "s"
}

// spokenDirection carries out an instruction to say something.
func (s *sceneComposer) spokenDirection(d *direction, verb, content string) {
	c := s.firstPerson(content, d.target)
	lc := strings.ToLower(c)
	cut := func(prefix string) (string, bool) {
		if strings.HasPrefix(lc, prefix) {
			return strings.TrimSpace(c[len(prefix):]), true
		}
		return "", false
	}
	set := func(stance int, emotion string) {
		d.stance, d.stanceSet = stance, true
		if d.emotion == "" {
			d.emotion = emotion
		}
	}
	if s.secret.text != "" && asksForSecret(verb, lc) {
		d.reveal = true
		d.text = pick(s.rng, revealLines)
		return
	}
	switch {
	case verb == "say" && (lc == "nothing" || strings.HasPrefix(lc, "nothing ")):
		d.stage, d.silent = "*says nothing*", true
		return
	case (verb == "say" || verb == "be") && strings.HasPrefix(lc, "something "), verb == "be":
		adj := strings.ToLower(firstWord(strings.TrimPrefix(lc, "something ")))
		switch {
		case warmAdjectives[adj]:
			d.lines = complimentLines
			set(stanceWarm, EmotionTrust)
		case coldAdjectives[adj]:
			d.lines = insultLines
			set(stanceHostile, EmotionAnger)
		case adj == "funny" || adj == "witty" || adj == "clever":
			d.lines = quipLines
			set(stanceFriendly, EmotionJoy)
		case adj == "quiet" || adj == "silent":
			d.stage, d.silent = "*says nothing*", true
		case verb == "be" && c != "":
			d.text = "I will try to be " + c + "."
		}
		return
	}
	switch {
	case sayVerbs[verb]:
		s.sayDirection(d, verb, c, cut)
	case verb == "ask" || verb == "question" || verb == "interrogate" || verb == "press":
		switch about, ok := cut("about "); {
		case ok:
			d.text = "What can you tell me about " + about + "{to}?"
		case strings.HasPrefix(lc, "whether ") || strings.HasPrefix(lc, "if "):
			d.text = "Tell me honestly{to}: " + strings.SplitN(c, " ", 2)[1] + "?"
		case strings.HasPrefix(lc, "to "):
			d.text = "Will you " + c[3:] + "{to}?"
		case strings.HasPrefix(lc, "for "):
			d.text = "I am asking you " + c + "{to}."
		case c != "" && clauseStarters[strings.ToLower(firstWord(c))]:
			d.text = "Tell me " + c + "{to}."
		default:
			d.lines = interrogateLines
		}
		if verb != "ask" {
			set(stanceCool, EmotionAnticipation)
		}
	case verb == "accuse" || verb == "blame":
		prep := ifElse(verb == "accuse", "of ", "for ")
		if x, ok := cut(prep); ok && d.target != nil {
			d.text = "I " + verb + " you " + prep + x + "{to}."
		} else if ok {
			d.text = "I " + verb + " someone in this room " + prep + x + "."
		} else {
			d.text = "I know it was you{to}. Do not bother denying it."
		}
		set(stanceHostile, EmotionAnger)
	case verb == "thank":
		if x, ok := cut("for "); ok {
			d.text = "Thank you for " + x + "{to}."
		} else {
			d.text = "Thank you{to}. Truly."
		}
		set(stanceWarm, EmotionTrust)
	case verb == "apologise" || verb == "apologize":
		if x, ok := cut("for "); ok {
			d.text = "I am sorry for " + x + "{to}."
		} else {
			d.text = "I am sorry{to}. I should not have said what I did."
		}
		set(stanceFriendly, EmotionSadness)
	case verb == "forgive":
		if x, ok := cut("for "); ok {
			d.text = "I forgive you for " + x + "{to}."
		} else {
			d.text = "I forgive you{to}."
		}
		set(stanceWarm, EmotionTrust)
	case verb == "threaten":
		d.text = "Careful{to}. Cross me again and you will regret it."
		set(stanceHostile, EmotionAnger)
	case verb == "insult" || verb == "mock" || verb == "taunt" || verb == "scorn" || verb == "ridicule" || verb == "belittle" || verb == "snub":
		d.lines = insultLines
		set(stanceHostile, EmotionDisgust)
	case verb == "tease":
		d.lines = teaseLines
		set(stanceFriendly, EmotionJoy)
	case verb == "compliment" || verb == "praise" || verb == "flatter" || verb == "admire":
		d.lines = complimentLines
		set(stanceWarm, EmotionJoy)
	case verb == "flirt" || verb == "charm" || verb == "woo":
		d.lines = flirtLines
		set(stanceWarm, EmotionJoy)
	case verb == "comfort" || verb == "reassure" || verb == "console" || verb == "calm" || verb == "soothe":
		if x, ok := cut("that "); ok {
			d.text = "I promise you{to}, " + x + "."
		} else {
			d.lines = comfortTo
		}
		set(stanceWarm, EmotionTrust)
	case verb == "defend" || verb == "protect" || verb == "support":
		d.defend = d.target
		if d.target != nil {
			// The defence is said to whoever attacked, or to the room; not to the one defended.
			d.target = nil
			d.lines = defendToAttacker
		} else {
			d.text = "I will not stand by and say nothing."
		}
	case verb == "refuse":
		switch x, ok := cut("to "); {
		case ok:
			d.text = "No. I will not " + x + "{to}."
		case c != "":
			d.text = "No{to}. I refuse " + c + "."
		default:
			d.text = "No{to}. I refuse."
		}
		set(stanceCool, "")
	case verb == "agree":
		switch x, ok := cut("to "); {
		case ok:
			d.text = "Very well{to}. I will " + x + "."
		case strings.HasPrefix(lc, "that "):
			d.text = "I agree{to}: " + c[5:] + "."
		default:
			d.text = "Very well{to}. I agree."
		}
		set(stanceFriendly, "")
	case verb == "deny":
		switch x, ok := cut("that "); {
		case ok:
			d.text = "It is not true that " + x + "{to}."
		case c != "":
			d.text = "I deny " + c + "{to}."
		default:
			d.text = "I deny it{to}."
		}
	case verb == "confess" || verb == "admit":
		x, _ := cut("that ")
		switch {
		case x == "" && c == "":
			d.text = "I have something to confess{to}."
		case x == "" && determiners[strings.ToLower(firstWord(c))] != "":
			d.text = "I " + verb + " " + c + "{to}."
		case verb == "admit":
			d.text = "All right, I admit it: " + cmp.Or(x, c) + "."
		default:
			d.text = "I have to confess something{to}: " + cmp.Or(x, c) + "."
		}
	case verb == "reveal" || verb == "disclose" || verb == "expose":
		switch x, ok := cut("that "); {
		case verb == "expose" && d.target != nil:
			d.text = "It is time everyone knew the truth about you{to}."
			set(stanceHostile, EmotionAnger)
		case ok:
			d.text = "There is something you should all know: " + x + "."
		default:
			d.text = "There is something you should all know about " + c + "."
		}
	case verb == "hint":
		switch x, ok := cut("that "); {
		case ok:
			d.text = "Perhaps " + x + ". Perhaps not."
		default:
			at, _ := cut("at ")
			d.text = "I will say only this: there is more to " + cmp.Or(at, c, "all this") + " than you think."
		}
	case verb == "lie":
		if x, ok := cut("about "); ok {
			d.text = upperFirst(x) + "? I know nothing about " + x + "."
		} else {
			d.text = "I have no idea what you mean{to}."
		}
	case verb == "point":
		d.text = "Let me " + strings.TrimSpace(verb+" "+c) + "{to}."
	case verb == "mention" || verb == "raise" || verb == "bring":
		d.text = "There is something nobody has mentioned yet: " + c + "."
	case verb == "change":
		d.lines = changeSubjectLines
	case verb == "stay" || verb == "remain" || verb == "keep":
		d.stage, d.silent = "*says nothing*", true
	case urgeVerbs[verb] && d.target != nil && strings.HasPrefix(lc, "to "):
		d.text = "I " + verb + " you " + c + "{to}."
		set(stanceFriendly, "")
	case declareVerbs[verb] || urgeVerbs[verb]:
		switch verb {
		case "announce":
			d.text = "I have an announcement to make: " + strings.TrimPrefix(c, "that ") + "."
		case "demand":
			d.text = "I demand " + c + "{to}."
			set(stanceCool, EmotionAnger)
		default:
			d.text = "I " + verb + " " + c + "{to}."
		}
	default:
		// An instruction in words it does not know: say it in the first person, which
		// fits most performative verbs ("I propose a toast", "I object").
		d.text = strings.TrimSpace("I "+verb+" "+c) + "{to}."
	}
	d.text = strings.ReplaceAll(d.text, " {to}", "{to}")
}

// sayDirection carries out "Tell Bob (that) ...", "Remind Bob ...", "Warn Bob ...".
func (s *sceneComposer) sayDirection(d *direction, verb, c string, cut func(string) (string, bool)) {
	lc := strings.ToLower(c)
	if x, ok := cut("to "); ok && verb != "explain" && verb != "reply" && verb != "answer" && verb != "respond" {
		d.text = upperFirst(x) + "{to}." // "Tell Bob to mind his own business" → "Mind your own business, Bob."
		d.stance, d.stanceSet = stanceCool, true
		return
	}
	if x, ok := cut("about "); ok {
		d.text = "Let me tell you about " + x + "{to}."
		return
	}
	clause, that := cut("that ")
	if !that {
		clause = c
	}
	if clause == "" {
		d.lines = mildTo
		return
	}
	if !that && verb != "explain" && determiners[strings.ToLower(firstWord(lc))] != "" && !startsClause(clause) {
		d.text = "Let me tell you " + clause + "{to}." // "Tell Bob the news"
		return
	}
	switch verb {
	case "remind":
		d.text = "Remember{to}: " + clause + "."
	case "warn":
		d.text = "Be careful{to}. " + upperFirst(clause) + "."
	case "assure":
		d.text = "I assure you{to}, " + clause + "."
	case "whisper":
		d.stage = "*lowers voice*"
		d.text = upperFirst(clause) + "{to}."
	case "shout", "yell":
		d.text = upperFirst(clause) + "{to}!"
	case "explain":
		if clauseStarters[strings.ToLower(firstWord(clause))] {
			d.text = "Let me explain " + clause + "{to}."
		} else {
			d.text = "Let me explain{to}: " + clause + "."
		}
	default:
		d.text = upperFirst(clause) + "{to}."
	}
}

// startsClause reports whether text reads as a clause with a subject and verb rather than
// a noun phrase ("the map is gone" rather than "the news"): a word ending like a verb,
// or a common verb, follows within its first few words.
func startsClause(text string) bool {
	ws := strings.Fields(strings.ToLower(text))
	for i := 1; i < len(ws) && i < 5; i++ {
		switch w := strings.Trim(ws[i], ",.;:!?"); {
		case w == "is", w == "was", w == "are", w == "were", w == "has", w == "had", w == "have",
			w == "will", w == "would", w == "can", w == "could", w == "must", w == "did", w == "does":
			return true
		case strings.HasSuffix(w, "ed"):
			return true
		}
	}
	return false
}

// asksForSecret reports whether an instruction asks the speaker to give away its secret:
// to confess, admit, reveal or tell "your secret", "the truth", "everything", "what you
// did".
func asksForSecret(verb, content string) bool {
	switch verb {
	case "confess", "admit", "reveal", "tell", "disclose", "say":
	default:
		return false
	}
	if content == "" && (verb == "confess" || verb == "admit") {
		return true
	}
	for _, cue := range []string{"my secret", "the secret", "the truth", "everything", "what i did", "what i know", "what i have done", "all of it"} {
		if strings.Contains(content, cue) {
			return true
		}
	}
	return false
}

// revealLines give the speaker's secret away when the director asks for it; "{secret}"
// is the secret retold in the first person.
var revealLines = []string{
	"All right. The truth is this: {secret}.",
	"I cannot keep it in any longer{to}. {Secret}.",
	"You may as well all know. {Secret}.",
}

// firstPerson rewrites an instruction's words as the speaker says them: the director's
// "you" is the speaker ("I" as a subject, "me" otherwise, "my", "myself"), and the one the
// instruction is aimed at becomes "you" (their name, and the pronouns that follow it when
// nobody else present is named).
func (s *sceneComposer) firstPerson(text string, target *Present) string {
	words := strings.Fields(text)
	for i, w := range words {
		core := strings.TrimRight(w, ",.;:!?")
		tail := w[len(core):]
		prev := ""
		if i > 0 {
			prev = strings.ToLower(strings.TrimRight(words[i-1], ",.;:!?"))
		}
		var out string
		switch strings.ToLower(core) {
		case "you":
			if i == 0 || clauseStarters[prev] || strings.HasSuffix(words[i-1], ",") {
				out = "I"
			} else {
				out = "me"
			}
		case "your":
			out = "my"
		case "yours":
			out = "mine"
		case "yourself":
			out = "myself"
		case "you're", "you\u2019re":
			out = "I'm"
		case "you've", "you\u2019ve":
			out = "I've"
		case "you'll", "you\u2019ll":
			out = "I'll"
		case "you'd", "you\u2019d":
			out = "I'd"
		default:
			continue
		}
		words[i] = out + tail
	}
	out := agree(replaceWords(strings.Join(words, " "), []string{
		"I are", "I am", "I were", "I was", "I aren't", "I am not", "I weren't", "I wasn't",
	}))
	if target == nil {
		return out
	}
	out = secondPerson(out, target.Name)
	others := false
	for i := range s.present {
		if &s.present[i] != target && mentions(out, s.present[i].Name) {
			others = true
		}
	}
	if others {
		return out
	}
	words = strings.Fields(out)
	for i, w := range words {
		core := strings.TrimRight(w, ",.;:!?")
		tail := w[len(core):]
		next := ""
		if i+1 < len(words) {
			next = strings.ToLower(strings.TrimRight(words[i+1], ",.;:!?"))
		}
		var rep string
		switch strings.ToLower(core) {
		case "he", "she":
			rep = "you" + youMark
		case "him":
			rep = "you"
		case "his":
			rep = ifElse(next == "" || tail != "", "yours", "your")
		case "her":
			// "her letter" is hers; "tell her" is her.
			rep = ifElse(next != "" && tail == "" && !stopWords[next] && !clauseStarters[next], "your", "you")
		case "hers":
			rep = "yours"
		case "himself", "herself":
			rep = "yourself"
		default:
			continue
		}
		words[i] = rep + tail
	}
	return replaceWords(agreeWithYou(strings.Join(words, " ")), youAgreement)
}

// directionText returns the sentence of a hand-made line that carries out the director's
// instruction, and marks the draft with whom it defends.
func (s *sceneComposer) directionText(d *draft) string {
	dir := s.dir
	if dir.defend != nil {
		d.defend = dir.defend
	}
	var parts []string
	if dir.stage != "" {
		parts = append(parts, dir.stage)
	}
	text := dir.text
	if dir.reveal {
		secret := s.clause(s.secret.text, true)
		if s.to != nil {
			secret = secondPerson(secret, s.to.Name)
		}
		text = strings.NewReplacer("{secret}", secret, "{Secret}", upperFirst(secret)).Replace(text)
	}
	if text == "" && len(dir.lines) > 0 {
		text = s.choose(dir.lines)
	}
	if text != "" {
		victim := ""
		if dir.defend != nil {
			victim = s.formFor(dir.defend)
		}
		parts = append(parts, s.fillWith(s.replacer(map[string]string{"{victim}": victim}), text))
	}
	return strings.Join(parts, " ")
}

// secretInfo is the speaker's secret, and what may be said of it.
type secretInfo struct {
	text  string
	hint  string          // a noun phrase of it to allude to ("the will"), "" if none
	words map[string]bool // the stems of its content words, names left out
	grams map[string]bool // its four-word sequences, lower-cased, which the line never says
}

// readSecret prepares the speaker's secret.
func (s *sceneComposer) readSecret() secretInfo {
	text := strings.Join(strings.Fields(s.req.Secret), " ")
	if text == "" {
		return secretInfo{}
	}
	sec := secretInfo{text: text, words: contentBag(text), grams: ngrams(text, 4)}
	exclude := nameWords(s.name)
	for _, p := range s.present {
		for w := range nameWords(p.Name) {
			exclude[w] = true
		}
	}
	for w := range exclude {
		delete(sec.words, stem(w))
	}
	if t := s.topicIn(text, exclude); t.kind == topicPhrase || t.kind == topicName {
		// findTopic answers someone else's words ("my letter" → "your letter"); these are
		// the speaker's own.
		sec.hint = t.phrase
		if rest, ok := strings.CutPrefix(t.phrase, "your "); ok {
			sec.hint = "my " + rest
		}
	}
	return sec
}

// touched reports whether heard comes near the secret: it shares one of its content
// words.
func (sec secretInfo) touched(heard string) bool {
	if sec.text == "" {
		return false
	}
	for w := range contentBag(heard) {
		if len(w) >= 4 && sec.words[w] {
			return true
		}
	}
	return false
}

// overlaps reports whether a memory would give the secret away if told: it shares a
// four-word sequence with it, or most of its content words.
func (sec secretInfo) overlaps(memory string) bool {
	if sec.text == "" {
		return false
	}
	for g := range ngrams(memory, 4) {
		if sec.grams[g] {
			return true
		}
	}
	return len(sec.words) >= 2 && overlap(sec.words, contentBag(memory)) >= 0.6
}

// lines returns the templates usable for the secret: those alluding to it by its hint only
// when it has one.
func (sec secretInfo) lines(tmpls []string) []string {
	if sec.hint != "" {
		return tmpls
	}
	var out []string
	for _, t := range tmpls {
		if !strings.Contains(t, "{hint}") && !strings.Contains(t, "{Hint}") {
			out = append(out, t)
		}
	}
	return out
}

// leaksSecret reports whether a line says the speaker's secret: four words of it in a row
// (or all of a shorter one), unless the director asked for the secret, or the words are
// the director's own.
func (s *sceneComposer) leaksSecret(line string) bool {
	sec := s.secret
	if sec.text == "" || s.dir.reveal {
		return false
	}
	if len(tokens(sec.text)) < 4 {
		return strings.Contains(normalizeLine(line), normalizeLine(sec.text)) && len(tokens(sec.text)) > 1
	}
	allowed := ngrams(s.req.Direction, 4)
	for g := range ngrams(line, 4) {
		if sec.grams[g] && !allowed[g] {
			return true
		}
	}
	return false
}

// ngrams returns the n-word sequences of text, lower-cased.
func ngrams(text string, n int) map[string]bool {
	ws := tokens(strings.ToLower(text))
	set := make(map[string]bool)
	for i := 0; i+n <= len(ws); i++ {
		set[strings.Join(ws[i:i+n], " ")] = true
	}
	return set
}
