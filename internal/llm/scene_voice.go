package llm

import (
	"cmp"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxUnitWords bounds a line taken from the book: longer speeches are said in part, a
// sentence or two at a time, as a character in a scene speaks.
const maxUnitWords = 40

// voiceIndex is a speaker's book voice made searchable: its quoted lines cut into units
// that can be said as a line (a sentence, two or three consecutive sentences, or a whole
// short quotation), each with its content words, emotion and the places where it
// addresses someone by name; and how the speaker addresses each person it talks to.
type voiceIndex struct {
	units []voiceUnit
	idf   map[string]float64 // inverse document frequency of each content word over the quotations
	forms map[string]int     // names the voice addresses people by, with how often
}

// voiceUnit is one piece of the voice that can be said as a line.
type voiceUnit struct {
	text     string
	quote    int      // index of its quotation
	norms    []string // its sentences of three words or more, without addresses, normalised
	bag      map[string]bool
	emotion  string
	question bool
	words    int
	vocs     []vocative
}

// vocative is a place where a line addresses someone: "Harriet" in "Ah! but Jane Fairfax
// has them both, Harriet." or "my dear Emma" in "My dear Emma, you are mistaken."
type vocative struct {
	start, end int    // the byte span of the whole address in the unit's text
	nameStart  int    // where the name starts, after an endearment ("my dear")
	name       string // the name, or the word of address ("papa", "sir")
	kind       int
}

// Kinds of vocative, by where they stand.
const (
	vocStart = iota // "Harriet, you ..." or "Oh! Miss Woodhouse, how ..."
	vocMid          // "I assure you, Miss Woodhouse, it is ..."
	vocEnd          // "... both, Harriet."
	vocWhole        // "Dear Miss Woodhouse!" as a sentence of its own
)

// wordsOfAddress are the common words a voice addresses someone by; they are replaced
// like names, since the scene's addressee may be nobody's "papa" and nobody's "sir".
var wordsOfAddress = wordSet("papa mama sir madam ma'am child friend love dear dearest")

// endearments may come before a name of address ("my dear Harriet").
var endearments = wordSet("my dear dearest good poor sweet")

// addressStarters are words that, after "Name, " at the start of a sentence, show the name
// is said to its bearer ("Harriet, you ..."), not a subject ("Mr. Martin, I suppose, is").
var addressStarters = wordSet(`i you we do don't what how is are will pray let come why when if only now indeed
	yes no surely there this it here have can could would shall listen look where who which whose did was
	were may might must should please tell`)

// newVoiceIndex cuts the voice's quotations into units. proper are the words known to be
// names, which tell a name of address from a capitalised word opening a sentence.
func newVoiceIndex(voice []string, proper map[string]bool) *voiceIndex {
	v := &voiceIndex{idf: map[string]float64{}, forms: map[string]int{}}
	df := map[string]int{}
	seen := map[string]bool{}
	quotes := 0
	for qi, raw := range voice {
		text, fragment := cleanQuote(raw)
		if text == "" {
			continue
		}
		quotes++
		sents := splitSentences(text)
		// Each sentence is analysed once; a unit of several combines theirs.
		type sentInfo struct {
			bag  map[string]bool
			vocs []vocative
			norm string
		}
		infos := make([]sentInfo, len(sents))
		qbag := map[string]bool{}
		for i, st := range sents {
			vocs := findVocatives(st, proper)
			infos[i] = sentInfo{bag: contentBag(st), vocs: vocs, norm: normalizeLine(withoutAddress(st, vocs))}
			for _, voc := range infos[i].vocs {
				v.forms[voc.name]++
			}
			for w := range infos[i].bag {
				qbag[w] = true
			}
		}
		add := func(from, to int) {
			parts := sents[from:to]
			t := strings.Join(parts, " ")
			n := len(strings.Fields(t))
			if n > maxUnitWords || seen[t] || n < 3 || (fragment && n < 6 && len(parts) == len(sents)) || quotesWithin(t) {
				return
			}
			var bare []string
			for i := from; i < to; i++ {
				if infos[i].norm != "" {
					bare = append(bare, infos[i].norm)
				}
			}
			if len(strings.Fields(strings.Join(bare, " "))) < 3 {
				return // an address and little else ("Dear Miss Woodhouse!")
			}
			seen[t] = true
			e, _ := Emotion(t)
			u := voiceUnit{
				text: t, quote: qi, bag: map[string]bool{}, emotion: e, words: n,
				question: strings.HasSuffix(parts[len(parts)-1], "?"),
			}
			offset := 0
			for i := from; i < to; i++ {
				for w := range infos[i].bag {
					u.bag[w] = true
				}
				for _, voc := range infos[i].vocs {
					voc.start, voc.end, voc.nameStart = voc.start+offset, voc.end+offset, voc.nameStart+offset
					u.vocs = append(u.vocs, voc)
				}
				if strings.Count(infos[i].norm, " ") >= 2 {
					u.norms = append(u.norms, infos[i].norm)
				}
				offset += len(sents[i]) + 1
			}
			v.units = append(v.units, u)
		}
		for i := range sents {
			add(i, i+1)
			if i+1 < len(sents) {
				add(i, i+2)
			}
			if i+2 < len(sents) {
				add(i, i+3)
			}
		}
		for w := range qbag {
			df[w]++
		}
	}
	for w, n := range df {
		v.idf[w] = math.Log(1 + float64(quotes)/float64(n))
	}
	for name := range v.forms {
		if wordsOfAddress[strings.ToLower(name)] {
			delete(v.forms, name) // "sir" is how it addresses many people, so nobody's name
		}
	}
	return v
}

// midCapital matches a capitalised word after a comma.
var midCapital = regexp.MustCompile(`, [A-Z][a-z]+`)

// quotesWithin reports whether text quotes someone itself ("saying very plainly—'Pray,
// ..."), which, cut into units, leaves quotation marks unbalanced and voices mixed.
func quotesWithin(text string) bool {
	if strings.ContainsAny(text, "\"\u201c\u201d\u2018") {
		return true
	}
	for i := 0; i+1 < len(text); i++ {
		if text[i] != '\'' || !isWordByte(text[i+1]) {
			continue
		}
		// An apostrophe inside a word ("don't") is none; one after a dash ("—'To Miss")
		// opens a quotation.
		if prev, _ := utf8.DecodeLastRuneInString(text[:i]); i == 0 || !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
			return true
		}
	}
	return false
}

