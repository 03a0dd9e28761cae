package llm

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// gardenCast is the cast of the garden scene the server's tests run: a peacemaker, an
// accuser, a joker and a suspect with a secret; a hostile pair (Bob and Diana) and a warm
// one (Alice and Charlie). Its members have no memories but those the scene gives them.
func gardenCast() []castMember {
	traits := func(e, a, n float64) Traits {
		return Traits{Openness: 0.5, Conscientiousness: 0.5, Extraversion: e, Agreeableness: a, Neuroticism: n}
	}
	return []castMember{
		{
			persona: Persona{Name: "Alice", Description: "A warm-hearted schoolteacher who hates quarrels", SpeakingStyle: "gentle, curious",
				Traits: traits(0.7, 0.9, 0.5), SocialEnergy: 0.8},
			role: "the peacemaker", goal: "keep everyone talking kindly",
			bonds: map[string]Bond{"Charlie": {Type: "FRIEND", Strength: 0.7, Trust: 0.8, Familiarity: 0.6}},
			focus: "Charlie",
		},
		{
			persona: Persona{Name: "Bob", Description: "A proud naval officer who feels wronged", SpeakingStyle: "blunt, clipped",
				Traits: traits(0.6, 0.2, 0.6), SocialEnergy: 0.8},
			role: "the accuser", goal: "find out who took the letter",
			bonds: map[string]Bond{"Diana": {Type: "ENEMY", Strength: -0.6, Trust: 0.2, Familiarity: 0.6}},
			focus: "Diana",
		},
		{
			persona: Persona{Name: "Charlie", Description: "Alice's oldest friend, a painter", SpeakingStyle: "playful, wordy",
				Traits: traits(0.8, 0.7, 0.5), SocialEnergy: 0.8},
			role: "the joker", goal: "lighten the mood",
			bonds: map[string]Bond{"Alice": {Type: "FRIEND", Strength: 0.7, Trust: 0.8, Familiarity: 0.6}},
			focus: "Alice",
		},
		{
			persona: Persona{Name: "Diana", Description: "A widow with something to hide", SpeakingStyle: "guarded, precise",
				Traits: traits(0.4, 0.4, 0.7), SocialEnergy: 0.8},
			role: "the suspect", goal: "deflect suspicion", secret: "I burned Captain Harville's letter in the potting shed",
			bonds: map[string]Bond{"Bob": {Type: "ENEMY", Strength: -0.5, Trust: 0.2, Familiarity: 0.6}},
			focus: "Bob",
		},
	}
}

// engineRun is a scene played as the scene engine plays it.
type engineRun struct {
	lines []SceneLine
	by    []string
	reqs  []SceneRequest
}

