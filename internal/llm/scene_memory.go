package llm

import (
	"regexp"
	"strings"
)

// Kinds of recalled memory, by the form the scene engine (or a book's analysis) gives it.
const (
	memFree   = iota // free text: made by hand, from a book, or a narrator's beat
	memSaid          // a line of a scene: `Bob said to Diana: “...”`, `I said to everyone: “...”`
	memSecret        // `A secret I keep in "The letter": ...`, which is never told
	memBook          // `At Netherfield, I told Jane: “...”`, a line of the speaker's own from its book
)

// bookHead is how casting starts the memory of a character's own line from its book:
// where (if known), then "I told Jane[, in front of ...]", "I said, in front of ...", "I
// remember saying", or the older bare "I said".
var bookHead = regexp.MustCompile(`^(?:(?:At|In) [^,:\x{201c}\x{201d}]+, )?I (?:said$|said, in front of |told |remember saying$)`)

// sceneMemory is a recalled memory, parsed: a line of the scene is a record of who said
// what to whom, which told as it stands ("Bob said to Diana: “Diana, the...") reads as a
// transcript, not as someone remembering.
type sceneMemory struct {
	text  string // as recalled, trimmed
	kind  int
	by    string // who said the line: a name, "" when the speaker did
	to    string // whom it was said to: a name, "" when to everyone or to the speaker
	toMe  bool   // it was said to the speaker
	quote string // what was said, without quotation marks, stage directions or a clipped end
}

// secretMemoryPrefix starts the memory the engine gives a secret's holder of its secret.
const secretMemoryPrefix = "A secret I keep in "

// parseMemory reads a memory in the forms the scene engine writes (see sceneMemory), or
// takes it as free text.
func parseMemory(text string) sceneMemory {
	text = strings.TrimSpace(text)
	m := sceneMemory{text: text}
	if strings.HasPrefix(text, secretMemoryPrefix) {
		m.kind = memSecret
		return m
	}
	head, quote, ok := strings.Cut(text, ": \u201c")
	if !ok {
		return m
	}
	quote = strings.TrimSuffix(strings.TrimSpace(quote), "\u201d")
	if clipped, ok := strings.CutSuffix(quote, "\u2026"); ok {
		// The engine clips a long line; its last sentence is then a piece of one, and a
		// piece of a sentence quoted reads as a misquotation.
		quote = clipped
		if sents := splitSentences(clipped); len(sents) > 1 {
			quote = strings.Join(sents[:len(sents)-1], " ")
		}
	}
	m.quote = strings.Join(strings.Fields(dropStageDirections(quote, " ")), " ")
	if bookHead.MatchString(head) {
		m.kind = memBook
		return m
	}
	by, to, ok := strings.Cut(head, " said to ")
	by, to = strings.TrimSpace(by), strings.TrimSpace(to)
	if !ok || by == "" || to == "" || strings.ContainsAny(head, ".!?\u201c\u201d") {
		return sceneMemory{text: text} // a sentence that happens to hold a colon and a quotation
	}
	m.kind = memSaid
	if by == "I" {
		by = ""
	}
	switch to {
	case "me":
		m.toMe, to = true, ""
	case "everyone":
		to = ""
	}
	m.by, m.to = by, to
	return m
}

// BookLine is the character's own words in a memory casting made of a line from its
// book ("At Netherfield, I told Jane: “...”"), cleaned as a scene quotes them (no
// stage directions, no clipped last sentence); ok is false for any other memory.
func BookLine(memory string) (line string, ok bool) {
	m := parseMemory(memory)
	return m.quote, m.kind == memBook && m.quote != ""
}

// quoteStarts prepares a text for finding names and topics in it: what follows an opening
// quotation mark starts a sentence (“Fair question...” capitalises "Fair" as any first word
// is, which makes it no name), and closing marks go.
func quoteStarts(text string) string {
	text = dropStageDirections(text, " ")
	if strings.Contains(text, `"`) {
		text = openingQuote.ReplaceAllString(text, ". ")
	}
	return curlyQuotes.Replace(text)
}

// curlyQuotes turns an opening curly quotation mark into a sentence's end and drops a
// closing one (see quoteStarts).
var curlyQuotes = strings.NewReplacer("\u201c", ". ", "\u201d", " ")

// openingQuote matches a straight double quotation mark that opens a quotation: at the
// start or after a space or colon, before a letter.
var openingQuote = regexp.MustCompile(`(^|[\s:])"(\pL)`)