// cleanQuote makes a quotation as a novel's text gives it into a line: one space between
// words, no italics underscores, the double hyphen of old typesetting as a sentence break
// after end punctuation and a dash elsewhere, and final punctuation. It reports whether
// the quotation was broken off by narration (it ended with a comma or a dash).
func cleanQuote(q string) (string, bool) {
	q = strings.ReplaceAll(strings.Join(strings.Fields(q), " "), "_", "")
	q = strings.NewReplacer("?--", "? ", "!--", "! ", ".--", ". ", ";--", "; ", ",--", ", ", ":--", ": ").Replace(q)
	q = strings.Trim(q, "-\u2014 \"\u201c\u201d'\u2018\u2019")
	q = strings.ReplaceAll(strings.ReplaceAll(q, "--", "\u2014"), "\u2014.", "\u2014")
	// Pieces of a quotation parted by narration ("I am obliged to you," said Emma, "If I
	// had ...") join mid-sentence.
	q = midCapital.ReplaceAllStringFunc(q, func(m string) string {
		if w := strings.TrimPrefix(m, ", "); stopWords[strings.ToLower(w)] && !honorifics[strings.ToLower(w)] {
			return ", " + strings.ToLower(w)
		}
		return m
	})
	if q == "" {
		return "", false
	}
	fragment := false
	last, size := utf8.DecodeLastRuneInString(q)
	switch {
	case last == ',' || last == ';' || last == ':':
		q, fragment = q[:len(q)-size]+".", true
	case last == '\u2014':
		fragment = true
	case !strings.ContainsRune(".!?\u2026", last):
		q += "."
	}
	return upperFirst(q), fragment
}