// playEngineScene plays n lines as the scene engine does: the last 12 lines as History
// and the characters' lines among them as Avoid, and as Memories the five of a speaker's
// memories that share most words with the last line: its hand-made ones, its secret as
// the engine states it, and every line said in its presence in the engine's forms (`I said
// to Diana: “...”`, `Bob said to me: “...”`, `Bob said to everyone: “...”`), with the
// opening and a narrator's beat halfway.
func playEngineScene(t *testing.T, cast []castMember, premise, opening string, n int, seed uint64) engineRun {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	mems := map[string][]string{}
	for _, c := range cast {
		mems[c.persona.Name] = slices.Clone(c.memories)
		if c.secret != "" {
			mems[c.persona.Name] = append(mems[c.persona.Name], secretMemoryPrefix+`"The letter": `+c.secret)
		}
	}
	history := []Turn{{Speaker: "Narrator", Text: opening}}
	narrate := func(text string) {
		history = append(history, Turn{Speaker: "Narrator", Text: text})
		for name := range mems {
			mems[name] = append(mems[name], text)
		}
	}
	for name := range mems {
		mems[name] = append(mems[name], opening)
	}
	var run engineRun
	last := -1
	for turn := 0; len(run.lines) < n; turn++ {
		if turn == n/2 {
			narrate("A storm breaks over the garden, and the lamps gutter.")
		}
		i := rng.IntN(len(cast))
		for i == last {
			i = rng.IntN(len(cast))
		}
		me := cast[i]
		var present []Present
		for _, o := range cast {
			if o.persona.Name == me.persona.Name {
				continue
			}
			p := Present{Name: o.persona.Name, Role: o.role}
			if b, ok := me.bonds[o.persona.Name]; ok {
				p.Bond = &b
			}
			if b, ok := o.bonds[me.persona.Name]; ok {
				p.BondBack = &b
			}
			present = append(present, p)
		}
		addressee := me.focus
		if last >= 0 && rng.IntN(2) == 0 {
			addressee = cast[last].persona.Name
		}
		hist := history[max(len(history)-12, 0):]
		var avoid []string
		for _, h := range hist {
			if h.Speaker != "Narrator" {
				avoid = append(avoid, h.Text)
			}
		}
		query := contentBag(hist[len(hist)-1].Text)
		recalled := slices.Clone(mems[me.persona.Name])
		// Most relevant first, the newer of two as relevant; five at most.
		score := func(m string) float64 {
			return overlap(query, contentBag(m))*float64(len(query)) + 0.01*float64(slices.Index(mems[me.persona.Name], m))
		}
		slices.SortStableFunc(recalled, func(a, b string) int {
			sa, sb := score(a), score(b)
			switch {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return 0
		})
		req := SceneRequest{
			Speaker: me.persona, Role: me.role, Goal: me.goal, Secret: me.secret,
			Setting: "Victorian Garden", Mood: "Tense", Premise: premise,
			Present: present, Addressee: addressee, Memories: recalled[:min(len(recalled), 5)],
			History: slices.Clone(hist), Avoid: avoid, Seed: int64(seed)*1_000_003 + int64(turn)*7919,
		}
		line := scene(t, req)
		run.lines = append(run.lines, line)
		run.by = append(run.by, me.persona.Name)
		run.reqs = append(run.reqs, req)
		history = append(history, Turn{Speaker: me.persona.Name, Text: line.Text})
		to := "everyone"
		if line.Addressee != "" {
			to = line.Addressee
		}
		for _, c := range cast {
			var m string
			switch name := c.persona.Name; {
			case name == me.persona.Name:
				m = fmt.Sprintf("I said to %s: \u201c%s\u201d", to, line.Text)
			case name == line.Addressee:
				m = fmt.Sprintf("%s said to me: \u201c%s\u201d", me.persona.Name, line.Text)
			default:
				m = fmt.Sprintf("%s said to %s: \u201c%s\u201d", me.persona.Name, to, line.Text)
			}
			mems[c.persona.Name] = append(mems[c.persona.Name], m)
		}
		last = i
	}
	return run
}

// engineForm matches a memory retold as the engine records it.
var engineForm = regexp.MustCompile(`said to (me|everyone|[A-Z]\w*): \x{201c}|\bI said: \x{201c}|in front of [^:]*: \x{201c}|I remember saying: \x{201c}|A secret I keep`)

// quotations matches the quotations of a line.
var quotations = regexp.MustCompile(`\x{201c}([^\x{201c}\x{201d}]*)\x{201d}`)

// checkQuoting fails unless every quotation in text is closed, none is nested, none is
// long, and no memory is told in the engine's form.
func checkQuoting(t *testing.T, text string) {
	t.Helper()
	if strings.Count(text, "\u201c") != strings.Count(text, "\u201d") || strings.Count(text, `"`)%2 != 0 {
		t.Fatalf("unbalanced quotation marks: %q", text)
	}
	depth := 0
	for _, r := range text {
		switch r {
		case '\u201c':
			if depth++; depth > 1 {
				t.Fatalf("nested quotation: %q", text)
			}
		case '\u201d':
			depth--
		}
	}
	if engineForm.MatchString(text) {
		t.Fatalf("a memory told in the engine's form: %q", text)
	}
	for _, q := range quotations.FindAllStringSubmatch(text, -1) {
		if n := len(strings.Fields(q[1])); n > 9 {
			t.Fatalf("a quotation of %d words: %q", n, text)
		}
	}
}

// TestSceneRetellsMemories proves how a memory in each of the engine's forms is told: as
// reported speech or a pointed reference, from the speaker's side (the addressee's words
// are "you said", someone else's are theirs by name, the speaker's own are "I told ..."),
// quoting only a short piece with its quotation marks closed and without the name it was
// addressed with; never the speaker's own words back to whoever heard them, never a
// secret, a line of the speaker's book, or a line that has nothing to do with the talk.
func TestSceneRetellsMemories(t *testing.T) {
	heard := []Turn{{Speaker: "Charlie", Text: "Why does everyone keep looking at the fountain?"}}
	tests := []struct {
		name, memory, to string
		told             bool           // whether it is ever told
		want             *regexp.Regexp // what a telling says, if told
		not              *regexp.Regexp // what a telling never says, if told
	}{
		{"their words to another, told to them", "Bob said to Diana: \u201cDiana, the fountain. Meet me at the fountain at midnight.\u201d", "Bob",
			true, regexp.MustCompile(`(?i)\byou\b.*(fountain|\x{201c})|\x{201c}.*\x{201d}.*\byour?\b`), regexp.MustCompile(`Bob (said|told|asked|keeps|mentioned)|Diana, the fountain|Diana, \x{201c}Diana`)},
		{"someone's words to another, told to a third", "Bob said to Diana: \u201cDiana, the fountain. Meet me at the fountain at midnight.\u201d", "Charlie",
			true, regexp.MustCompile(`Bob`), regexp.MustCompile(`(?i)\byou (said|told|asked|keep|mentioned|were)\b|Diana, the fountain`)},
		{"someone's words to the addressee", "Bob said to Diana: \u201cMeet me at the fountain at midnight.\u201d", "Diana",
			true, regexp.MustCompile(`Bob`), regexp.MustCompile(`to Diana|told Diana|asked Diana`)},
		{"their words to me, told to them", "Bob said to me: \u201cMeet me at the fountain at midnight.\u201d", "Bob",
			true, regexp.MustCompile(`(?i)\byour?\b`), regexp.MustCompile(`Bob (said|told|asked|keeps|mentioned)|told Alice`)},
		{"someone's words to everyone", "Bob said to everyone: \u201cThe fountain is where it happened.\u201d", "Charlie",
			true, regexp.MustCompile(`Bob`), regexp.MustCompile(`told everyone`)},
		{"my words to another, told to a third", "I said to Diana: \u201cThe fountain is where I saw the light.\u201d", "Bob",
			true, regexp.MustCompile(`^I (told|have said)|I (told|asked) Diana`), nil},
		{"my words, told back to whom I said them", "I said to Diana: \u201cThe fountain is where I saw the light.\u201d", "Diana", false, nil, nil},
		{"my words to everyone", "I said to everyone: \u201cThe fountain is where I saw the light.\u201d", "Bob", false, nil, nil},
		{"a secret", "A secret I keep in \"The letter\": I hid the letter in the fountain.", "Bob", false, nil, nil},
		{"my book's words", "I said: \u201cThe fountain is a melancholy place.\u201d", "Bob", false, nil, nil},
		{"my book's words, where and to whom", "At the Fountain, I told Diana, in front of Charlie: \u201cThe fountain is a melancholy place.\u201d", "Bob", false, nil, nil},
		{"my book's words before others", "I said, in front of Diana and Charlie: \u201cThe fountain is a melancholy place.\u201d", "Bob", false, nil, nil},
		{"a clipped line", "Bob said to Diana: \u201cThe fountain was empty at midnight. Then somebody came to the\u2026\u201d", "Charlie",
			true, regexp.MustCompile(`Bob`), regexp.MustCompile(`came to the`)},
		{"a line off the subject", "Bob said to Diana: \u201cThe soup is cold tonight, and the bread is stale.\u201d", "Charlie", false, nil, nil},
		{"a narrator's beat", "A storm breaks over the fountain.", "Bob", true, regexp.MustCompile(`(?i)a storm breaks over the fountain`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := castRequest(gardenCast(), 0, tt.to, heard, 0)
			req.Memories = []string{tt.memory}
			told := 0
			for seed := uint64(1); seed <= 30; seed++ {
				for _, stance := range []int{stanceHostile, stanceNeutral, stanceWarm} {
					s := newSceneComposer(req, rand.New(rand.NewPCG(seed, 1)))
					pick, ok := s.pickMemory(stance)
					if !ok {
						continue
					}
					if !tt.told {
						t.Fatalf("seed %d: told %+v", seed, pick)
					}
					d := draft{stance: stance}
					text := strings.ReplaceAll(s.memoryMove(&d, pick), "{to}", "")
					if text == "" {
						continue
					}
					told++
					checkQuoting(t, text)
					if !tt.want.MatchString(text) || tt.not != nil && tt.not.MatchString(text) {
						t.Fatalf("seed %d, stance %d: %q, want %v and not %v", seed, stance, text, tt.want, tt.not)
					}
				}
			}
			if tt.told && told == 0 {
				t.Fatalf("never told")
			}
		})
	}
}

// TestSceneTopicNotSentenceStart proves that a word capitalised only where a sentence, a
// quotation or a stage direction starts is no name to talk about, while a word capitalised
// mid-sentence somewhere, or a name, is.
func TestSceneTopicNotSentenceStart(t *testing.T) {
	tests := []struct {
		name, heard string
		memories    []string
		avoid       []string
		premise     string
		want, not   string // the topic wanted, and a word it never is
	}{
		{name: "a sentence start remembered in quotes", heard: "Fair question. Let me think how to put it.",
			memories: []string{"Charlie said to Diana: \u201cFair question. Let me think how to put it.\u201d"}, not: "Fair"},
		{name: "an imperative", heard: "Listen to Charlie, Diana.",
			memories: []string{"Bob said to Diana: \u201cListen to Charlie, Diana.\u201d", "I said to Bob: \u201cListen, all of you.\u201d"}, not: "Listen"},
		{name: "a stage direction", heard: "*Smiles* Gladly, Bob. Truly.", not: "Smiles"},
		{name: "a line quoting a line", heard: "Honestly? I hardly know where to begin.",
			avoid: []string{"Alice told Bob, \u201cHonestly? I hardly know.\u201d I have not forgotten."}, not: "Honestly"},
		{name: "a name also written mid-sentence", heard: "Pemberley is lovely in the spring.",
			premise: "They all meet again at Pemberley.", want: "Pemberley"},
		{name: "a name from a memory", heard: "Harville wrote it, I am sure.",
			memories: []string{"I saw Captain Harville in the garden."}, want: "Harville"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := castRequest(gardenCast(), 0, "Bob", []Turn{{Speaker: "Bob", Text: tt.heard}}, 1)
			req.Memories, req.Avoid = tt.memories, tt.avoid
			if tt.premise != "" {
				req.Premise = tt.premise
			}
			s := newSceneComposer(req, rand.New(rand.NewPCG(1, 1)))
			got := s.heard.topic.phrase
			if tt.not != "" && (strings.Contains(got, tt.not) || s.proper[tt.not]) {
				t.Fatalf("topic %q of %q, names %v", got, tt.heard, s.proper[tt.not])
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("topic %q of %q, want %q", got, tt.heard, tt.want)
			}
			for seed := int64(1); seed <= 20; seed++ {
				req.Seed = seed
				if line := scene(t, req); tt.not != "" && regexp.MustCompile(`[a-z,] `+tt.not+`\b`).MatchString(line.Text) {
					t.Fatalf("seed %d talks of %q: %q", seed, tt.not, line.Text)
				}
			}
		})
	}
}