// memoryTexts are the texts of the speaker's memories in which capitalised words mid-sentence
// are names: the names of who said a line to whom, and what was said, each quotation a
// sentence of its own.
func (s *sceneComposer) memoryTexts() []string {
	var out []string
	for _, raw := range s.req.Memories {
		switch m := parseMemory(raw); m.kind {
		case memSaid:
			out = append(out, m.by+". "+m.to+". "+m.quote)
		case memBook:
			out = append(out, m.quote)
		case memSecret:
			_, secret, _ := strings.Cut(m.text, ": ")
			out = append(out, secret)
		default:
			out = append(out, m.text)
		}
	}
	return out
}

// sceneProperWords returns the words to keep capitalised as names: the words of the names
// of the speaker, of those present and of whoever spoke or was spoken to, and the words
// written with a capital where no sentence starts in the speaker's description, backstory,
// goals, premise, memories and the lines heard. A word capitalised only as the first of a
// sentence, of a quotation, or in a stage direction is no name: "Fair question." does not
// make "Fair" someone to talk about.
func (s *sceneComposer) sceneProperWords() map[string]bool {
	set := map[string]bool{}
	name := func(n string) {
		for _, w := range scanWords(n) {
			set[w.text] = true
		}
	}
	name(s.name)
	for _, p := range s.present {
		name(p.Name)
	}
	p := s.req.Speaker
	texts := []string{p.Description, p.Backstory, strings.TrimSpace(s.req.Premise + " " + s.req.Setting)}
	texts = append(texts, p.Goals...)
	for _, raw := range s.req.Memories {
		if m := parseMemory(raw); m.kind == memSaid {
			name(m.by)
			name(m.to)
		}
	}
	texts = append(texts, s.memoryTexts()...)
	for _, t := range s.req.History {
		if sp := strings.TrimSpace(t.Speaker); !t.FromUser && !strings.EqualFold(sp, "narrator") {
			name(sp)
		}
		texts = append(texts, t.Text)
	}
	for _, text := range texts {
		for _, w := range scanWords(quoteStarts(text)) {
			if isCapitalized(w.text) && !w.start && w.lower != "i" && !strings.HasPrefix(w.lower, "i'") {
				set[w.text] = true
			}
		}
	}
	return set
}

// topicIn returns what text is about, as findTopic finds it, with the first word of a
// quotation read as the first of a sentence, and a possessive kept with its noun
// ("Captain Harville's letter", not "Captain Harville's").
func (s *sceneComposer) topicIn(text string, exclude map[string]bool) topic {
	text = quoteStarts(text)
	t := withPossessed(findTopic(text, exclude, s.proper), text)
	if t.kind == topicPhrase {
		// findTopic's noun phrases may end in a name ("that Diana"), which is no noun.
		for _, w := range scanWords(text) {
			if isCapitalized(w.text) && strings.HasSuffix(t.phrase, " "+w.lower) && (exclude[w.lower] || s.proper[w.text]) {
				return topic{}
			}
		}
	}
	return t
}

// isRole reports whether phrase is the role of the speaker or of someone present ("the
// host"), a person rather than a subject.
func (s *sceneComposer) isRole(phrase string) bool {
	n := normalizeLine(strings.TrimPrefix(strings.TrimPrefix(phrase, "the "), "your "))
	if n == "" {
		return false
	}
	roles := []string{s.req.Role}
	for _, p := range s.present {
		roles = append(roles, p.Role)
	}
	for _, r := range roles {
		if r := normalizeLine(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(r)), "the ")); r != "" && r == n {
			return true
		}
	}
	return false
}

// withPossessed completes a topic that ends in a possessive with the noun it belongs to in
// text (and an adjective before that noun), or, when text gives none, drops the "'s": "I
// have nothing to say about Captain Harville's." names nothing.
func withPossessed(t topic, text string) topic {
	words := strings.Fields(t.phrase)
	if len(words) == 0 {
		return t
	}
	last := strings.ReplaceAll(words[len(words)-1], "\u2019", "'")
	base, ok := strings.CutSuffix(last, "'s")
	if !ok {
		if base, ok = strings.CutSuffix(last, "s'"); ok {
			base += "s" // "the Bennets'"
		}
	}
	if !ok {
		return t
	}
	ws := scanWords(text)
	noun := func(w word) bool {
		return w.joined && !w.start && !isCapitalized(w.text) && len(w.lower) >= 3 && !stopWords[w.lower] &&
			determiners[w.lower] == "" && !strings.HasSuffix(w.lower, "ly")
	}
	for i, w := range ws {
		if !strings.EqualFold(w.text, last) || i+1 >= len(ws) || !noun(ws[i+1]) {
			continue
		}
		rest := []string{ws[i+1].lower}
		if adjectives[ws[i+1].lower] {
			if i+2 >= len(ws) || !noun(ws[i+2]) {
				continue
			}
			rest = append(rest, ws[i+2].lower)
		}
		return topic{strings.Join(append(words, rest...), " "), topicPhrase}
	}
	words[len(words)-1] = base
	return topic{strings.Join(words, " "), t.kind}
}