// splitSentences cuts text after full stops, exclamation and question marks followed by
// a capital letter; not after a title ("Mr.") or an initial, and not in "Oh! you are".
func splitSentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(text) {
			if strings.IndexByte(".!?)'\"", text[j]) >= 0 {
				j++
				continue
			}
			// A quotation closed after its last sentence ends there too: “Wait.” Then.
			if q, ok := closingQuote(text[j:]); ok {
				j += q
				continue
			}
			break
		}
		if j >= len(text) || text[j] != ' ' {
			i = j - 1
			continue
		}
		if c == '.' {
			w := text[strings.LastIndexAny(text[:i], " \u2014")+1 : i]
			if honorifics[strings.ToLower(w)] || utf8.RuneCountInString(w) == 1 {
				continue
			}
		}
		next, _ := utf8.DecodeRuneInString(text[j+1:])
		if unicode.IsLower(next) {
			continue
		}
		if s := strings.TrimSpace(text[start:j]); s != "" {
			out = append(out, s)
		}
		start = j + 1
		i = j
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// closingQuote reports whether text starts with a closing curly quotation mark, and its
// length in bytes.
func closingQuote(text string) (int, bool) {
	for _, q := range []string{"\u201d", "\u2019"} {
		if strings.HasPrefix(text, q) {
			return len(q), true
		}
	}
	return 0, false
}

// span is a word of a text with its byte offsets.
type span struct {
	text       string
	start, end int
}

// wordSpans splits text into words (letters, digits, inner apostrophes and hyphens), with
// a title's full stop kept with it ("Mr.").
func wordSpans(text string) []span {
	var out []span
	start := -1
	for i, r := range text {
		inWord := letterOrDigit(r) || ((r == '\'' || r == '\u2019' || r == '-') && start >= 0)
		if inWord {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			w := strings.TrimRight(text[start:i], "'\u2019-")
			end := start + len(w)
			if r == '.' && honorifics[strings.ToLower(w)] {
				end++
			}
			out = append(out, span{text[start:end], start, end})
			start = -1
		}
	}
	if start >= 0 {
		w := strings.TrimRight(text[start:], "'\u2019-")
		out = append(out, span{w, start, start + len(w)})
	}
	return out
}

// findVocatives finds where text addresses someone: a name or word of address, maybe
// after an endearment, set off by commas or standing at the start of a sentence before a
// comma, or at its end. proper tells names from capitalised common words.
func findVocatives(text string, proper map[string]bool) []vocative {
	ws := wordSpans(text)
	var out []vocative
	for i := 0; i < len(ws); i++ {
		if i > 0 && honorifics[strings.ToLower(strings.TrimSuffix(ws[i-1].text, "."))] {
			continue // the middle of "Mr. Elton" starts no address
		}
		j := i
		for j < len(ws) && j-i < 2 && endearments[strings.ToLower(ws[j].text)] {
			j++
		}
		nameAt := j
		switch {
		case j < len(ws) && wordsOfAddress[strings.ToLower(ws[j].text)] && !isCapitalized(ws[j].text) || (j < len(ws) && j == i && strings.EqualFold(ws[j].text, "sir")):
			j++
		case j < len(ws) && isProperName(ws[j].text, proper):
			title := honorifics[strings.ToLower(strings.TrimSuffix(ws[j].text, "."))]
			j++
			for j < len(ws) && j-nameAt < 3 && isProperName(ws[j].text, proper) && text[ws[j-1].end:ws[j].start] == " " {
				j++
			}
			if title && j == nameAt+1 {
				continue // a title alone is no name
			}
		case j > i && strings.EqualFold(ws[j-1].text, "dear"):
			nameAt = j - 1 // "my dear," on its own
		default:
			continue
		}
		if j <= nameAt {
			continue
		}
		v, ok := vocativeAt(text, ws, i, j)
		if !ok {
			continue
		}
		v.nameStart = ws[nameAt].start
		v.name = text[ws[nameAt].start:ws[j-1].end]
		out = append(out, v)
		i = j - 1
	}
	return out
}

// isProperName reports whether w can be (part of) a name: a title, or a capitalised word
// known as a name.
func isProperName(w string, proper map[string]bool) bool {
	return isCapitalized(w) && (honorifics[strings.ToLower(strings.TrimSuffix(w, "."))] || proper[w])
}