// TestSceneTopicPossessive proves that a topic never ends in a possessive: the noun it
// belongs to comes with it, or, when there is none, the "'s" goes; and that a secret's
// hint is the thing, not its owner's possessive.
func TestSceneTopicPossessive(t *testing.T) {
	tests := []struct{ text, want string }{
		{"I have heard about Captain Harville's letter.", "Captain Harville's letter"},
		{"Captain Harville\u2019s letter is gone.", "Captain Harville's letter"},
		{"It was Captain Harville's, not mine.", "Captain Harville"},
		{"They found the captain's old letter by the shed.", "the captain's old letter"},
		{"She took the captain's.", "the captain"},
	}
	s := newSceneComposer(castRequest(gardenCast(), 0, "", nil, 1), rand.New(rand.NewPCG(1, 1)))
	for _, tt := range tests {
		if got := s.topicIn(tt.text, nameWords("Alice")); got.phrase != tt.want {
			t.Errorf("topicIn(%q) = %q, want %q", tt.text, got.phrase, tt.want)
		}
	}
	req := castRequest(gardenCast(), 3, "Bob", []Turn{{Speaker: "Bob", Text: "Was it Captain Harville's? Tell me, Diana."}}, 1)
	diana := newSceneComposer(req, rand.New(rand.NewPCG(1, 1)))
	if diana.secret.hint != "Captain Harville's letter" {
		t.Errorf("the hint of %q is %q", req.Secret, diana.secret.hint)
	}
	possessive := regexp.MustCompile(`\w['\x{2019}]s([.,!?;:]|$)`)
	for seed := int64(1); seed <= 40; seed++ {
		req.Seed = seed
		if line := scene(t, req); possessive.MatchString(line.Text) {
			t.Fatalf("seed %d: a possessive with nothing to possess: %q", seed, line.Text)
		}
	}
}