// retelling is a line remembered, ready to be told: who said it and to whom as the speaker
// says them now, and the piece of it to tell.
type retelling struct {
	mem    sceneMemory
	person string   // who said it, seen from the speaker: "me", "you" (the addressee) or "other"
	by     string   // who said it, as the speaker names them ("Bob", "you", "I")
	whom   string   // whom it was said to ("Diana", "you", "me", "all of us")
	about  string   // what it was about, a noun phrase ("the fountain"), or ""
	quote  string   // a short piece of it to quote, marks and final punctuation included, or ""
	asked  bool     // the piece quoted is a question
	byWho  *Present // who said it, if present
	toWho  *Present // whom it was said to, if present
}

// retellMarks are the words every retelling uses to say that something was said, by which
// a line that retold a memory is known.
var retellMarks = []string{"said", "told", "tell", "ask", "asked", "mentioned", "talking about", "bring up", "brought up", "coming back to", "words"}

// retell prepares a line remembered for telling, or reports false when it should not be
// told: a line the speaker said to the one it speaks to now, or to everyone (quoting
// oneself back to those who heard it), a line still in the history, one already
// retold, one that would give the secret away, and one that has nothing to do with what
// is being talked about (want, the stems of the topic).
func (s *sceneComposer) retell(m sceneMemory, want map[string]bool) (retelling, bool) {
	r := retelling{mem: m}
	if m.kind != memSaid || m.quote == "" || s.secret.overlaps(m.quote) {
		return r, false
	}
	if m.by != "" {
		r.byWho = s.presentByName(m.by)
		if r.byWho == nil && strings.EqualFold(m.by, s.name) {
			return r, false
		}
	}
	if m.to != "" {
		r.toWho = s.presentByName(m.to)
	}
	switch {
	case m.by == "":
		if m.toMe || m.to == "" || (s.to != nil && (r.toWho == s.to || refersTo(m.to, s.to.Name))) {
			return r, false
		}
		r.person, r.by = "me", "I"
	case s.to != nil && r.byWho == s.to:
		r.person, r.by = "you", "you"
	default:
		r.person, r.by = "other", m.by
		if r.byWho != nil {
			r.by = s.formFor(r.byWho)
		}
	}
	switch {
	case m.toMe:
		r.whom = "me"
	case m.to == "":
		r.whom = "all of us"
	case s.to != nil && r.toWho == s.to:
		r.whom = "you"
	case r.toWho != nil:
		r.whom = s.formFor(r.toWho)
	default:
		r.whom = m.to
	}
	// A line still in the history is heard, not remembered: the talk answers it as it
	// goes, and bringing it up again says nothing new.
	if s.inHistory(m.quote) {
		return r, false
	}
	bag := s.quoteBag(m.quote)
	shared := 0
	for w := range bag {
		if want[w] && len(w) >= 3 {
			shared++
		}
	}
	if shared == 0 {
		return r, false
	}
	sents := s.quoteSentences(m.quote)
	best, bestScore := "", -1
	for _, st := range sents {
		score := 0
		for w := range contentBag(st) {
			if want[w] {
				score += 2
			}
		}
		if score > bestScore {
			best, bestScore = st, score
		}
	}
	// Those present are talked to, not about ("Diana keeps talking about Alice").
	exclude := nameWords(append([]string{s.name, m.by, m.to}, s.presentNames()...)...)
	if best != "" {
		r.about = s.retoldTopic(s.topicIn(best, exclude), r)
	}
	if r.about == "" && len(sents) > 1 {
		r.about = s.retoldTopic(s.topicIn(strings.Join(sents, " "), exclude), r)
	}
	if p := s.place(); p != "" && strings.HasSuffix(r.about, strings.TrimPrefix(p, "this ")) {
		r.about = "" // the place is where they talk, not what about
	}
	for _, st := range sents {
		if st != best || bestScore <= 0 {
			continue // a piece quoted is the piece on the subject, not the small talk around it
		}
		if n := len(strings.Fields(st)); n >= 3 && n <= 9 {
			r.quote = "\u201c" + st + "\u201d"
			r.asked = strings.HasSuffix(st, "?")
			break
		}
	}
	if r.about != "" && s.secret.touched(r.about) {
		r.about = "" // its holder draws no one's attention to what its secret is about
	}
	if r.person == "me" {
		// What the speaker said of itself (its role, what it is, its goal) it does not
		// quote again: saying it once is the most it says it.
		for _, self := range []string{s.role(), s.descriptor(), s.clause(s.goal(), false)} {
			if n := normalizeLine(self); n != "" {
				if strings.Contains(normalizeLine(r.quote), n) {
					r.quote = ""
				}
				if strings.Contains(n, normalizeLine(r.about)) {
					r.about = ""
				}
			}
		}
	}
	if r.about == "" && r.quote == "" {
		return r, false
	}
	if s.retold(r) {
		return r, false
	}
	return r, true
}