// vocativeAt reports whether the words ws[i:j] of text are set off as an address, and
// where the address, with its commas, spans.
func vocativeAt(text string, ws []span, i, j int) (vocative, bool) {
	before := strings.TrimRight(text[:ws[i].start], " ")
	after := strings.TrimLeft(text[ws[j-1].end:], " ")
	lead := before
	if i > 0 && leadWords[strings.ToLower(ws[i-1].text)] {
		// "Oh! but dear Miss Woodhouse, ...": a sentence may start with a small word.
		lead = strings.TrimRight(text[:ws[i-1].start], " ")
	}
	sentenceStart := lead == "" || endsSentence(lead)
	next := ""
	if j < len(ws) {
		next = strings.ToLower(ws[j].text)
	}
	v := vocative{start: ws[i].start, end: ws[j-1].end}
	switch {
	case (before == "" || endsSentence(before)) && (after == "" || strings.IndexByte(".!?", after[0]) >= 0):
		// "Dear Miss Woodhouse!" or "Harriet!" is an address; "Jane Fairfax." answering
		// "who?" is not.
		if !endearments[strings.ToLower(ws[i].text)] && !strings.HasPrefix(after, "!") {
			return v, false
		}
		v.kind = vocWhole
		return v, true
	case sentenceStart && strings.HasPrefix(after, ","):
		lead := ws[i].text
		interjected := before != ""
		plain := !endearments[strings.ToLower(lead)] && !wordsOfAddress[strings.ToLower(lead)]
		if plain && !interjected && (!addressStarters[next] || parenthetical(text, ws, j)) {
			return v, false
		}
		v.kind = vocStart
		return v, true
	case strings.HasSuffix(before, ","):
		if i >= 2 && appositiveOpeners[strings.ToLower(ws[i-2].text)] || i >= 3 && appositiveOpeners[strings.ToLower(ws[i-3].text)] && !isCapitalized(ws[i-1].text) {
			return v, false // "my brother, Mr. Suckling, in income" names the brother
		}
		switch {
		case after == "" || strings.IndexByte(".!?;", after[0]) >= 0:
			v.kind = vocEnd
		case strings.HasPrefix(after, ",") && next != "and" && next != "or" && next != "nor":
			v.kind = vocMid
		default:
			return v, false
		}
		return v, true
	}
	return v, false
}

// endsSentence reports whether text ends a sentence: with an exclamation or question mark,
// or a full stop that is not a title's ("Mrs.").
func endsSentence(text string) bool {
	switch {
	case strings.HasSuffix(text, "!"), strings.HasSuffix(text, "?"):
		return true
	case strings.HasSuffix(text, "."):
		w := text[strings.LastIndexAny(text, " \u2014")+1 : len(text)-1]
		return !honorifics[strings.ToLower(w)] && utf8.RuneCountInString(w) != 1
	}
	return false
}

// appositiveOpeners start a noun phrase that a name set off by commas may then name ("my
// brother, Mr. Suckling").
var appositiveOpeners = wordSet("my his her our their your the a an this that")

// leadWords may open a sentence before an address ("But, Harriet", "Oh! but Emma,").
var leadWords = wordSet("but and oh ah well yes no nay pray indeed now come")

// parenthetical reports whether the words from ws[j] in text are an aside like "I
// suppose," that makes the name before them a subject, not an address.
func parenthetical(text string, ws []span, j int) bool {
	if j+1 >= len(ws) || !strings.HasPrefix(text[ws[j+1].end:], ",") {
		return false
	}
	switch strings.ToLower(ws[j+1].text) {
	case "suppose", "think", "believe", "fancy", "hope", "fear", "know", "trust", "own", "say":
		return strings.EqualFold(ws[j].text, "i") || strings.EqualFold(ws[j].text, "we")
	}
	return false
}

// formFor returns how the voice addresses the character called name: the name of address
// it uses most that can name them ("Miss Woodhouse" for "Emma Woodhouse", see refersTo),
// "" if it never addresses them.
func (v *voiceIndex) formFor(name string) string {
	best, n := "", 0
	for form, count := range v.forms {
		if refersTo(form, name) && (count > n || count == n && (len(form) > len(best) || len(form) == len(best) && form < best)) {
			best, n = form, count
		}
	}
	return best
}