// TestSceneSelfStatements plays 30-line scenes as the engine does and proves what a
// reader would notice of roles and goals: no one says what its role is more than once,
// nor pastes its goal in its own words more than twice, and a memory is never told in the
// engine's form, with open quotation marks, or back to the one who said it to the
// speaker's face. A peacemaker, a joker, an accuser and a suspect pursue their goals in
// what they do: each does so at least once.
func TestSceneSelfStatements(t *testing.T) {
	tests := []struct {
		name                    string
		cast                    func() []castMember
		premise, opening        string
		pursuits                map[string]*regexp.Regexp // a character's pursuit of its goal, by what it says
		roleStatement, goalText func(castMember) string
	}{
		{
			name: "garden", cast: gardenCast,
			premise: "A letter has gone missing, and everyone suspects someone.",
			opening: "Rain clouds gather over the roses as the four meet by the fountain.",
			pursuits: map[string]*regexp.Regexp{
				"Alice":   literalsOf(peaceLines),
				"Bob":     literalsOf(probeLines),
				"Charlie": literalsOf(append(slices.Clone(jokeLines), jokeTopicLines...)),
				"Diana":   literalsOf(evadeLines),
			},
		},
		{
			name: "manor", cast: manorCast,
			premise: "The family will has gone missing the night before it was to be read.",
			opening: "The lawyers have gone, and the family waits in the garden.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				cast := tt.cast()
				run := playEngineScene(t, cast, tt.premise, tt.opening, 30, seed)
				roles, goals, pursued := map[string]int{}, map[string]int{}, map[string]int{}
				for i, l := range run.lines {
					who := run.by[i]
					me := cast[slices.IndexFunc(cast, func(c castMember) bool { return c.persona.Name == who })]
					checkQuoting(t, l.Text)
					if l.Addressee != "" && regexp.MustCompile(`\bI (told|asked) you\b|\bI said to you\b`).MatchString(l.Text) {
						t.Fatalf("seed %d, line %d: %s quotes itself back to %s: %q", seed, i+1, who, l.Addressee, l.Text)
					}
					text := normalizeLine(l.Text)
					if role := normalizeLine(strings.TrimPrefix(me.role, "the ")); role != "" && regexp.MustCompile(`\b`+role+`\b`).MatchString(text) {
						roles[who]++
					}
					if goal := normalizeLine(me.goal); strings.Contains(text, goal) {
						goals[who]++
					}
					if re := tt.pursuits[who]; re != nil && re.MatchString(l.Text) {
						pursued[who]++
					}
				}
				if seed == 1 || testing.Verbose() {
					for i, l := range run.lines {
						t.Logf("%2d %s → %s: %s", i+1, run.by[i], cmpOr(l.Addressee, "all"), l.Text)
					}
				}
				for _, c := range cast {
					name := c.persona.Name
					if roles[name] > 1 {
						t.Errorf("seed %d: %s says it is %s in %d lines", seed, name, c.role, roles[name])
					}
					if goals[name] > 2 {
						t.Errorf("seed %d: %s pastes its goal %q in %d lines", seed, name, c.goal, goals[name])
					}
					if tt.pursuits[name] != nil && pursued[name] == 0 && slices.Contains(run.by, name) {
						t.Errorf("seed %d: %s never pursued its goal %q", seed, name, c.goal)
					}
				}
			}
		})
	}
}