// presentNames returns the names of the others present.
func (s *sceneComposer) presentNames() []string {
	names := make([]string, len(s.present))
	for i, p := range s.present {
		names[i] = p.Name
	}
	return names
}

// quoteBag returns the stems of the content words of a quotation, without the names of
// the speaker and of those present.
func (s *sceneComposer) quoteBag(quote string) map[string]bool {
	bag := contentBag(quote)
	for w := range nameWords(s.name) {
		delete(bag, stem(w))
	}
	for _, p := range s.present {
		for w := range nameWords(p.Name) {
			delete(bag, stem(w))
		}
	}
	return bag
}

// quoteSentences returns the sentences of a quotation as they can be quoted: without the
// names they were addressed with ("Diana, the fountain." → "The fountain."), capitalised,
// with final punctuation. A sentence that quotes or retells someone itself is left out:
// a retelling of a retelling is hearsay twice removed, and its quotation marks nest.
func (s *sceneComposer) quoteSentences(quote string) []string {
	var out []string
	for _, st := range splitSentences(quote) {
		if strings.ContainsAny(st, "\"\u201c\u201d") || isRetelling(st) {
			continue
		}
		st = withoutAddress(st, findVocatives(st, s.proper))
		// "Diana, the fountain.": a name of the scene before a comma is said to its bearer,
		// whatever follows it.
		for _, name := range append([]string{s.name}, s.presentNames()...) {
			for _, form := range nameForms(name) {
				if rest, ok := strings.CutPrefix(st, form+","); ok {
					st = rest
				}
			}
		}
		st = strings.Join(strings.Fields(st), " ")
		st = strings.TrimLeft(st, ",;: ")
		st = danglingPunct.ReplaceAllString(st, "$1") // "Do not believe a word of it, ." once the name is gone
		st = strings.TrimRight(st, ",;:— ")
		if st == "" || !isWordByte(st[0]) && !strings.HasPrefix(st, "\u2026") {
			continue
		}
		if last := st[len(st)-1]; last != '.' && last != '!' && last != '?' {
			st += "."
		}
		out = append(out, upperFirst(st))
	}
	return out
}

// danglingPunct matches the spaces and commas an address leaves before a mark or a comma.
var danglingPunct = regexp.MustCompile(`[\s,;:]+([.!?,])`)

// retoldTopic returns a topic of a remembered line as the speaker says it, "" if it makes
// no subject: no bare word, no noun of an idiom, no "a thing"; and a possessive's owner seen
// from the speaker ("my letter" said by the addressee is "your letter", by someone else
// "the letter").
func (s *sceneComposer) retoldTopic(t topic, r retelling) string {
	words := strings.Fields(t.phrase)
	switch {
	case t.kind != topicName && t.kind != topicPhrase, len(words) == 0:
		return ""
	case poorNoun(words), s.isRole(t.phrase):
		return ""
	case t.kind == topicPhrase && (words[0] == "a" || words[0] == "an"):
		return ""
	}
	if t.kind != topicPhrase {
		return t.phrase
	}
	// findTopic answers the one who said it: their "my" is "your" in its phrase.
	owner := ""
	switch words[0] {
	case "your":
		owner = r.person // the one who said it
	case "my":
		switch {
		case r.mem.toMe:
			owner = "me"
		case s.to != nil && r.toWho == s.to:
			owner = "you"
		default:
			owner = "other"
		}
	default:
		return t.phrase
	}
	switch owner {
	case "me":
		words[0] = "my"
	case "you":
		words[0] = "your"
	default:
		words[0] = "the"
	}
	return strings.Join(words, " ")
}

// plainLine is a line's words without its stage directions, normalised (see normalizeLine).
func plainLine(l string) string {
	return normalizeLine(dropStageDirections(l, " "))
}