// femaleTitles are titles no man is addressed by.
var femaleTitles = wordSet("mrs miss ms lady madam")

// refersTo reports whether a name of address can name the character called name: they
// share a word other than a title, and their titles do not tell them apart ("Mr. Elton"
// is not "Mrs. Elton"; nor is a bare "Elton", which is how a man is called by his surname).
func refersTo(form, name string) bool {
	title := func(s string) (string, []word) {
		ws := scanWords(s)
		if len(ws) > 1 && honorifics[ws[0].lower] {
			return ws[0].lower, ws[1:]
		}
		return "", ws
	}
	ft, fws := title(form)
	nt, nws := title(name)
	if ft != "" && nt != "" && ft != nt {
		return false
	}
	if ft == "" && femaleTitles[nt] && len(fws) == 1 && len(nws) > 0 && fws[0].lower == nws[len(nws)-1].lower {
		return false
	}
	for _, f := range fws {
		for _, n := range nws {
			if f.lower == n.lower {
				return true
			}
		}
	}
	return false
}

// readdress rewrites a unit so that it is said to the addressee: each address of someone
// else is replaced by the speaker's form of address for them (keeping "my dear" only when
// the speaker is fond of them), or, speaking to the room, removed with its commas.
func (s *sceneComposer) readdress(u voiceUnit) string {
	text := u.text
	warm := isWarmTone(s.tone)
	for _, v := range slices.Backward(u.vocs) {
		if s.to != nil && refersTo(v.name, s.to.Name) {
			continue
		}
		if ws := strings.Fields(v.name); strings.HasPrefix(text[v.end:], ".,") && utf8.RuneCountInString(ws[len(ws)-1]) == 1 {
			// "My dear Mr. E., you have not...": the full stop is the initial's, and the
			// address opens the sentence rather than making one.
			v.end++
			v.kind = vocStart
		}
		if s.to == nil {
			switch v.kind {
			case vocWhole:
				// The whole sentence is the address: it goes, with its mark and space.
				end := v.end + strings.IndexFunc(text[v.end:], func(r rune) bool { return !strings.ContainsRune(".!? ", r) })
				if end < v.end {
					end = len(text)
				}
				text = strings.TrimSpace(text[:v.start] + text[end:])
			case vocStart:
				rest := strings.TrimLeft(strings.TrimPrefix(text[v.end:], ","), " ")
				text = text[:v.start] + upperFirst(rest)
			default:
				cut := strings.LastIndexByte(text[:v.start], ',')
				text = text[:cut] + text[v.end:]
			}
			continue
		}
		lead := text[v.start:v.nameStart]
		if !warm || v.nameStart == v.start && strings.EqualFold(v.name, "dear") {
			lead = ""
		}
		repl := lead + s.toForm
		if before := strings.TrimSpace(text[:v.start]); lead != "" && (before == "" || endsSentence(before)) {
			repl = upperFirst(repl) // the endearment starts the sentence: "My dear ..."
		}
		text = text[:v.start] + repl + text[v.end:]
	}
	return text
}

// withoutVocatives returns u's text without its addresses.
func withoutVocatives(u voiceUnit) string { return withoutAddress(u.text, u.vocs) }

// withoutAddress returns text without the addresses vocs found in it.
func withoutAddress(text string, vocs []vocative) string {
	for _, v := range slices.Backward(vocs) {
		text = text[:v.start] + text[v.end:]
	}
	return text
}

// addressIn adds the addressee's name to a line that names nobody, the way the book does
// it: ", Harriet." before the end of its first sentence.
func (s *sceneComposer) addressIn(text string) string {
	first := splitSentences(text)[0]
	last, size := utf8.DecodeLastRuneInString(first)
	if !strings.ContainsRune(".!?", last) || strings.HasSuffix(first, "\u2014") {
		return text
	}
	return first[:len(first)-size] + ", " + s.toForm + string(last) + text[len(first):]
}

