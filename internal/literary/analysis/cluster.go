package analysis

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// form is one distinct surface form of a name ("Mr. Darcy", "Lizzy").
type form struct {
	key    string
	hon    string   // honorific key, "" if none
	words  []string // name words as written
	lws    []string // lower-cased name words
	count  int
	first  int32 // token index of the first occurrence
	entity int   // owning entity, -1 until clustered
	plural bool  // a family plural, never a character
	// assumed marks a name its owner is said to go under (a pen name):
	// an alias, never the name the character is shown by.
	assumed bool
	// aged counts the occurrences after "old" or "elder" (aged[ageElder])
	// and after "young" or "younger" (aged[ageYounger]).
	aged [3]int
}

// Entity kinds, by the strongest form that founded them.
const (
	entFull  = iota // given name + surname ("Elizabeth Bennet")
	entHon          // honorific + one word ("Mr. Bennet", "Lady Lucas")
	entTitle        // a bare title used as a name ("the Queen")
	entBare         // a single word ("Alice", "Kitty")
)

type entity struct {
	id      int
	kind    int
	forms   []*form
	given   string // lower case, "" if unknown
	surname string // lower case, "" if unknown
	hons    map[string]int
	gender  string
	merged  int // entity this one was folded into, -1 if none
}

func (e *entity) count() int {
	n := 0
	for _, f := range e.forms {
		n += f.count
	}
	return n
}

// hasHonClass reports whether the entity was ever named with a title of the
// given class ("Mrs", "Miss", "Colonel").
func (e *entity) hasHonClass(c string) bool { return e.hons[c] > 0 }

// married reports whether the entity carries a married woman's title.
func (e *entity) married() bool { return e.hasHonClass("Mrs") || e.hasHonClass("Lady") }

type clusterer struct {
	forms     map[string]*form
	order     []*form // forms by descending count
	ents      []*entity
	byFull    map[string]*entity // given|surname
	byHon     map[string]*entity // class + " " + word
	byTitle   map[string]*entity
	byGiven   map[string][]*entity // entities by given name, in creation order
	bySurname map[string][]*entity
	// surnames holds every word used as a surname: the last word of a
	// multi-word name or a word after a surname-only title.
	surnames map[string]bool
	// wives holds the forms naming a wife after her husband's full name
	// ("Mrs. John Knightley"), by surname.
	wives map[string][]*form
	// placeWords counts the lower-cased words of place names ("Port
	// Burdock").
	placeWords map[string]int
	// formerNames pairs the form keys of a name and another the text gives
	// for the same person ("Morris Bolter, late Claypole").
	formerNames [][2]string
}

// setNames records an entity's given name and surname and indexes them.
func (c *clusterer) setNames(e *entity, given, surname string) {
	if given != "" && e.given != given {
		e.given = given
		c.byGiven[given] = append(c.byGiven[given], e)
	}
	if surname != "" && e.surname != surname {
		e.surname = surname
		c.bySurname[surname] = append(c.bySurname[surname], e)
	}
}