// sameLine reports whether two lines, as plainLine gives them, are the same words, one
// perhaps cut short.
func sameLine(na, nb string) bool {
	if na == "" || nb == "" {
		return false
	}
	return na == nb || strings.HasPrefix(na, nb) || strings.HasPrefix(nb, na)
}

// inHistory reports whether line is one of the lines said (see sameLine).
func (s *sceneComposer) inHistory(line string) bool {
	n := plainLine(line)
	for _, said := range s.plainSaid() {
		if sameLine(said, n) {
			return true
		}
	}
	return false
}

// plainSaid returns plainLine of every line said, computed once: a speaker weighs each of
// its memories against all of them.
func (s *sceneComposer) plainSaid() []string {
	if s.saidPlain == nil {
		s.saidPlain = make([]string, len(s.saidLines))
		for i, l := range s.saidLines {
			if j := s.sameAs[i]; j < i {
				s.saidPlain[i] = s.saidPlain[j]
				continue
			}
			s.saidPlain[i] = plainLine(l)
		}
	}
	return s.saidPlain
}

// saidBag returns contentBag of the i-th line said, computed once.
func (s *sceneComposer) saidBag(i int) map[string]bool {
	if s.saidBags == nil {
		s.saidBags = make([]map[string]bool, len(s.saidLines))
	}
	i = s.sameAs[i]
	if s.saidBags[i] == nil {
		s.saidBags[i] = contentBag(s.saidLines[i])
	}
	return s.saidBags[i]
}

// retold reports whether the line remembered was told already in the lines remembered:
// a line (not the original) quotes its piece, or names its topic with a word of telling.
func (s *sceneComposer) retold(r retelling) bool {
	frag := ""
	if r.quote != "" {
		frag = normalizeLine(r.quote)
	}
	about := strings.ToLower(r.about)
	original := plainLine(r.mem.quote)
	plain := s.plainSaid()
	for i, said := range s.saidLines {
		if sameLine(plain[i], original) {
			continue
		}
		if frag != "" && strings.ContainsAny(said, "\u201c\"") && strings.Contains(s.saidNorm[i], frag) {
			return true
		}
		if about == "" {
			continue
		}
		if containsWord(strings.ToLower(said), about) && isRetelling(said) {
			return true
		}
	}
	return false
}

// isRetelling reports whether a sentence says what someone said (see retellMarks).
func isRetelling(st string) bool {
	low := strings.ToLower(st)
	for _, mark := range retellMarks {
		if containsWord(low, mark) {
			return true
		}
	}
	return false
}

// tellRetelling writes the sentence that tells a line remembered, in the stance of the
// draft: by who said it (the addressee, someone else, or the speaker to someone else), as
// what it was about or in a short quotation.
func (s *sceneComposer) tellRetelling(d *draft, r retelling) string {
	mood := stanceMood(d.stance)
	var aboutLines, quoteLines []string
	switch r.person {
	case "you":
		aboutLines, quoteLines = retellYouAbout[mood], retellYouQuote[mood]
	case "me":
		aboutLines, quoteLines = retellMeAbout, retellMeQuote
	default:
		aboutLines, quoteLines = retellOtherAbout, retellOtherQuote
	}
	useQuote := r.quote != "" && (r.about == "" || s.rng.Float64() < 0.45)
	lines := aboutLines
	if useQuote {
		lines = quoteLines
	}
	if r.whom == "me" {
		lines = withoutSlot(lines, "{tell} {whom}") // "I heard Bob tell me" is no way to say it
	}
	tmpl := s.chooseFresh(lines)
	if tmpl == "" {
		return ""
	}
	told, tell := "told", "tell"
	if r.asked {
		told, tell = "asked", "ask"
	}
	return s.fillWith(s.replacer(map[string]string{
		"{teller}": r.by, "{whom}": r.whom, "{about}": r.about, "{quote}": r.quote, "{told}": told, "{tell}": tell,
	}), tmpl)
}

// ownLines returns what the speaker is known to have said: its lines in the history, and
// the lines it remembers saying (which reach back past the history).
func (s *sceneComposer) ownLines() []string {
	var out []string
	for _, t := range s.req.History {
		if !t.FromUser && strings.TrimSpace(t.Speaker) == s.name {
			out = append(out, t.Text)
		}
	}
	for _, raw := range s.req.Memories {
		if m := parseMemory(raw); m.kind == memSaid && m.by == "" {
			out = append(out, m.quote)
		}
	}
	return out
}