// voiceQuery returns the words a line of the voice should answer, with their weights: the
// line heard above all, and the director's instruction; the line before it, the premise,
// the place, the speaker's goal and role a little.
func (s *sceneComposer) voiceQuery() map[string]float64 {
	q := map[string]float64{}
	add := func(text string, w float64) {
		for word := range contentBag(text) {
			q[word] = max(q[word], w)
		}
	}
	add(s.req.Premise+" "+s.req.Setting, 0.3)
	add(s.goal()+" "+s.req.Role, 0.25)
	hist := s.req.History
	if n := len(hist); n >= 2 {
		add(hist[n-2].Text, 0.3)
	}
	add(s.heard.text, 1)
	add(s.req.Direction, 1.5)
	for w := range nameWords(s.name) {
		delete(q, stem(w)) // others saying the speaker's name is no topic
	}
	return q
}

// voiceDraft composes a line from the speaker's book voice: the unit that best answers
// what was heard, fits the speaker's feeling and its relationship with the addressee,
// and was not said already; joined with a second when short, spoken to the addressee,
// and with a sentence of its own to carry out a director's instruction or deflect talk of
// the secret. It reports false when every unit has been said.
func (s *sceneComposer) voiceDraft(try int) (draft, bool) {
	d := draft{stance: stanceOf(s.tone)}
	if s.dir.stanceSet {
		d.stance = s.dir.stance
	}
	first, ok := s.pickUnit(-1, try)
	if !ok {
		return d, false
	}
	text := s.readdress(first)
	if first.words < 9 && s.rng.Float64() < 0.55 {
		if second, ok := s.pickUnit(first.quote, try); ok && second.words <= 25 {
			text += " " + s.readdress(second)
		}
	}
	named := s.to == nil || mentions(text, s.to.Name) || containsWord(text, s.toForm)
	if !named && (s.heard.who != s.to || s.rng.Float64() < 0.35) {
		text = s.addressIn(text)
		named = true
	}
	sents := []sentence{{slot: 2, priority: 0, text: text}}
	if s.dir.acts() {
		dt := s.directionText(&d)
		sents = append(sents, sentence{slot: 1 + 2*s.rng.IntN(2), priority: -1, text: dt})
	} else if s.secret.touched(s.heard.text) && s.rng.Float64() < 0.5 {
		sents = append(sents, sentence{slot: 1, priority: 1, text: s.fill(s.choose(s.secret.lines(deflectLines)))})
	}
	slices.SortStableFunc(sents, func(a, b sentence) int { return cmp.Compare(a.slot, b.slot) })
	for i := range sents {
		voc := ""
		if !named && strings.Contains(sents[i].text, "{to}") {
			voc, named = ", "+s.toForm, true
		}
		sents[i].text = strings.Replace(sents[i].text, "{to}", voc, 1)
		sents[i].text = strings.ReplaceAll(sents[i].text, "{to}", "")
	}
	if !s.dir.stanceSet {
		switch e, _ := Emotion(text); {
		case isCold(e):
			d.stance = max(d.stance-1, stanceHostile)
		case e == EmotionJoy || e == EmotionTrust:
			d.stance = min(d.stance+1, stanceWarm)
		}
	}
	d.sents = sents
	return d, true
}

// voiceScores are the units' scores for one request, which every draft chooses from.
type voiceScores struct {
	score, relevance []float64
	said             []bool // the unit was said in the lines remembered
}

// scores returns the units' scores (see unitScore; a unit of a quotation already quoted
// from scores less), computed at the first draft.
func (s *sceneComposer) scores() *voiceScores {
	if s.vscores != nil {
		return s.vscores
	}
	units := s.voice.units
	vs := &voiceScores{score: make([]float64, len(units)), relevance: make([]float64, len(units)), said: make([]bool, len(units))}
	q := s.voiceQuery()
	said := make([]string, len(s.saidLines))
	for i, l := range s.saidLines {
		said[i] = normalizeLine(withoutAddress(l, findVocatives(l, s.proper)))
	}
	used := map[int]bool{}
	for i, u := range units {
		if vs.said[i] = s.unitSaid(u, said); vs.said[i] {
			used[u.quote] = true
		}
	}
	for i, u := range units {
		vs.score[i] = s.unitScore(u, q)
		vs.relevance[i] = s.relevance(u, q)
		if used[u.quote] {
			vs.score[i] -= 0.8
		}
	}
	s.vscores = vs
	return vs
}

