package casting

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/literaryai/ensemble/internal/literary/analysis"
)

// capitalI is the pronoun "I", lowered with the rest of a habit to count it.
var capitalI = regexp.MustCompile(`\bi\b`)

// addressForms are the ways of addressing someone a speaker may make a habit of.
var addressForms = regexp.MustCompile(`(?i)\b(my dearest|my dear|my love|my good (?:sir|friend|lady)|my friend|my lord|my lady|my child|my boy|my girl|sir|madam|ma'am)\b`)

// oaths are the exclamations and verbal tics a speaker may lean on. "Lord" alone is an
// oath only as an exclamation ("Lord! how…"), not the title of "Lord St. Simon".
var oaths = regexp.MustCompile(`(?i)\b(good heavens|good god|good lord|upon my word|upon my honour|bless me|dear me|good gracious|heaven knows|by jove|i declare|i assure you|i dare say|i am sure|to be sure|depend upon it|la|oh dear)\b|\blord[!,?]`)

// formalWords mark a formal register; colloquial ones (and contractions) a loose one.
var (
	formalWords = map[string]bool{"shall": true, "indeed": true, "upon": true, "whom": true, "certainly": true,
		"assure": true, "madam": true, "pray": true, "therefore": true, "however": true, "exceedingly": true,
		"extremely": true, "perfectly": true, "entirely": true, "undoubtedly": true, "whilst": true, "must": true}
	colloquialWords = map[string]bool{"ain't": true, "'em": true, "gonna": true, "yeah": true, "ye": true,
		"o'": true, "wanna": true, "kinda": true, "reckon": true, "aye": true, "nope": true, "yep": true, "okay": true}
)

// speechStats are a speaker's lines as evidence of a manner.
type speechStats struct {
	lines     []string
	words     map[string]int // lower case, distinctive words only
	total     int            // words spoken
	contract  int            // contractions and dialect words
	formal    int
	letters   int // letters in words, for their mean length
	questions int
	exclaims  int
	lengths   []int
}

func statsOf(lines []string) speechStats {
	s := speechStats{lines: lines, words: map[string]int{}}
	for _, l := range lines {
		if strings.Contains(l, "?") {
			s.questions++
		}
		if strings.Contains(l, "!") {
			s.exclaims++
		}
		ws := wordsOf(l)
		s.lengths = append(s.lengths, len(ws))
		for _, w := range ws {
			lw := strings.ToLower(w)
			s.total++
			s.letters += utf8.RuneCountInString(lw)
			switch {
			case colloquialWords[lw] || strings.HasSuffix(lw, "n't") || strings.HasSuffix(lw, "'ll") || strings.HasSuffix(lw, "'re") || strings.HasSuffix(lw, "'ve") || strings.HasSuffix(lw, "in'"):
				s.contract++
			case formalWords[lw]:
				s.formal++
			}
			// A word written with a capital inside a line is a name, no habit of speech.
			if w == lw && utf8.RuneCountInString(lw) >= 4 && !stopWords[lw] {
				s.words[lw]++
			}
		}
	}
	return s
}

func wordsOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) })
}

// favouriteWords are the words a speaker uses far more than the book's other speakers,
// used a few times at least.
func favouriteWords(own speechStats, all map[string]int, allTotal int) []string {
	type cand struct {
		w     string
		score float64
	}
	var cs []cand
	rest := max(1, allTotal-own.total)
	for w, n := range own.words {
		if n < 4 {
			continue
		}
		mine := float64(n) / float64(max(1, own.total))
		theirs := (float64(all[w]-n) + 0.5) / float64(rest)
		if r := mine / theirs; r >= 3 {
			cs = append(cs, cand{w, r * math.Log(float64(n))})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.w, b.w)
	})
	var out []string
	for _, c := range cs {
		// "look" and "looked" are one habit.
		if len(out) < 3 && !slices.ContainsFunc(out, func(o string) bool { return sameStem(o, c.w) }) {
			out = append(out, c.w)
		}
	}
	return out
}

func sameStem(a, b string) bool {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n >= 4 && n >= min(len(a), len(b))-2
}

// styleNorm is how the book's speakers talk on the whole, to read one against.
type styleNorm struct {
	formality, length float64
}

// formality rises with formal words and long words.
func (s speechStats) formality() float64 {
	n := float64(max(1, s.total))
	return float64(s.letters)/n + 20*float64(s.formal)/n
}

func (s speechStats) medianLength() int {
	if len(s.lengths) == 0 {
		return 0
	}
	l := slices.Clone(s.lengths)
	slices.Sort(l)
	return l[len(l)/2]
}

// habits are the most used of a pattern's forms in the lines, each used twice at least.
func habits(re *regexp.Regexp, lines []string, n int) []string {
	count := map[string]int{}
	for _, l := range lines {
		for _, m := range re.FindAllString(l, -1) {
			count[strings.ToLower(strings.TrimRight(m, "!,?"))]++
		}
	}
	var out []string
	for f, k := range count {
		if k >= 2 && float64(k) >= 0.02*float64(len(lines)) {
			out = append(out, capitalI.ReplaceAllString(f, "I"))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ci, cj := count[strings.ToLower(out[i])], count[strings.ToLower(out[j])]
		if ci != cj {
			return ci > cj
		}
		return out[i] < out[j]
	})
	return out[:min(n, len(out))]
}