// literalsOf matches a line that says one of the templates: the longest fixed piece of
// each, between its slots.
func literalsOf(tmpls []string) *regexp.Regexp {
	var alts []string
	for _, tmpl := range tmpls {
		best := ""
		for _, frag := range literalFragments(strings.ReplaceAll(tmpl, "{to}", "{}")) {
			if frag = strings.Trim(frag, " ,.?!"); len(frag) > len(best) {
				best = frag
			}
		}
		if len(best) >= 8 {
			alts = append(alts, regexp.QuoteMeta(best))
		}
	}
	return regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
}

// cmpOr returns a, or b when a is empty.
func cmpOr(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// TestReaddressInitial proves that an address ending in an initial ("My dear Mr. E., you
// have not...") opens its sentence: spoken to the room it goes with its comma, spoken to
// someone it becomes their name, and no full stop is left before the comma.
func TestReaddressInitial(t *testing.T) {
	proper := wordSet("E Elton Harriet Smith Donwell")
	harriet := Present{Name: "Harriet Smith", Bond: &Bond{Strength: -0.3, Trust: 0.3, Familiarity: 0.2}}
	for _, tt := range []struct {
		to   *Present
		want string
	}{
		{nil, "You have not been to Donwell!"},
		{&harriet, "Harriet Smith, you have not been to Donwell!"},
	} {
		text := "My dear Mr. E., you have not been to Donwell!"
		s := &sceneComposer{composer: &composer{proper: proper}, voice: newVoiceIndex([]string{text}, proper), to: tt.to}
		if tt.to != nil {
			s.tone = toneOf(*tt.to.Bond)
			s.toForm = s.formFor(tt.to)
		}
		if got := s.readdress(voiceUnit{text: text, vocs: findVocatives(text, proper)}); got != tt.want {
			t.Errorf("readdress to %v = %q, want %q", tt.to, got, tt.want)
		}
	}
}

// TestBookLine: a book line is read back out of every form casting gives its memory, so a
// book character speaks its own words in scenes, not the frame around them.
func TestBookLine(t *testing.T) {
	for memory, want := range map[string]string{
		"I said: “It is a truth.”": "It is a truth.",
		"At Netherfield, I told Jane, in front of Mr. Bingley: “It is a truth.”": "It is a truth.",
		"I said, in front of Jane and Mr. Darcy: “It is a truth.”":               "It is a truth.",
		"I remember saying: “It is a truth.”":                                    "It is a truth.",
		"In London, I told Mr. Darcy: “It is a truth.”":                          "It is a truth.",
		"I told Jane: “It is a truth. It is a long…”":                            "It is a truth.",
		"Bob said to me: “It is a truth.”":                                       "",
		"A walk in the rain.":                                                    "",
	} {
		got, ok := BookLine(memory)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("BookLine(%q) = %q, want %q", memory, got, want)
		}
	}
}