// formalTargets lists the formal given names already known that w may be a
// familiar form of ("lizzy", "eliza" → "elizabeth") or a part of
// ("bienvenu" → "charles-françois-bienvenu"), w itself aside (the table
// lists "lucy" under "lucy").
func (c *clusterer) formalTargets(w string) []string {
	var out []string
	for _, g := range diminutives[w] {
		if g != w && len(c.byGiven[g]) > 0 {
			out = append(out, g)
		}
	}
	if len([]rune(w)) >= 4 {
		for g := range c.byGiven {
			if longFormOf(g, w) && !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	sort.Strings(out)
	return out
}

// byID sorts entities by creation order, for deterministic choices.
func byID(es []*entity) []*entity {
	sort.Slice(es, func(i, j int) bool { return es[i].id < es[j].id })
	return es
}

func genderOK(e *entity, g string) bool { return g == "" || e.gender == "" || e.gender == g }

// surnameParticle reports whether the lower-case word opens a surname: "de",
// "van" or a saint's "St." ("Lord St. Simon" is no Simon).
func surnameParticle(w string) bool {
	return nameParticles[w] || w == "st." || w == "ste." || w == "saint"
}

// givenSurname splits a multi-word name into its given name and surname; a
// particle starts the surname ("Catherine de Bourgh").
func givenSurname(lws []string) (string, string) {
	if nameParticles[lws[0]] {
		return "", strings.Join(lws, " ")
	}
	for k := 1; k < len(lws); k++ {
		if nameParticles[lws[k]] {
			return lws[0], strings.Join(lws[k:], " ")
		}
	}
	return lws[0], lws[len(lws)-1]
}

// formalGiven maps a familiar given name onto one of the formal names in
// pool: through the diminutive table ("lizzy" → "elizabeth"), as a long
// enough prefix ("eliza" → "elizabeth") or as one part of a hyphenated name
// ("bienvenu" → "charles-françois-bienvenu"). It returns "" if none fits.
func formalGiven(w string, pool []string) string {
	for _, g := range diminutives[w] {
		for _, p := range pool {
			if p == g {
				return p
			}
		}
	}
	if len([]rune(w)) >= 4 {
		for _, p := range pool {
			if longFormOf(p, w) {
				return p
			}
		}
	}
	return ""
}

// longFormOf reports whether the given name g is a longer form of w: it
// begins with w ("elizabeth" of "eliza") or has it as one part of a
// hyphenated name ("charles-françois-bienvenu" of "bienvenu").
func longFormOf(g, w string) bool {
	if len(g) <= len(w) {
		return false
	}
	if strings.HasPrefix(g, w) {
		return true
	}
	if !strings.Contains(g, "-") {
		return false
	}
	for part := range strings.SplitSeq(g, "-") {
		if part == w {
			return true
		}
	}
	return false
}

// sharedFormal returns the formal name that the familiar given name w and
// another of pool both stand for ("Tom" and "Tommy" for Thomas), when
// there is exactly one: two familiar forms of one name with one surname
// are one person.
func sharedFormal(w string, pool []string) string {
	out := ""
	for _, g := range diminutives[w] {
		for _, p := range pool {
			if p != w && slices.Contains(diminutives[p], g) {
				if out != "" && out != g {
					return ""
				}
				out = g
			}
		}
	}
	return out
}

func nameGender(w string) string {
	switch {
	case femaleNames[w] && !maleNames[w]:
		return "female"
	case maleNames[w] && !femaleNames[w]:
		return "male"
	}
	// A diminutive takes the gender its formal names agree on; the first
	// alone may be missing from the lists ("Minnie": Wilhelmina, Mary).
	g := ""
	for _, f := range diminutives[w] {
		switch fg := nameGender(f); {
		case fg == "":
		case g == "":
			g = fg
		case fg != g:
			return ""
		}
	}
	return g
}

func (c *clusterer) newEntity(kind int) *entity {
	e := &entity{id: len(c.ents), kind: kind, hons: map[string]int{}, merged: -1}
	c.ents = append(c.ents, e)
	return e
}

func (c *clusterer) attach(e *entity, f *form) {
	f.entity = e.id
	e.forms = append(e.forms, f)
	if f.hon != "" {
		h := honorifics[f.hon]
		e.hons[h.class] += f.count
		if e.gender == "" {
			e.gender = h.gender
		}
	}
}

// buildForms collects the distinct surface forms of the name runs.
func buildForms(runs []nameRun) *clusterer {
	c := &clusterer{forms: map[string]*form{}, byFull: map[string]*entity{}, byHon: map[string]*entity{},
		byTitle: map[string]*entity{}, byGiven: map[string][]*entity{}, bySurname: map[string][]*entity{},
		surnames: map[string]bool{}, wives: map[string][]*form{}, placeWords: map[string]int{}}
	for i := range runs {
		r := &runs[i]
		if r.place {
			for _, w := range r.words {
				c.placeWords[strings.ToLower(w)]++
			}
		}
		if r.place || initialsOnly(r.words) {
			continue
		}
		k := r.key()
		f := c.forms[k]
		if f == nil {
			// A particle and what follows form one surname unit: "Catherine
			// de Bourgh" is given "Catherine", surname "de Bourgh".
			words := r.words
			for j, w := range words {
				if surnameParticle(strings.ToLower(w)) {
					words = append(append([]string(nil), words[:j]...), strings.Join(words[j:], " "))
					break
				}
			}
			f = &form{key: k, hon: r.hon, words: words, first: r.tokS, entity: -1}
			f.lws = make([]string, len(words))
			for j, w := range words {
				f.lws[j] = strings.ToLower(w)
			}
			c.forms[k] = f
		}
		f.count++
		f.aged[r.age]++
		if r.formerOf >= 0 {
			if p := &runs[r.formerOf]; !p.place && !initialsOnly(p.words) {
				c.formerNames = append(c.formerNames, [2]string{p.key(), k})
			}
		}
	}
	for _, f := range c.forms {
		c.order = append(c.order, f)
	}
	sort.Slice(c.order, func(i, j int) bool {
		a, b := c.order[i], c.order[j]
		if a.count != b.count {
			return a.count > b.count
		}
		return a.first < b.first
	})
	return c
}

// ofForm reports whether f is a head noun or a title and its "of"
// complement ("Ghost of Christmas Past", "Duchess of Harley").
func ofForm(f *form) bool {
	if f.hon != "" {
		return len(f.lws) >= 2 && f.lws[0] == "of"
	}
	return len(f.lws) >= 3 && f.lws[1] == "of"
}

// initialsOnly reports whether a name is made of single letters ("Colonel
// F."), which stand for a name withheld, not a name.
func initialsOnly(words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if len([]rune(w)) > 1 {
			return false
		}
	}
	return true
}

// markPlurals flags family plurals ("the Lucases", "Miss Bennets"): a
// single word that is another name word plus -s or -es, as common as it,
// and any name under a plural title ("Messrs. Blathers and Duff").
func (c *clusterer) markPlurals() {
	words := map[string]int{}
	for _, f := range c.order {
		for _, w := range f.lws {
			words[w] += f.count
		}
	}
	titled := map[string]int{} // class + " " + word → count of the titled one-word forms
	for _, f := range c.order {
		if f.hon != "" && len(f.lws) == 1 {
			titled[honorifics[f.hon].class+" "+f.lws[0]] += f.count
		}
	}
	for _, f := range c.order {
		if f.hon != "" && honorifics[f.hon].class == "Messrs" {
			// "Messrs. Blathers and Duff", "the Misses Cuss".
			f.plural = true
			continue
		}
		if len(f.lws) != 1 {
			continue
		}
		w := f.lws[0]
		for _, suf := range []string{"es", "s"} {
			// A title before the plural of a name it also takes ("the
			// Miss Alans" beside "Miss Alan") names the family even when
			// the singular is the rarer; a stray "Mr. Sike" beside many
			// "Mr. Sikes" is a misspelling.
			if b, ok := strings.CutSuffix(w, suf); ok && (words[b] >= f.count || f.hon != "" && 4*titled[honorifics[f.hon].class+" "+b] >= f.count) {
				f.plural = true
			}
		}
	}
}

// cluster groups forms into entities: full names first, then titled forms,
// bare titles and finally single words, each attached to the unique
// compatible entity already built when there is one.
func (c *clusterer) cluster() {
	for _, f := range c.order {
		if ofForm(f) {
			// A figure named by a description ("Ghost of Christmas Past",
			// "Duchess of Harley") has neither given name nor surname. One
			// named after a person ("Spirit of Tiny Tim") is a figure of
			// speech; a title may well be named after a place that is also
			// its holder's name ("Monmouth").
			if f.hon != "" || c.forms[strings.Join(f.words[2:], " ")] == nil {
				c.attach(c.newEntity(entFull), f)
			}
			continue
		}
		if len(f.lws) >= 2 {
			c.surnames[f.lws[len(f.lws)-1]] = true
		}
		if len(f.lws) == 1 && f.hon != "" && !honorifics[f.hon].givenOK {
			c.surnames[f.lws[0]] = true
		}
	}
	c.markPlurals()
	c.clusterFull()
	for _, f := range c.order {
		if f.hon != "" && len(f.words) == 1 && !f.plural {
			c.clusterHon(f)
		}
	}
	c.mergeParentTitles()
	for _, f := range c.order {
		if wifeForm(f) {
			c.clusterWife(f)
		}
	}
	for _, f := range c.order {
		if f.hon != "" && len(f.words) == 0 {
			c.clusterTitle(f)
		}
	}
	for _, f := range c.order {
		if f.hon == "" && len(f.words) == 1 && !f.plural {
			c.clusterBare(f)
		}
	}
	c.mergeFormerNames()
}

// militaryRanks are ranks a family holds one member at a time: of several
// full names of one surname, none called so, "Colonel Pontmercy" is not
// simply the most named (Marius) but may be his father Georges.
var militaryRanks = wordSet("Colonel", "Captain", "Major", "General", "Lieutenant", "Admiral", "Sergeant", "Corporal")

// parentTitleOf maps a parent's title used as a title of respect ("Father
// Madeleine", "Mother Plutarque") to the plain title of the same person.
var parentTitleOf = map[string]string{"Father": "Mr", "Mother": "Mrs"}

// mergeParentTitles joins "Father <w>" to "Mr. <w>" (and "Mother <w>" to
// "Mrs. <w>"): the poor call M. Madeleine "Father Madeleine", and no one
// is called by the bare word "Father" before another man's surname.
func (c *clusterer) mergeParentTitles() {
	keys := slices.Sorted(maps.Keys(c.byHon))
	for _, key := range keys {
		class, w, _ := strings.Cut(key, " ")
		plain, ok := parentTitleOf[class]
		if !ok {
			continue
		}
		dst := c.byHon[plain+" "+w]
		if dst == nil {
			continue
		}
		src, into := c.ents[c.resolve(c.byHon[key].id)], c.ents[c.resolve(dst.id)]
		if src != into {
			c.merge(src, into)
		}
	}
}

// mergeFormerNames makes one person of the names the text states are one
// ("Mr. Claypole, otherwise Bolter"), the less named joining the more.
func (c *clusterer) mergeFormerNames() {
	for _, p := range c.formerNames {
		a, b := c.forms[p[0]], c.forms[p[1]]
		if a.entity < 0 || b.entity < 0 {
			continue
		}
		ea, eb := c.ents[c.resolve(a.entity)], c.ents[c.resolve(b.entity)]
		if ea == eb {
			continue
		}
		if ea.count() < eb.count() {
			ea, eb = eb, ea
		}
		c.merge(eb, ea)
	}
}

func (c *clusterer) clusterFull() {
	bySurname := map[string][]*form{}
	var surnames []string
	for _, f := range c.order {
		if len(f.words) < 2 || ofForm(f) {
			continue
		}
		if wifeForm(f) {
			c.wives[f.lws[1]] = append(c.wives[f.lws[1]], f)
			continue // clusterWife
		}
		g, s := givenSurname(f.lws)
		if g == s {
			// "called Scrooge Scrooge": a repetition, not a name.
			f.plural = true
			continue
		}
		if bySurname[s] == nil {
			surnames = append(surnames, s)
		}
		bySurname[s] = append(bySurname[s], f)
	}
	for _, s := range surnames {
		fs := bySurname[s]
		var givens []string
		seen := map[string]bool{}
		for _, f := range fs {
			if !seen[f.lws[0]] {
				seen[f.lws[0]] = true
				givens = append(givens, f.lws[0])
			}
		}
		for _, f := range fs {
			g := f.lws[0]
			familiar := false
			if fg := formalGiven(g, givens); fg != "" {
				g = fg
			} else if fg := sharedFormal(g, givens); fg != "" {
				g, familiar = fg, true
			}
			key := g + "|" + s
			e := c.byFull[key]
			if e == nil {
				e = c.newEntity(entFull)
				c.setNames(e, g, s)
				c.byFull[key] = e
			}
			// Known only by familiar forms, he is what a bare "Tom" names.
			if familiar && !slices.Contains(c.byGiven[f.lws[0]], e) {
				c.byGiven[f.lws[0]] = append(c.byGiven[f.lws[0]], e)
			}
			c.attach(e, f)
		}
	}
	for _, e := range c.ents {
		if e.gender == "" {
			e.gender = nameGender(e.given)
		}
	}
}

// wifeForm reports whether f names a married woman by her husband's full
// name ("Mrs. John Knightley", "Mrs. Alexander Spencer"): a married title
// before a man's given name. She is not the man himself.
func wifeForm(f *form) bool {
	return f.hon != "" && honorifics[f.hon].class == "Mrs" && len(f.lws) == 2 && nameGender(f.lws[0]) == "male"
}

// clusterWife gives "Mrs. <his name> <Surname>" to the woman called "Mrs.
// <Surname>", or makes her one.
func (c *clusterer) clusterWife(f *form) {
	s := f.lws[1]
	key := "Mrs " + s
	e := c.byHon[key]
	if e == nil {
		e = c.newEntity(entHon)
		c.byHon[key] = e
		c.setNames(e, "", s)
	}
	c.attach(e, f)
}

// eldest picks, among unmarried women sharing a surname, the one "Miss
// <Surname>" refers to. By English usage the eldest unmarried daughter is
// "Miss Bennet" and her younger sisters "Miss Elizabeth", "Miss Lydia"; so the
// candidate least often called "Miss <Given>" relative to how often she is
// named at all is the eldest.
func (c *clusterer) eldest(cands []*entity) *entity {
	var best *entity
	bestRatio := 0.0
	for _, e := range cands {
		miss, named := 0, 0
		for _, f := range c.order {
			if len(f.lws) == 0 || f.entity >= 0 && f.entity != e.id {
				continue
			}
			w := f.lws[0]
			if w != e.given && formalGiven(w, []string{e.given}) != e.given {
				continue
			}
			named += f.count
			if f.hon != "" && honorifics[f.hon].class == "Miss" && len(f.lws) == 1 {
				miss += f.count
			}
		}
		ratio := (float64(miss) + 0.5) / (float64(named) + 1)
		if best == nil || ratio < bestRatio {
			best, bestRatio = e, ratio
		}
	}
	return best
}

// dominant returns the candidate with the largest score if it is at least
// twice the runner-up, else nil.
func dominant(cands []*entity, score func(*entity) int) *entity {
	var best *entity
	bs, second := -1, -1
	for _, e := range cands {
		s := score(e)
		switch {
		case s > bs:
			best, second, bs = e, bs, s
		case s > second:
			second = s
		}
	}
	if best == nil || (second > 0 && bs < 2*second) {
		return nil
	}
	return best
}

func (c *clusterer) clusterHon(f *form) {
	h := honorifics[f.hon]
	w := f.lws[0]
	var cands []*entity
	if h.givenOK {
		for _, g := range append([]string{w}, c.formalTargets(w)...) {
			for _, e := range c.byGiven[g] {
				if e.kind == entFull && genderOK(e, h.gender) {
					cands = append(cands, e)
				}
			}
		}
		// A daughter or son of the house called "Miss Louisa" or "Master
		// Thomas" may be the one whose full name gives a familiar form of
		// it ("Loo Gradgrind"). A title of rank ("Prince Edward") is not so
		// used.
		if len(cands) == 0 && (h.class == "Miss" || h.class == "Master") {
			for _, e := range c.ents {
				if e.kind == entFull && e.merged < 0 && genderOK(e, h.gender) && slices.Contains(diminutives[e.given], w) {
					cands = append(cands, e)
				}
			}
		}
		cands = byID(cands)
	}
	surnameRole := false
	// "Old Mr. Emerson" and "young Mr. Emerson" are father and son: the
	// plain title names the elder, who is no full name of that surname
	// found only for the son ("George Emerson").
	twoGenerations := f.aged[ageElder] > 0 && f.aged[ageYounger] > 0
	if len(cands) == 0 && !twoGenerations {
		surnameRole = true
		for _, e := range c.bySurname[w] {
			if e.kind != entFull || !genderOK(e, h.gender) {
				continue
			}
			// A gendered title does not join someone of unknown gender who
			// already bears other titles ("Miss Roylott" is not "Dr.
			// Grimesby Roylott").
			if h.gender != "" && e.gender == "" && len(e.hons) > 0 {
				continue
			}
			switch h.class {
			case "Mrs", "Lady":
				// A married title only joins a full name that itself carried
				// one: "Elizabeth Bennet" is not "Mrs. Bennet".
				if !e.married() {
					continue
				}
			case "Miss":
				if e.married() {
					continue
				}
			default:
				if e.hasHonClass("Miss") || e.married() || c.youngerSon(e, f) {
					continue
				}
			}
			cands = append(cands, e)
		}
	}
	var pick *entity
	switch {
	case len(cands) == 1:
		pick = cands[0]
	case len(cands) > 1:
		var same []*entity
		for _, e := range cands {
			if e.hasHonClass(h.class) {
				same = append(same, e)
			}
		}
		switch {
		case len(same) == 1:
			pick = same[0]
		case surnameRole && h.class == "Miss":
			pick = c.eldest(cands)
		default:
			// Of several given the title, the one far most often so
			// called ("Mr. Thaddeus Sholto" beside a single "Mr.
			// Bartholomew Sholto") is the one it names alone.
			pick = dominant(same, func(e *entity) int { return e.hons[h.class] })
			if pick == nil && !(surnameRole && len(same) == 0 && militaryRanks[h.class]) {
				pick = dominant(cands, (*entity).count)
			}
		}
	}
	if pick == nil && len(cands) == 0 && surnameTitle(f.hon) && !h.givenOK && nameGender(w) != "" && !c.fullSurname(w) && c.byHon[h.class+" "+w] == nil {
		// "Monsieur Marius", "Mr. Tom": a title that takes surnames, before
		// a common given name no full name ends with, is that name's
		// owner's.
		var owners []*entity
		for _, e := range c.byGiven[w] {
			if e.kind == entFull && genderOK(e, h.gender) {
				owners = append(owners, e)
			}
		}
		pick = dominant(owners, (*entity).count)
	}
	if pick != nil {
		c.attach(pick, f)
		return
	}
	key := h.class + " " + w
	e := c.byHon[key]
	if e == nil {
		e = c.newEntity(entHon)
		c.byHon[key] = e
		if h.givenOK && !c.surnames[w] && (c.isGiven(w) || nameGender(w) != "") {
			c.setNames(e, w, "")
		} else {
			c.setNames(e, "", w)
		}
	}
	c.attach(e, f)
	if e.gender == "" && e.given != "" {
		e.gender = nameGender(e.given)
	}
}

// youngerSon reports whether e is a younger son, not the man a plain "Mr.
// <Surname>" (f) names: his wife is regularly called by his given name
// ("Mrs. John Knightley"), which English usage keeps for a younger son's
// wife so that she is not taken for the wife of the head of the family,
// who is plain "Mr. Knightley".
func (c *clusterer) youngerSon(e *entity, f *form) bool {
	if honorifics[f.hon].class != "Mr" {
		return false
	}
	for _, w := range c.wives[f.lws[0]] {
		if w.count < 3 {
			continue
		}
		for _, g := range e.forms {
			if len(g.lws) >= 2 && g.lws[0] == w.lws[0] {
				return true
			}
		}
	}
	return false
}

// fullSurname reports whether w is the surname of a full name.
func (c *clusterer) fullSurname(w string) bool {
	for _, e := range c.bySurname[w] {
		if e.kind == entFull {
			return true
		}
	}
	return false
}

// isGiven reports whether w is the given name of a full name.
func (c *clusterer) isGiven(w string) bool {
	for _, e := range c.byGiven[w] {
		if e.kind == entFull {
			return true
		}
	}
	return false
}

func (c *clusterer) clusterTitle(f *form) {
	h := honorifics[f.hon]
	var cands []*entity
	for _, e := range c.ents {
		if e.merged < 0 && e.hasHonClass(h.class) && e.kind != entTitle {
			cands = append(cands, e)
		}
	}
	if len(cands) > 0 {
		if pick := dominant(cands, func(e *entity) int { return e.hons[h.class] }); pick != nil {
			c.attach(pick, f)
		}
		return
	}
	e := c.byTitle[h.class]
	if e == nil {
		e = c.newEntity(entTitle)
		c.byTitle[h.class] = e
	}
	c.attach(e, f)
}

// wordScore is how often the entity's forms contain the word w.
func wordScore(e *entity, w string) int {
	n := 0
	for _, f := range e.forms {
		for _, x := range f.lws {
			if x == w {
				n += f.count
				break
			}
		}
	}
	return n
}

func (c *clusterer) clusterBare(f *form) {
	w := f.lws[0]
	if p, _, ok := strings.Cut(w, " "); ok && surnameParticle(p) {
		// "St. Clair" alone is someone's surname or a place (St. Paul's).
		if es := c.bySurname[w]; len(es) > 0 {
			c.attach(byID(append([]*entity(nil), es...))[0], f)
		}
		return
	}
	// A pet form made of a given name ("Anne-girl", "Davy-boy") is its
	// bearer's.
	for _, suf := range []string{"-girl", "-boy"} {
		if base, ok := strings.CutSuffix(w, suf); ok {
			var bearers []*entity
			for _, e := range c.byGiven[base] {
				if e.merged < 0 && e.kind != entTitle {
					bearers = append(bearers, e)
				}
			}
			if e := dominant(bearers, (*entity).count); e != nil {
				c.attach(e, f)
				return
			}
		}
	}
	g := nameGender(w)
	// A formal name may belong to the one person known by a familiar form
	// of it ("Catherine" is "Kitty").
	var familiar []*entity
	for _, e := range c.ents {
		if e.merged < 0 && e.given != "" && e.given != w && genderOK(e, g) && slices.Contains(diminutives[e.given], w) {
			familiar = append(familiar, e)
		}
	}
	famPick := dominant(familiar, (*entity).count)
	var given, surnameMale, surnameOther []*entity
	usable := func(e *entity) bool { return e.merged < 0 && e.kind != entBare && e.kind != entTitle }
	for _, e := range c.byGiven[w] {
		// Someone always titled by rank ("Lady Catherine") is not the bare
		// "Catherine" when someone else goes by a familiar form of it.
		if usable(e) && (famPick == nil || !c.titledGiven(e)) {
			given = append(given, e)
		}
	}
	// Among namesakes ("Jack Ketch"), one whose full name gives the word as
	// a familiar form of his own ("Jack Dawkins", also "John Dawkins") is
	// a candidate too, the most often so called winning below; unless the
	// word alone is commoner than in his full names: then it is a name of
	// its own, as a son's "Tom" beside his father's "Tom Gradgrind".
	if len(given) > 0 {
		for _, e := range c.familiarHolders(w) {
			if usable(e) && wordScore(e, w) >= f.count && !slices.Contains(given, e) {
				given = append(given, e)
			}
		}
	}
	for _, e := range c.bySurname[w] {
		if usable(e) && e.given != w && !c.peerOfPlace(e, w, f) {
			// A bare surname names a man far more often than a woman.
			if e.gender == "female" {
				surnameOther = append(surnameOther, e)
			} else {
				surnameMale = append(surnameMale, e)
			}
		}
	}
	if son := elderSon(surnameMale, w); son != nil {
		surnameMale = []*entity{son}
	}
	cands := append(given, surnameMale...)
	if len(surnameMale) == 0 {
		cands = append(cands, surnameOther...)
	}
	if len(cands) > 0 {
		// The entity most often named with this word wins, with a small
		// prior for prominence so that a full name seen once (an author's
		// byline, a passing namesake) does not capture the protagonist.
		var best *entity
		bs := -1.0
		for _, e := range cands {
			if s := float64(wordScore(e, w)) + float64(e.count())/20; s > bs {
				best, bs = e, s
			}
		}
		c.attach(best, f)
		return
	}
	// A familiar form ("Lizzy", "Harry") joins the owner of the formal
	// given name, unless that person is always titled by rank ("Lady
	// Catherine" is not the "Kitty" of the story) and never called by the
	// familiar form itself.
	var dims []*entity
	var pool []*entity
	for _, t := range c.formalTargets(w) {
		pool = append(pool, c.byGiven[t]...)
	}
	for _, e := range byID(pool) {
		if e.merged >= 0 || e.given == w || !genderOK(e, g) {
			continue
		}
		if c.titledGiven(e) && wordScore(e, w) == 0 {
			continue
		}
		dims = append(dims, e)
	}
	if pick := dominant(dims, func(e *entity) int { return wordScore(e, e.given) }); pick != nil {
		c.attach(pick, f)
		return
	}
	if famPick != nil {
		c.attach(famPick, f)
		return
	}
	e := c.newEntity(entBare)
	if c.surnames[w] {
		c.setNames(e, "", w)
	} else {
		c.setNames(e, w, "")
	}
	e.gender = nameGender(w)
	c.attach(e, f)
}

// elderSon picks, among the men bearing the surname w, the son of a father
// and son set apart by age ("old Mr. Emerson", "young Mr. Emerson"): the
// plain title is the father's, so the one other man of the surname known
// by a full name ("George Emerson") is the son, and the bare surname, as
// his companions call a young man, is his. It returns nil otherwise.
func elderSon(men []*entity, w string) *entity {
	var father, son *entity
	for _, e := range men {
		elder := false
		for _, f := range e.forms {
			if f.hon != "" && honorifics[f.hon].class == "Mr" && len(f.lws) == 1 && f.lws[0] == w && f.aged[ageElder] > 0 && f.aged[ageYounger] > 0 {
				elder = true
			}
		}
		switch {
		case elder && father == nil:
			father = e
		case elder:
			return nil
		case e.kind == entFull && son == nil:
			son = e
		case e.kind == entFull:
			return nil
		}
	}
	if father == nil {
		return nil
	}
	return son
}

// familiarHolders lists the entities of a formal given name that hold a
// full name opening with w, a familiar form of it ("Jack Dawkins" for
// John Dawkins).
func (c *clusterer) familiarHolders(w string) []*entity {
	var out []*entity
	for _, t := range c.formalTargets(w) {
		for _, e := range c.byGiven[t] {
			if wordScore(e, w) > 0 && !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// peerages are the titles of the peerage, which are often named after a
// place; a knight's "Sir" is his own name.
var peerages = wordSet("Lord", "Duke", "Duchess", "Earl", "Count", "Countess", "Baron", "Baroness", "Marquis", "Marquise")

// peerOfPlace reports whether e holds the word w only under a title of
// the peerage and w names a place as often as it stands alone (f): a peerage
// takes its name from a place ("Lord Burdock" beside "Port Burdock"), so
// the bare word is the place.
func (c *clusterer) peerOfPlace(e *entity, w string, f *form) bool {
	if 2*c.placeWords[w] < f.count {
		return false
	}
	for _, g := range e.forms {
		if slices.Contains(g.lws, w) && (g.hon == "" || !peerages[honorifics[g.hon].class]) {
			return false
		}
	}
	return true
}

// rankTitles are the titles of rank put before a given name ("Lady
// Catherine", "Sir William"). Someone always named so is seldom the person
// a bare "Catherine" or a "Kitty" names: the narrator keeps the title.
var rankTitles = wordSet("Sir", "Lady", "Lord", "Dame")

// titledGiven reports whether every form of e that holds its given name
// carries a title of rank.
func (c *clusterer) titledGiven(e *entity) bool {
	held := false
	for _, f := range e.forms {
		if len(f.lws) == 0 || f.lws[0] != e.given {
			continue
		}
		if f.hon == "" || !rankTitles[honorifics[f.hon].class] {
			return false
		}
		held = true
	}
	return held
}

// resolve follows merge links to the surviving entity.
func (c *clusterer) resolve(id int) int {
	for id >= 0 && c.ents[id].merged >= 0 {
		id = c.ents[id].merged
	}
	return id
}

// moveForm takes the untitled form f from its entity and gives it to dst.
func (c *clusterer) moveForm(f *form, dst *entity) {
	src := c.ents[c.resolve(f.entity)]
	src.forms = slices.DeleteFunc(src.forms, func(g *form) bool { return g == f })
	f.entity = dst.id
	dst.forms = append(dst.forms, f)
}

// merge folds entity src into dst.
func (c *clusterer) merge(src, dst *entity) {
	src.merged = dst.id
	for _, f := range src.forms {
		f.entity = dst.id
		dst.forms = append(dst.forms, f)
	}
	for k, v := range src.hons {
		dst.hons[k] += v
	}
	if dst.gender == "" {
		dst.gender = src.gender
	}
	src.forms = nil
}