// describeStyle writes how a character talks as a reader would put it: register, length,
// habits, favourite words and a line or two of theirs.
func describeStyle(own speechStats, norm styleNorm, favourite []string, possessive string) string {
	if len(own.lines) == 0 {
		return "Seldom speaks in the book, and then in few words."
	}
	var b strings.Builder
	b.WriteString("Speaks ")
	switch f := own.formality(); {
	case float64(own.contract)/float64(max(1, own.total)) > 0.03:
		b.WriteString("in a loose, colloquial way, full of contractions")
	case f > norm.formality*1.04:
		b.WriteString("in a formal, well-turned register")
	case f < norm.formality*0.96:
		b.WriteString("in plain, everyday words")
	default:
		b.WriteString("in the easy, correct manner of the book's company")
	}
	// Length against the book's other speakers first: in a novel of long speeches a
	// character of a few sentences is the brief one.
	switch med := own.medianLength(); {
	case med <= 6 || float64(med) < 0.6*norm.length:
		b.WriteString(", in short remarks")
	case float64(med) > 1.5*norm.length || med > 40:
		b.WriteString(", at length, in long speeches")
	case med <= 14:
		b.WriteString(", in brief sentences")
	default:
		b.WriteString(", in full, rounded sentences")
	}
	share := func(k int) float64 { return float64(k) / float64(len(own.lines)) }
	var tics []string
	switch q := share(own.questions); {
	case q >= 0.3:
		tics = append(tics, "asks a great many questions")
	case q >= 0.18:
		tics = append(tics, "often answers with a question")
	}
	switch e := share(own.exclaims); {
	case e >= 0.3:
		tics = append(tics, "exclaims freely")
	case e >= 0.15:
		tics = append(tics, "is given to exclamations")
	}
	if len(tics) > 0 {
		b.WriteString("; " + strings.Join(tics, " and "))
	}
	b.WriteString(".")
	if addr := habits(addressForms, own.lines, 2); len(addr) > 0 {
		b.WriteString(" Addresses people as " + quoteList(addr, "or") + ".")
	}
	if o := habits(oaths, own.lines, 2); len(o) > 0 {
		b.WriteString(" Often says " + quoteList(o, "and") + ".")
	}
	if len(favourite) > 0 {
		b.WriteString(" Favourite words: " + quoteList(favourite, "and") + ".")
	}
	if ex := examples(own.lines, favourite); len(ex) > 0 {
		// The last line quoted ends the paragraph with its own stop.
		b.WriteString(" In " + possessive + " own words: " + quoteList(ex, "or"))
	}
	return b.String()
}

// examples are one or two short, whole lines of the speaker's, those with a favourite
// word first.
func examples(lines []string, favourite []string) []string {
	type cand struct {
		line string
		fav  bool
	}
	var cs []cand
	for _, l := range lines {
		n := len(wordsOf(l))
		last, _ := utf8.DecodeLastRuneInString(l)
		first, _ := utf8.DecodeRuneInString(l)
		if n < 5 || n > 18 || !strings.ContainsRune(".!?", last) || !unicode.IsUpper(first) {
			continue
		}
		fav := false
		for _, w := range wordsOf(strings.ToLower(l)) {
			fav = fav || slices.Contains(favourite, w)
		}
		cs = append(cs, cand{l, fav})
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		switch {
		case a.fav == b.fav:
			return 0
		case a.fav:
			return -1
		}
		return 1
	})
	var out []string
	for _, c := range cs[:min(2, len(cs))] {
		out = append(out, strings.TrimRight(c.line, " "))
	}
	return out
}

// quoteList writes “a”, “b” and “c”.
func quoteList(items []string, conj string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = "“" + it + "”"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}

// stopWords are too common to be anyone's favourite.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`about above after again against all also although always among another
		any anybody anyone anything are aren't because been before being below between both cannot could couldn't
		didn't does doesn't doing done down during each either else enough even ever every everybody everything
		from further have having here hers herself himself into itself just know less like made make many might
		more most much must myself never none nothing often once only other others ought ours ourselves over
		perhaps quite rather really said same shall should since some something soon still such than that that's
		their theirs them themselves then there there's these they think this those though through thus till
		under until upon very want well were what when where whether which while whom whose will with without
		won't would wouldn't your yours yourself yourselves come came goes going gone shall tell told thing things
		time times good great little long last first dear sure think thought though back away again
		give gave take took knew known seen seem seems seemed cannot can't i'm i've i'll you're you'll he's she's
		it's we're they're let's isn't wasn't weren't hasn't haven't hadn't shan't mine yes`) {
		m[w] = true
	}
	return m
}()

// style is how a cast member talks, compared with the book's other speakers.
func (b *book) style(c analysis.Character) string {
	if b.speech == nil {
		b.speech = map[int]speechStats{}
		lines := map[int][]string{}
		for _, u := range b.said {
			lines[u.speaker] = append(lines[u.speaker], u.text)
		}
		b.allWords = map[string]int{}
		var formality, length []float64
		for id, ls := range lines {
			st := statsOf(ls)
			b.speech[id] = st
			b.allTotal += st.total
			for w, n := range st.words {
				b.allWords[w] += n
			}
			if len(ls) >= 5 {
				formality, length = append(formality, st.formality()), append(length, float64(st.medianLength()))
			}
		}
		b.norm = styleNorm{formality: median(formality), length: median(length)}
	}
	own := b.speech[c.ID]
	return describeStyle(own, b.norm, favouriteWords(own, b.allWords, b.allTotal), possessive(c.Gender))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}