// unitSaid reports whether any sentence of u (of three words or more) is in a line
// remembered, whoever said it, and to whomever: the lines are compared without their
// addresses, since the same words said to another name are still a repeat.
func (s *sceneComposer) unitSaid(u voiceUnit, said []string) bool {
	for _, norm := range u.norms {
		for _, line := range said {
			if strings.Contains(line, norm) {
				return true
			}
		}
	}
	return false
}

// pickUnit chooses a unit of the voice: among the best few by score (see scores), at
// random with the better more likely. Units of quotation skip (the first unit's) and
// units already said are left out; later tries widen the choice.
func (s *sceneComposer) pickUnit(skip, try int) (voiceUnit, bool) {
	type cand struct {
		u     voiceUnit
		score float64
	}
	vs := s.scores()
	var cands []cand
	for i, u := range s.voice.units {
		if u.quote == skip || vs.said[i] {
			continue
		}
		score := vs.score[i]
		if skip >= 0 {
			score -= 0.5 * vs.relevance[i] // a second unit need not answer again
		}
		cands = append(cands, cand{u, score + 0.8*s.rng.Float64()})
	}
	if len(cands) == 0 {
		return voiceUnit{}, false
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	cands = cands[:min(len(cands), 5+try)]
	total := 0.0
	weights := make([]float64, len(cands))
	for i, c := range cands {
		weights[i] = math.Exp((c.score - cands[0].score) / 0.5)
		total += weights[i]
	}
	x := s.rng.Float64() * total
	for i, w := range weights {
		if x < w {
			return cands[i].u, true
		}
		x -= w
	}
	return cands[len(cands)-1].u, true
}

// relevance is how well u answers the query: the weighted rare words it shares with it,
// diluted a little by its length, at most 4.
func (s *sceneComposer) relevance(u voiceUnit, q map[string]float64) float64 {
	r := 0.0
	for w := range u.bag {
		r += q[w] * s.voice.idf[w]
	}
	return min(r/(1+0.05*float64(len(u.bag))), 4)
}

// unitScore rates a unit as the speaker's next line: relevance to what was heard and
// asked; its emotion against the speaker's (warm words to an enemy, or cold ones to a
// friend, do not fit); an address of the addressee in the book (said to them there); a
// length that suits a turn; and against talking of anyone present, or of oneself, in the
// third person.
func (s *sceneComposer) unitScore(u voiceUnit, q map[string]float64) float64 {
	score := s.relevance(u, q)
	want, have := moodOf(s.emotion), moodOf(u.emotion)
	switch {
	case u.emotion == s.emotion && have != moodCalm:
		score += 1
	case want == have && have != moodCalm:
		score += 0.6
	case want == moodWarm && have == moodCold, want == moodCold && have == moodWarm:
		score -= 1
	case (want == moodSad || want == moodAfraid) && have == moodWarm:
		score -= 0.5
	}
	switch {
	case isHostileTone(s.tone) && (u.emotion == EmotionJoy || u.emotion == EmotionTrust):
		score -= 0.6
	case isWarmTone(s.tone) && isCold(u.emotion):
		score -= 0.6
	}
	if s.to != nil {
		for _, v := range u.vocs {
			if refersTo(v.name, s.to.Name) {
				score += 0.6
			}
		}
		if mentions(withoutVocatives(u), s.to.Name) {
			score -= 0.7 // talking of the addressee as if they were not there
		}
	}
	if mentions(u.text, s.name) {
		score -= 1
	}
	for i := range s.present {
		if p := &s.present[i]; p != s.to && mentions(u.text, p.Name) {
			// Talking of someone in the third person while they listen is awkward at
			// best, and the book's words about them were seldom meant for their ears.
			score -= 0.3
		}
	}
	switch {
	case u.words < 5:
		score -= 0.5
	case u.words > 30:
		score -= 0.3
	}
	if s.heard.question && s.heard.toMe && u.question {
		score -= 0.4 // a question is better answered than returned
	}
	return score
}

// acts reports whether the instruction asks the line to say or do something, rather than
// only to feel something or to leave something out.
func (d direction) acts() bool { return d.text != "" || d.stage != "" || len(d.lines) > 0 }
