package llm

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// castMember is a character of a test scene: its persona and scene part, and its bonds
// towards the others by name.
type castMember struct {
	persona                  Persona
	role, goal, secret       string
	memories, voice          []string
	bonds                    map[string]Bond
	focus                    string // whom the test's engine has it address most
	addressedAs, addressedBy []string
}

// manorCast is a hand-made four-character cast: a hostile pair (Bob and Diana, rival and
// enemy), a warm pair (Diana and Frank, engaged), and a peacemaking host.
func manorCast() []castMember {
	return []castMember{
		{
			persona: Persona{
				Name: "Bob Marsh", Description: "A gruff retired sea captain who distrusts lawyers.",
				SpeakingStyle: "blunt, terse", Goals: []string{"Clear the family name"},
				Traits:  Traits{Openness: 0.3, Conscientiousness: 0.6, Extraversion: 0.5, Agreeableness: 0.2, Neuroticism: 0.4},
				Emotion: "anger", SocialEnergy: 0.6,
			},
			role: "the late owner's brother", goal: "prove that Diana hid the will",
			secret: "Bob owes the estate a fortune in unpaid debts.",
			memories: []string{
				"Bob saw Diana leave the study at midnight with a candle.",
				"Diana told Bob the will would be read at noon and not a minute later.",
				"Alice gave Bob a room when his ship was sold.",
			},
			bonds: map[string]Bond{
				"Diana Vale": {Type: "RIVAL", Strength: -0.6, Trust: 0.1, Familiarity: 0.5},
				"Alice Grey": {Type: "FAMILY", Strength: 0.4, Trust: 0.6, Familiarity: 0.8},
				"Frank Hale": {Type: "ACQUAINTANCE", Strength: -0.1, Trust: 0.4, Familiarity: 0.3},
			},
			focus: "Diana Vale",
		},
		{
			persona: Persona{
				Name: "Diana Vale", Description: "An ambitious young lawyer, sharp and proud.",
				SpeakingStyle: "precise, cold, ironic", Goals: []string{"Become a partner in her firm"},
				Traits:  Traits{Openness: 0.6, Conscientiousness: 0.8, Extraversion: 0.6, Agreeableness: 0.3, Neuroticism: 0.5},
				Emotion: "neutral", SocialEnergy: 0.7,
			},
			role: "the executor", goal: "keep the reading of the will on schedule",
			secret: "Diana burned the first page of the will.",
			memories: []string{
				"Frank promised Diana that nothing would come between them.",
				"Bob shouted at Diana in the hall this morning.",
				"Diana found the study window open before dawn.",
			},
			bonds: map[string]Bond{
				"Bob Marsh":  {Type: "ENEMY", Strength: -0.5, Trust: 0.15, Familiarity: 0.5},
				"Frank Hale": {Type: "ROMANCE", Strength: 0.8, Trust: 0.8, Familiarity: 0.8},
				"Alice Grey": {Type: "ACQUAINTANCE", Strength: 0.1, Trust: 0.4, Familiarity: 0.3},
			},
			focus: "Bob Marsh",
		},
		{
			persona: Persona{
				Name: "Frank Hale", Description: "A gentle schoolteacher, engaged to Diana.",
				SpeakingStyle: "warm, hesitant", Goals: []string{"Marry Diana in the spring"},
				Traits:  Traits{Openness: 0.7, Conscientiousness: 0.5, Extraversion: 0.3, Agreeableness: 0.85, Neuroticism: 0.6},
				Emotion: "fear", SocialEnergy: 0.5,
			},
			role: "Diana's fiancé", goal: "protect Diana",
			memories: []string{
				"Frank saw Bob drinking alone in the garden last night.",
				"Diana laughed at Frank's poem on the night they met.",
			},
			bonds: map[string]Bond{
				"Diana Vale": {Type: "ROMANCE", Strength: 0.8, Trust: 0.8, Familiarity: 0.8},
				"Alice Grey": {Type: "FRIEND", Strength: 0.5, Trust: 0.7, Familiarity: 0.6},
				"Bob Marsh":  {Type: "ACQUAINTANCE", Strength: -0.2, Trust: 0.3, Familiarity: 0.3},
			},
			focus: "Diana Vale",
		},
		{
			persona: Persona{
				Name: "Alice Grey", Description: "A kindly widow who hates a scene.",
				SpeakingStyle: "casual, chatty", Goals: []string{"Keep the house together"},
				Traits:  Traits{Openness: 0.5, Conscientiousness: 0.6, Extraversion: 0.8, Agreeableness: 0.9, Neuroticism: 0.3},
				Emotion: "neutral", SocialEnergy: 0.8,
			},
			role: "the host", goal: "keep the peace until the will is read",
			secret: "Alice read the will weeks ago.",
			memories: []string{
				"Alice heard a door bang in the study after midnight.",
				"Alice saw Bob and Diana quarrel at the funeral.",
			},
			bonds: map[string]Bond{
				"Frank Hale": {Type: "FRIEND", Strength: 0.6, Trust: 0.7, Familiarity: 0.6},
				"Bob Marsh":  {Type: "FAMILY", Strength: 0.3, Trust: 0.5, Familiarity: 0.8},
				"Diana Vale": {Type: "ACQUAINTANCE", Strength: 0.1, Trust: 0.5, Familiarity: 0.3},
			},
			focus: "Frank Hale",
		},
	}
}

// sceneRun is what a test scene produced.
type sceneRun struct {
	lines []SceneLine
	by    []string // who said each line
	// sums of the strength deltas of each directed pair, "From->To".
	strength map[string]float64
	// requests are what each line was asked with.
	requests []SceneRequest
}

// playScene plays the engine: it rotates speakers (never one twice in a row, seeded),
// has each address its focus or the last speaker, feeds the last lines as History and
// every line said as Avoid, applies the deltas to the bonds, and injects a narrator's beat
// halfway.
func playScene(t testing.TB, cast []castMember, setting, mood, premise string, n int, seed uint64) sceneRun {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	bonds := map[string]map[string]*Bond{}
	for _, c := range cast {
		bonds[c.persona.Name] = map[string]*Bond{}
		for to, b := range c.bonds {
			bonds[c.persona.Name][to] = &b
		}
	}
	run := sceneRun{strength: map[string]float64{}}
	var history []Turn
	var said []string
	last := -1
	for turn := 0; len(run.lines) < n; turn++ {
		if turn == n/2 {
			history = append(history, Turn{Speaker: "Narrator", Text: "A door slams somewhere upstairs, and the lamps flicker."})
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
			present = append(present, Present{Name: o.persona.Name, Role: o.role,
				Bond: bonds[me.persona.Name][o.persona.Name], BondBack: bonds[o.persona.Name][me.persona.Name]})
		}
		addressee := me.focus
		if last >= 0 && rng.IntN(2) == 0 {
			addressee = cast[last].persona.Name
		}
		if rng.IntN(8) == 0 {
			addressee = ""
		}
		req := SceneRequest{
			Speaker: me.persona, Role: me.role, Goal: me.goal, Secret: me.secret,
			Setting: setting, Mood: mood, Premise: premise,
			Present: present, Addressee: addressee, Memories: me.memories, Voice: me.voice,
			History: history[max(len(history)-12, 0):], Avoid: slices.Clone(said),
			Seed: int64(seed)*1000 + int64(turn),
		}
		line := scene(t, req)
		run.requests = append(run.requests, req)
		for _, d := range line.Deltas {
			run.strength[d.From+"->"+d.To] += d.Strength
			if b := bonds[d.From][d.To]; b != nil {
				b.Strength = clampSigned(b.Strength + d.Strength)
				b.Trust = clamp01(b.Trust + d.Trust)
				b.Familiarity = clamp01(b.Familiarity + d.Familiarity)
			}
		}
		run.lines = append(run.lines, line)
		run.by = append(run.by, me.persona.Name)
		history = append(history, Turn{Speaker: me.persona.Name, Text: line.Text})
		said = append(said, line.Text)
		last = i
	}
	return run
}

// logScene prints a scene for a human to read.
func logScene(t *testing.T, run sceneRun) {
	t.Helper()
	for i, l := range run.lines {
		to := l.Addressee
		if to == "" {
			to = "all"
		}
		var ds []string
		for _, d := range l.Deltas {
			ds = append(ds, fmt.Sprintf("%s->%s %+.3f/%+.3f", d.From, d.To, d.Strength, d.Trust))
		}
		t.Logf("%2d %s → %s [%s %.2f]: %s   {%s}", i+1, run.by[i], to, l.Emotion, l.Intensity, l.Text, strings.Join(ds, ", "))
	}
}

// pdncDir holds the Project Dialogism Novel Corpus annotations and novels.
const pdncDir = "../../../shared/data"

// loadVoices reads the quotations of a PDNC-annotated novel, by speaker: each quotation's
// text cut from the novel by its character offsets, or, where the offsets do not match the
// novel (Pride and Prejudice), the annotated text. It skips the test when the corpus is
// absent.
func loadVoices(t *testing.T, novel string) map[string][]string {
	t.Helper()
	book, err := os.ReadFile(filepath.Join(pdncDir, "novels", novel+".txt"))
	if err != nil {
		t.Skipf("the PDNC novels under %s are absent (%v): skipping the book-voice test", pdncDir, err)
	}
	f, err := os.Open(filepath.Join(pdncDir, "annotations", novel, "quotations.csv"))
	if err != nil {
		t.Skipf("the PDNC annotations under %s are absent (%v): skipping the book-voice test", pdncDir, err)
	}
	defer f.Close()
	text := []rune(string(book))
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	spanRE := regexp.MustCompile(`\[(\d+), (\d+)\]`)
	voices := map[string][]string{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		quote := rec[col["quoteText"]]
		var parts []string
		for _, m := range spanRE.FindAllStringSubmatch(rec[col["quoteByteSpans"]], -1) {
			a, _ := strconv.Atoi(m[1])
			b, _ := strconv.Atoi(m[2])
			if a < b && b <= len(text) {
				parts = append(parts, string(text[a:b]))
			}
		}
		if len(parts) > 0 && strings.HasPrefix(quote, parts[0]) {
			quote = strings.Join(parts, " ")
		}
		voices[rec[col["speaker"]]] = append(voices[rec[col["speaker"]]], quote)
	}
	return voices
}

// emmaCast is four characters of Emma speaking from their own quotations: a hostile pair
// (Emma and Mrs. Elton), a warm pair (Emma and Harriet) and Mr. Knightley.
func emmaCast(t *testing.T) []castMember {
	voices := loadVoices(t, "emma")
	voice := func(speaker string) []string {
		v := voices[speaker]
		if len(v) < 50 {
			t.Fatalf("only %d quotations of %s", len(v), speaker)
		}
		return v[:min(len(v), 200)]
	}
	return []castMember{
		{
			persona: Persona{Name: "Emma Woodhouse", Description: "Handsome, clever and rich, and a little too fond of arranging other people's lives.",
				SpeakingStyle: "witty, confident", Traits: Traits{Openness: 0.8, Conscientiousness: 0.4, Extraversion: 0.7, Agreeableness: 0.5, Neuroticism: 0.3},
				SocialEnergy: 0.8},
			role: "the first lady of Highbury", goal: "keep Mrs. Elton from taking over the party",
			secret:   "Emma once hoped Mr. Elton would marry Harriet.",
			memories: []string{"Mrs. Elton called Mr. Knightley by his surname alone.", "Harriet cried in the garden after the ball."},
			voice:    voice("Emma"),
			bonds: map[string]Bond{
				"Mrs. Elton":    {Type: "RIVAL", Strength: -0.6, Trust: 0.2, Familiarity: 0.4},
				"Harriet Smith": {Type: "FRIEND", Strength: 0.8, Trust: 0.7, Familiarity: 0.7},
				"Mr. Knightley": {Type: "FRIEND", Strength: 0.6, Trust: 0.6, Familiarity: 0.9},
			},
			focus: "Mrs. Elton",
		},
		{
			persona: Persona{Name: "Mrs. Elton", Description: "The vicar's new wife, vain and forever talking of Maple Grove.",
				SpeakingStyle: "effusive, condescending", Traits: Traits{Openness: 0.4, Conscientiousness: 0.5, Extraversion: 0.9, Agreeableness: 0.3, Neuroticism: 0.4},
				SocialEnergy: 0.9},
			role: "the self-appointed patroness", goal: "be admired as the leader of the party",
			voice: voice("Mrs. Elton"),
			bonds: map[string]Bond{
				"Emma Woodhouse": {Type: "RIVAL", Strength: -0.4, Trust: 0.3, Familiarity: 0.4},
				"Mr. Knightley":  {Type: "ACQUAINTANCE", Strength: 0.3, Trust: 0.5, Familiarity: 0.3},
				"Harriet Smith":  {Type: "ACQUAINTANCE", Strength: -0.3, Trust: 0.3, Familiarity: 0.2},
			},
			focus: "Emma Woodhouse",
		},
		{
			persona: Persona{Name: "Harriet Smith", Description: "A sweet, simple girl of seventeen who adores Emma.",
				SpeakingStyle: "eager, breathless", Traits: Traits{Openness: 0.4, Conscientiousness: 0.4, Extraversion: 0.5, Agreeableness: 0.9, Neuroticism: 0.7},
				SocialEnergy: 0.6},
			role: "Emma's friend", goal: "please Miss Woodhouse",
			voice: voice("Harriet Smith"),
			bonds: map[string]Bond{
				"Emma Woodhouse": {Type: "FRIEND", Strength: 0.9, Trust: 0.9, Familiarity: 0.7},
				"Mrs. Elton":     {Type: "ACQUAINTANCE", Strength: -0.2, Trust: 0.3, Familiarity: 0.2},
				"Mr. Knightley":  {Type: "ACQUAINTANCE", Strength: 0.4, Trust: 0.6, Familiarity: 0.4},
			},
			focus: "Emma Woodhouse",
		},
		{
			persona: Persona{Name: "Mr. Knightley", Description: "The master of Donwell Abbey, sensible, plain-spoken and kind.",
				SpeakingStyle: "plain, direct", Traits: Traits{Openness: 0.6, Conscientiousness: 0.9, Extraversion: 0.5, Agreeableness: 0.6, Neuroticism: 0.2},
				SocialEnergy: 0.6},
			role: "the host", goal: "see everyone treated fairly",
			voice: voice("Mr. Knightley"),
			bonds: map[string]Bond{
				"Emma Woodhouse": {Type: "FRIEND", Strength: 0.7, Trust: 0.7, Familiarity: 0.9},
				"Mrs. Elton":     {Type: "ACQUAINTANCE", Strength: -0.3, Trust: 0.3, Familiarity: 0.3},
				"Harriet Smith":  {Type: "ACQUAINTANCE", Strength: 0.3, Trust: 0.5, Familiarity: 0.4},
			},
			focus: "Emma Woodhouse",
		},
	}
}

// castRequest is the request for cast[i] to speak to addressee after history, with the
// bonds as cast.
func castRequest(cast []castMember, i int, addressee string, history []Turn, seed int64) SceneRequest {
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
	return SceneRequest{
		Speaker: me.persona, Role: me.role, Goal: me.goal, Secret: me.secret,
		Setting: "Victorian Garden", Mood: "Tense", Premise: "The family will has gone missing the night before it was to be read.",
		Present: present, Addressee: addressee, Memories: me.memories, Voice: me.voice, History: history, Seed: seed,
	}
}

// scene runs the offline storyteller, failing the test on error or on a malformed line.
func scene(t testing.TB, req SceneRequest) SceneLine {
	t.Helper()
	var pieces []string
	line, err := NewOffline().Scene(context.Background(), req, func(p string) { pieces = append(pieces, p) })
	if err != nil {
		t.Fatalf("Scene: %v", err)
	}
	if strings.Join(pieces, "") != line.Text {
		t.Fatalf("pieces %q do not make %q", pieces, line.Text)
	}
	checkLine(t, req, line)
	return line
}

// checkLine fails unless line is well formed for req: text that is a line (no slots left,
// no doubled spaces, not one to avoid), a known emotion and an intensity in range, an
// addressee and deltas that name only the characters of the scene, clamped deltas, and the
// offline storyteller's labels.
func checkLine(t testing.TB, req SceneRequest, line SceneLine) {
	t.Helper()
	text := line.Text
	if strings.TrimSpace(text) == "" || text != strings.TrimSpace(text) || strings.ContainsAny(text, "{}") || strings.Contains(text, "  ") {
		t.Fatalf("badly made line %q", text)
	}
	if slices.Contains(req.Avoid, text) {
		t.Fatalf("line %q is one to avoid", text)
	}
	if _, ok := NormalizeEmotion(line.Emotion); !ok || line.Emotion != strings.ToLower(line.Emotion) || !(line.Intensity >= 0 && line.Intensity <= 1) {
		t.Fatalf("emotion %q, intensity %v", line.Emotion, line.Intensity)
	}
	names := map[string]bool{req.Speaker.Name: true}
	for _, p := range req.Present {
		names[p.Name] = true
	}
	if line.Addressee != "" && (!names[line.Addressee] || line.Addressee == req.Speaker.Name) {
		t.Fatalf("addressee %q is not present", line.Addressee)
	}
	for _, d := range line.Deltas {
		if !names[d.From] || !names[d.To] || d.From == d.To || (d.From != req.Speaker.Name && d.To != req.Speaker.Name) {
			t.Fatalf("delta between %q and %q", d.From, d.To)
		}
		if ClampDelta(d) != d {
			t.Fatalf("delta %+v not clamped", d)
		}
	}
	if line.Model != OfflineModel || !line.Offline || (line.FinishReason != "stop" && line.FinishReason != "length") || line.Fallback != "" {
		t.Fatalf("labels %+v", line)
	}
}

// voiceShare reports how many of the sentences of line (three words or more) are said in
// one of the quotations, and how many sentences there are. A line changes the names and
// words of address of its quotation to speak to the right person, so a sentence counts as
// the book's when all but two of its words, in order, are in a stretch of a quotation
// hardly longer than itself; titles, words of address and the cast's names are left out.
func voiceShare(line string, voice []string, cast []castMember) (found, total int) {
	drop := map[string]bool{}
	for _, set := range []map[string]bool{honorifics, wordsOfAddress, endearments} {
		for w := range set {
			drop[w] = true
		}
	}
	for _, c := range cast {
		for w := range nameWords(c.persona.Name) {
			drop[w] = true
		}
	}
	norm := func(s string) []string {
		var kept []string
		for _, w := range tokens(strings.ToLower(s)) {
			if !drop[w] {
				kept = append(kept, w)
			}
		}
		return kept
	}
	quotes := make([][]string, len(voice))
	for i, q := range voice {
		quotes[i] = norm(q)
	}
	inQuote := func(ws []string) bool {
		for _, q := range quotes {
			for start := range q {
				if q[start] != ws[0] && q[start] != ws[1] {
					continue
				}
				if lcs(ws, q[start:min(len(q), start+len(ws)+3)]) >= len(ws)-2 {
					return true
				}
			}
		}
		return false
	}
	for _, st := range splitSentences(line) {
		ws := norm(st)
		if len(ws) < 3 {
			continue
		}
		total++
		if inQuote(ws) {
			found++
		}
	}
	return found, total
}

// lcs is the length of the longest common subsequence of a and b.
func lcs(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestSceneConversation plays four characters for 30 lines with the offline storyteller
// alone, the test being the engine, and checks what a reader would notice: no line said
// twice, nor any sentence of three words or more, whoever it is said to; every line a line, with an emotion; the
// hostile pair drifting apart and the warm pair closer; no secret given away; and, for the
// characters from a book, lines taken from their own quotations. The first run of each
// cast is logged for a human to read.
func TestSceneConversation(t *testing.T) {
	tests := []struct {
		name                   string
		cast                   func(*testing.T) []castMember
		setting, mood, premise string
		hostile, warm          [2]string
		fromBook               bool
	}{
		{
			name: "hand-made", cast: func(*testing.T) []castMember { return manorCast() },
			setting: "Victorian Garden", mood: "Tense", premise: "The family will has gone missing the night before it was to be read.",
			hostile: [2]string{"Bob Marsh", "Diana Vale"}, warm: [2]string{"Diana Vale", "Frank Hale"},
		},
		{
			name: "book voice", cast: emmaCast,
			setting: "Donwell Abbey", mood: "Sunny, brittle", premise: "Mrs. Elton has taken charge of the strawberry party at Donwell.",
			hostile: [2]string{"Emma Woodhouse", "Mrs. Elton"}, warm: [2]string{"Emma Woodhouse", "Harriet Smith"}, fromBook: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cast := tt.cast(t)
			names := map[string]bool{}
			for _, c := range cast {
				for _, w := range scanWords(c.persona.Name) {
					names[w.text] = true
				}
			}
			for seed := uint64(1); seed <= 3; seed++ {
				run := playScene(t, cast, tt.setting, tt.mood, tt.premise, 30, seed)
				if seed == 1 {
					logScene(t, run)
				}
				lines := map[string]int{}
				sentences := map[string]int{}
				voiceFound, voiceTotal := 0, 0
				for i, l := range run.lines {
					if j, ok := lines[normalizeLine(l.Text)]; ok {
						t.Fatalf("seed %d: line %d repeats line %d: %q", seed, i+1, j+1, l.Text)
					}
					lines[normalizeLine(l.Text)] = i
					for _, st := range splitSentences(stageDirections.ReplaceAllString(l.Text, "")) {
						// The same words to another name are the same sentence.
						n := normalizeLine(withoutAddress(st, findVocatives(st, names)))
						if strings.Count(n, " ") < 2 {
							continue
						}
						if j, ok := sentences[n]; ok {
							t.Fatalf("seed %d: line %d repeats a sentence of line %d: %q", seed, i+1, j+1, st)
						}
						sentences[n] = i
					}
					me := cast[slices.IndexFunc(cast, func(c castMember) bool { return c.persona.Name == run.by[i] })]
					if me.secret != "" {
						for g := range ngrams(me.secret, 4) {
							if strings.Contains(normalizeLine(l.Text), g) {
								t.Fatalf("seed %d: line %d gives away %s's secret: %q", seed, i+1, me.persona.Name, l.Text)
							}
						}
					}
					if tt.fromBook {
						found, total := voiceShare(l.Text, me.voice, cast)
						if total > 0 && found == 0 {
							t.Errorf("seed %d: line %d of %s is not from the book: %q", seed, i+1, me.persona.Name, l.Text)
						}
						voiceFound += found
						voiceTotal += total
					}
				}
				if tt.fromBook && float64(voiceFound) < 0.85*float64(voiceTotal) {
					t.Errorf("seed %d: only %d of %d sentences from the book", seed, voiceFound, voiceTotal)
				}
				pair := func(p [2]string) float64 { return run.strength[p[0]+"->"+p[1]] + run.strength[p[1]+"->"+p[0]] }
				if h := pair(tt.hostile); !(h < 0) {
					t.Errorf("seed %d: the hostile pair %v drew closer: %+.3f", seed, tt.hostile, h)
				}
				if w := pair(tt.warm); !(w > 0) {
					t.Errorf("seed %d: the warm pair %v drifted apart: %+.3f", seed, tt.warm, w)
				}
				if seed == 1 {
					t.Logf("summed strength: hostile %v %+.3f, warm %v %+.3f", tt.hostile, pair(tt.hostile), tt.warm, pair(tt.warm))
				}
			}
		})
	}
}

// TestClampDelta proves the bounds of a delta, and that NaN counts as no change.
func TestClampDelta(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		in, want SceneDelta
	}{
		{SceneDelta{Strength: 0.05, Trust: -0.02, Familiarity: 0.01}, SceneDelta{Strength: 0.05, Trust: -0.02, Familiarity: 0.01}},
		{SceneDelta{Strength: 1, Trust: 1, Familiarity: 1}, SceneDelta{Strength: 0.15, Trust: 0.1, Familiarity: 0.05}},
		{SceneDelta{Strength: -1, Trust: -1, Familiarity: -1}, SceneDelta{Strength: -0.15, Trust: -0.1, Familiarity: 0}},
		{SceneDelta{Strength: nan, Trust: nan, Familiarity: nan}, SceneDelta{}},
		{SceneDelta{Strength: math.Inf(-1), Trust: math.Inf(1)}, SceneDelta{Strength: -0.15, Trust: 0.1}},
	}
	for _, tt := range tests {
		tt.in.From, tt.in.To, tt.want.From, tt.want.To = "A", "B", "A", "B"
		if got := ClampDelta(tt.in); got != tt.want {
			t.Errorf("ClampDelta(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// TestReaction proves that Reaction is the storyteller's reaction: to a line, through the
// bond with whoever said it, coloured by traits and the current emotion.
func TestReaction(t *testing.T) {
	calm := Persona{Name: "A", Traits: Traits{Agreeableness: 0.7, Neuroticism: 0.2, Extraversion: 0.5, Openness: 0.5, Conscientiousness: 0.5}}
	nervous := calm
	nervous.Traits.Neuroticism = 0.9
	prickly := calm
	prickly.Traits.Agreeableness = 0.2
	sad := calm
	sad.Emotion = "melancholy"
	enemy := &Bond{Type: "ENEMY", Strength: -0.8, Trust: 0.1}
	friend := &Bond{Type: "FRIEND", Strength: 0.8, Trust: 0.9}
	tests := []struct {
		name  string
		p     Persona
		bond  *Bond
		heard string
		want  string
	}{
		{"joy answers joy", calm, friend, "What a wonderful, happy day!", EmotionJoy},
		{"an enemy's kindness is suspect", prickly, enemy, "What a wonderful, happy day!", EmotionDisgust},
		{"anger frightens the nervous", nervous, nil, "How dare you, you scoundrel!", EmotionFear},
		{"anger angers the prickly", prickly, nil, "How dare you, you scoundrel!", EmotionAnger},
		{"anger hurts the kind", calm, nil, "How dare you, you scoundrel!", EmotionSadness},
		{"nothing heard keeps the mood", sad, nil, "The carriage is at the door.", EmotionSadness},
		{"nothing heard, an enemy near", prickly, enemy, "The carriage is at the door.", EmotionAnger},
		{"nothing at all", calm, nil, "", EmotionNeutral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, x := Reaction(tt.p, tt.bond, tt.heard)
			if e != tt.want || x < 0 || x > 1 || (e == EmotionNeutral) != (x == 0) {
				t.Fatalf("Reaction = %q %.2f, want %q", e, x, tt.want)
			}
			c := &composer{req: Request{Character: tt.p, Relationship: tt.bond}, traits: tt.p.Traits.orAverage().clamped()}
			if ce, cx := c.react(tt.heard); ce != e || cx != x {
				t.Fatalf("Reaction %q %.2f differs from the storyteller's %q %.2f", e, x, ce, cx)
			}
		})
	}
}

// TestSceneDeterministic proves that the same request and seed give the same line, and
// that other seeds and other turns give other lines.
func TestSceneDeterministic(t *testing.T) {
	cast := manorCast()
	history := []Turn{{Speaker: "Bob Marsh", Text: "I saw you in the study at midnight, Diana. Explain that."}}
	for _, seed := range []int64{0, 1, 42, -7} {
		a := scene(t, castRequest(cast, 1, "Bob Marsh", history, seed))
		b := scene(t, castRequest(cast, 1, "Bob Marsh", history, seed))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two lines:\n%+v\n%+v", seed, a, b)
		}
	}
	distinct := map[string]bool{}
	for seed := int64(1); seed <= 20; seed++ {
		distinct[scene(t, castRequest(cast, 1, "Bob Marsh", history, seed)).Text] = true
	}
	if len(distinct) < 12 {
		t.Fatalf("only %d distinct lines for 20 seeds: %v", len(distinct), distinct)
	}
	other := append(slices.Clone(history), Turn{Speaker: "Frank Hale", Text: "Please, both of you, not here."})
	if a, b := scene(t, castRequest(cast, 1, "Bob Marsh", history, 5)), scene(t, castRequest(cast, 1, "Bob Marsh", other, 5)); a.Text == b.Text {
		t.Fatalf("the same line on two turns: %q", a.Text)
	}
}

// TestSceneSaidBefore: a line the scene said long ago (out of History) is drafted again
// when SaidBefore knows it, and the request is otherwise the same line.
func TestSceneSaidBefore(t *testing.T) {
	cast := manorCast()
	history := []Turn{{Speaker: "Bob Marsh", Text: "I saw you in the study at midnight, Diana. Explain that."}}
	for _, seed := range []int64{1, 2, 3} {
		req := castRequest(cast, 1, "Bob Marsh", history, seed)
		first := scene(t, req)
		asked := 0
		req.SaidBefore = func(line string) bool { asked++; return line == first.Text }
		again := scene(t, req)
		if asked == 0 || again.Text == first.Text || again.Text == "" {
			t.Fatalf("seed %d: asked %d times, %q then %q", seed, asked, first.Text, again.Text)
		}
		req.SaidBefore = func(string) bool { return false }
		if same := scene(t, req); same.Text != first.Text {
			t.Fatalf("seed %d: nothing said before, yet %q became %q", seed, first.Text, same.Text)
		}
	}
}

// TestSceneStreamsAndCancels proves that the line is streamed word by word, and that a
// done context stops it with ctx's error and the text streamed so far.
func TestSceneStreamsAndCancels(t *testing.T) {
	req := castRequest(manorCast(), 3, "Frank Hale", nil, 3)
	var pieces []string
	line, err := NewOffline().Scene(context.Background(), req, func(p string) { pieces = append(pieces, p) })
	if err != nil || len(pieces) < 3 || strings.Join(pieces, "") != line.Text {
		t.Fatalf("err %v, pieces %q, line %q", err, pieces, line.Text)
	}
	for i, p := range pieces {
		if len(strings.Fields(p)) != 1 || (i > 0 && !strings.HasPrefix(p, " ")) {
			t.Fatalf("piece %d is %q", i, p)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewOffline().Scene(ctx, req, func(string) { t.Fatal("streamed after cancel") }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	pieces = nil
	line, err = NewOffline().Scene(ctx, req, func(p string) {
		if pieces = append(pieces, p); len(pieces) == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || len(pieces) != 2 || line.Text != strings.Join(pieces, "") || line.FinishReason != "" {
		t.Fatalf("err %v, pieces %q, line %+v", err, pieces, line)
	}
}

// TestSceneMaxTokens proves that a bound on the length cuts the line short, and says so.
func TestSceneMaxTokens(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		req := castRequest(manorCast(), 3, "Bob Marsh", nil, seed)
		req.MaxTokens = 4
		line := scene(t, req)
		if n := len(strings.Fields(line.Text)); n > 4 {
			t.Fatalf("%d words: %q", n, line.Text)
		}
	}
}

// TestSceneAddressee proves whom a line is spoken to: the engine's suggestion, nobody for
// a name not present, whoever just asked the speaker a question, and whom the director's
// instruction is aimed at.
func TestSceneAddressee(t *testing.T) {
	cast := manorCast()
	asked := []Turn{{Speaker: "Frank Hale", Text: "Alice, where were you when the lamps went out?"}}
	tests := []struct {
		name, suggested, direction string
		history                    []Turn
		want                       string
	}{
		{"the suggestion", "Bob Marsh", "", nil, "Bob Marsh"},
		{"the room", "", "", nil, ""},
		{"someone not present", "Mr. Darcy", "", nil, ""},
		{"the one who asked", "Bob Marsh", "", asked, "Frank Hale"},
		{"the director's target", "Bob Marsh", "Thank Diana for coming", asked, "Diana Vale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := int64(1); seed <= 5; seed++ {
				req := castRequest(cast, 3, tt.suggested, tt.history, seed)
				req.Direction = tt.direction
				if got := scene(t, req).Addressee; got != tt.want {
					t.Fatalf("seed %d: addressee %q, want %q", seed, got, tt.want)
				}
			}
		})
	}
}

// TestSceneDeltas proves the relationship changes: hostile words push the pair apart,
// warm ones together, familiarity grows between the two who talk, a peacemaker earns the
// quarrellers' trust, and a lover minds the speaker courting someone else.
func TestSceneDeltas(t *testing.T) {
	cast := manorCast()
	sum := func(ls []SceneLine, from, to string) (strength, familiarity float64) {
		for _, l := range ls {
			for _, d := range l.Deltas {
				if d.From == from && d.To == to {
					strength += d.Strength
					familiarity += d.Familiarity
				}
			}
		}
		return strength, familiarity
	}
	lines := func(i int, to string, history []Turn, direction string) []SceneLine {
		var out []SceneLine
		for seed := int64(1); seed <= 10; seed++ {
			req := castRequest(cast, i, to, history, seed)
			req.Direction = direction
			out = append(out, scene(t, req))
		}
		return out
	}
	bob := lines(0, "Diana Vale", []Turn{{Speaker: "Diana Vale", Text: "You are a drunk and a liar, Bob."}}, "")
	for _, pair := range [][2]string{{"Bob Marsh", "Diana Vale"}, {"Diana Vale", "Bob Marsh"}} {
		if s, f := sum(bob, pair[0], pair[1]); !(s < 0) || !(f > 0) {
			t.Errorf("hostile %v: strength %+.3f, familiarity %+.3f", pair, s, f)
		}
	}
	frank := lines(2, "Diana Vale", []Turn{{Speaker: "Diana Vale", Text: "Thank you for standing by me, Frank. It means the world."}}, "")
	for _, pair := range [][2]string{{"Frank Hale", "Diana Vale"}, {"Diana Vale", "Frank Hale"}} {
		if s, f := sum(frank, pair[0], pair[1]); !(s > 0) || !(f > 0) {
			t.Errorf("warm %v: strength %+.3f, familiarity %+.3f", pair, s, f)
		}
	}
	quarrel := []Turn{
		{Speaker: "Bob Marsh", Text: "You are a liar and a thief, Diana!"},
		{Speaker: "Diana Vale", Text: "How dare you, you drunken fool, Bob!"},
	}
	alice := lines(3, "", quarrel, "")
	for _, q := range []string{"Bob Marsh", "Diana Vale"} {
		if _, trust := sumTrust(alice, q, "Alice Grey"); !(trust > 0) {
			t.Errorf("the peacemaker gained no trust from %s: %v", q, alice)
		}
	}
	// Diana flirts with Bob: Frank, who loves her, minds.
	flirt := lines(1, "Frank Hale", nil, "Flirt with Bob")
	if s, _ := sum(flirt, "Frank Hale", "Diana Vale"); !(s < 0) {
		t.Errorf("the lover did not mind: %+.3f", s)
	}
}

// sumTrust sums the strength and trust deltas from one character to another.
func sumTrust(ls []SceneLine, from, to string) (strength, trust float64) {
	for _, l := range ls {
		for _, d := range l.Deltas {
			if d.From == from && d.To == to {
				strength += d.Strength
				trust += d.Trust
			}
		}
	}
	return strength, trust
}

// TestSceneDirection proves that a director's instruction is carried out in the line, in
// the speaker's words: its "you" is the speaker, the one it is aimed at is addressed.
func TestSceneDirection(t *testing.T) {
	tests := []struct {
		direction string
		speaker   int
		want      *regexp.Regexp
		to        string
		emotion   string
	}{
		{"Confess you read the letter", 3, regexp.MustCompile(`confess.*I read the letter`), "", ""},
		{"Tell Bob he is a fool", 3, regexp.MustCompile(`You('re| are) a fool`), "Bob Marsh", ""},
		{"Ask Diana where she was last night", 3, regexp.MustCompile(`(?i)tell me where you were last night`), "Diana Vale", ""},
		{"Accuse Bob of stealing the will", 3, regexp.MustCompile(`I accuse you of stealing the will`), "Bob Marsh", EmotionAnger},
		{"Remind Bob that he owes you money", 3, regexp.MustCompile(`(?i)remember(, Bob)?: you owe me money`), "Bob Marsh", ""},
		{"Thank Frank for his help", 3, regexp.MustCompile(`Thank you for your help`), "Frank Hale", EmotionTrust},
		{"Apologise to Diana for shouting", 0, regexp.MustCompile(`I am sorry for shouting`), "Diana Vale", ""},
		{"Ask Frank to fetch the lawyer", 1, regexp.MustCompile(`(?i)will you fetch the lawyer`), "Frank Hale", ""},
		{"Storm out", 0, regexp.MustCompile(`\*storms out\*`), "", ""},
		{"Hug Diana", 2, regexp.MustCompile(`\*hugs Diana\*`), "Diana Vale", ""},
		{"Refuse to sign the paper", 1, regexp.MustCompile(`I will not sign the paper`), "", ""},
		{"Warn everyone that the ice is thin", 2, regexp.MustCompile(`(?i)be careful\. The ice is thin\.`), "", ""},
		{"Angrily deny that you took the map", 0, regexp.MustCompile(`It is not true that I took the map`), "", EmotionAnger},
		{"Insult Bob", 1, regexp.MustCompile(`.`), "Bob Marsh", EmotionDisgust},
		{"Stay silent", 2, regexp.MustCompile(`^\*says nothing\*$`), "", ""},
		{"Talk to Bob about the will", 3, regexp.MustCompile(`(?i)let me tell you about the will`), "Bob Marsh", ""},
		{"Don't leave", 0, regexp.MustCompile(`I refuse to leave`), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.direction, func(t *testing.T) {
			for seed := int64(1); seed <= 5; seed++ {
				req := castRequest(manorCast(), tt.speaker, "", nil, seed)
				req.Direction = tt.direction
				line := scene(t, req)
				if !tt.want.MatchString(line.Text) || line.Addressee != tt.to || (tt.emotion != "" && line.Emotion != tt.emotion) {
					t.Fatalf("seed %d: %q → %q to %q (%s), want %v to %q (%s)", seed, tt.direction, line.Text, line.Addressee, line.Emotion, tt.want, tt.to, tt.emotion)
				}
			}
		})
	}
	t.Run("Insult Bob is hostile", func(t *testing.T) {
		req := castRequest(manorCast(), 3, "", nil, 1)
		req.Direction = "Insult Bob"
		if s, _ := sumTrust([]SceneLine{scene(t, req)}, "Alice Grey", "Bob Marsh"); !(s < 0) {
			t.Fatalf("strength %+.3f", s)
		}
	})
	t.Run("Don't mention the will", func(t *testing.T) {
		for seed := int64(1); seed <= 20; seed++ {
			req := castRequest(manorCast(), 3, "Bob Marsh", []Turn{{Speaker: "Bob Marsh", Text: "Where is the will, Alice?"}}, seed)
			req.Direction = "Don't mention the will"
			if line := scene(t, req); strings.Contains(strings.ToLower(line.Text), "the will") {
				t.Fatalf("seed %d: %q", seed, line.Text)
			}
		}
	})
}

// TestSceneSecret proves that a speaker alludes to or deflects its secret when talk comes
// near it but never states it, nor tells a memory that would give it away; and that the
// director can make it confess.
func TestSceneSecret(t *testing.T) {
	cast := manorCast()
	cast[1].memories = append([]string{"Diana burned the first page of the will in the study grate."}, cast[1].memories...)
	near := []Turn{{Speaker: "Bob Marsh", Text: "Somebody burned a page of the will in the study grate, Diana. Who was it?"}}
	alluded := 0
	for seed := int64(1); seed <= 30; seed++ {
		line := scene(t, castRequest(cast, 1, "Bob Marsh", near, seed))
		for g := range ngrams(cast[1].secret, 4) {
			if strings.Contains(normalizeLine(line.Text), g) {
				t.Fatalf("seed %d gives the secret away: %q", seed, line.Text)
			}
		}
		if strings.Contains(line.Text, "grate") {
			t.Fatalf("seed %d tells the memory that gives the secret away: %q", seed, line.Text)
		}
		for _, tmpl := range append(slices.Clone(deflectLines), hintLines...) {
			if frag := literalFragments(tmpl); strings.Contains(line.Text, strings.TrimSpace(strings.SplitN(frag[0], "{", 2)[0])) && len(strings.TrimSpace(frag[0])) > 8 {
				alluded++
				break
			}
		}
	}
	if alluded < 5 {
		t.Errorf("the secret was alluded to or deflected in only %d of 30 lines", alluded)
	}
	req := castRequest(cast, 1, "Frank Hale", near, 1)
	req.Direction = "Confess your secret"
	if line := scene(t, req); !strings.Contains(line.Text, "I burned the first page of the will") {
		t.Fatalf("no confession: %q", line.Text)
	}
}

// TestSceneMemoryPointOfView proves that a memory is told from the speaker's side: its
// name becomes "I", the addressee's "you", and what the two of them shared "us".
func TestSceneMemoryPointOfView(t *testing.T) {
	cast := manorCast()
	cast[3].memories = []string{"Bob told Alice that Diana lied about the will."}
	cast[3].secret = ""
	forms := map[string]*regexp.Regexp{
		"Bob Marsh":  regexp.MustCompile(`(?i)you told me that Diana lied`),
		"Diana Vale": regexp.MustCompile(`Bob told me that you lied`),
		"":           regexp.MustCompile(`Bob told me that Diana lied`),
	}
	for to, want := range forms {
		told := 0
		for seed := int64(1); seed <= 30; seed++ {
			line := scene(t, castRequest(cast, 3, to, nil, seed))
			if !strings.Contains(line.Text, "lied") {
				continue
			}
			told++
			if !want.MatchString(line.Text) || strings.Contains(line.Text, "Alice") {
				t.Fatalf("to %q: %q, want %v", to, line.Text, want)
			}
		}
		if told == 0 {
			t.Errorf("to %q: the memory was never told", to)
		}
	}
	cast[2].memories = []string{"Frank promised Diana that nothing would come between them."}
	for seed := int64(1); seed <= 30; seed++ {
		if line := scene(t, castRequest(cast, 2, "Diana Vale", nil, seed)); strings.Contains(line.Text, "promised") && !strings.Contains(line.Text, "I promised you that nothing would come between us") {
			t.Fatalf("%q", line.Text)
		}
	}
}

// TestSceneAvoid proves that a line is never one to avoid: asking again and again with
// every line so far in Avoid gives a new line each time, for a hand-made character and
// for a book voice of a few quotations, which soon runs out and falls back on words of
// its own.
func TestSceneAvoid(t *testing.T) {
	voice := []string{
		"Nonsense, errant nonsense, as ever was talked!",
		"I cannot see the wisdom of it, Emma.",
		"You are materially changed since we talked on this subject before.",
	}
	for _, tt := range []struct {
		name  string
		voice []string
	}{{"hand-made", nil}, {"short voice", voice}} {
		t.Run(tt.name, func(t *testing.T) {
			req := castRequest(manorCast(), 0, "Diana Vale", []Turn{{Speaker: "Diana Vale", Text: "You were always a bully, Bob."}}, 9)
			req.Voice = tt.voice
			seen := map[string]bool{}
			for range 40 {
				line := scene(t, req)
				if seen[line.Text] {
					t.Fatalf("repeated %q", line.Text)
				}
				seen[line.Text] = true
				req.Avoid = append(req.Avoid, line.Text)
			}
		})
	}
}

// TestSceneVoiceAnswersTheTopic proves that a character from a book answers what it hears
// from its own quotations: the line shares a telling word with the line heard far more
// often than chance, and suits the relationship (warmer to a friend than to a rival).
func TestSceneVoiceAnswersTheTopic(t *testing.T) {
	cast := emmaCast(t)
	emmaRequest := func(to string, history []Turn, seed int64) SceneRequest {
		req := castRequest(cast, 0, to, history, seed)
		req.Setting, req.Mood, req.Premise = "Hartfield", "Cosy", "Harriet has come to call on Emma."
		return req
	}
	tests := []struct {
		heard string
		words []string // the telling words of the line heard
	}{
		{"Do you really like the picture, Miss Woodhouse? Is it not too flattering?", []string{"picture", "likeness", "flatter"}},
		{"Mr. Martin has written me a letter, Miss Woodhouse. What shall I do?", []string{"martin", "letter", "written"}},
		{"Is not the charade very pretty, Miss Woodhouse?", []string{"charade", "pretty"}},
	}
	for _, tt := range tests {
		hits := 0
		for seed := int64(1); seed <= 10; seed++ {
			line := scene(t, emmaRequest("Harriet Smith", []Turn{{Speaker: "Harriet Smith", Text: tt.heard}}, seed))
			if found, total := voiceShare(line.Text, cast[0].voice, cast); total > 0 && found == 0 {
				t.Errorf("not from the book: %q", line.Text)
			}
			if slices.ContainsFunc(tt.words, func(w string) bool { return strings.Contains(strings.ToLower(line.Text), w) }) {
				hits++
			}
		}
		if hits < 6 {
			t.Errorf("%q: only %d of 10 lines answer it", tt.heard, hits)
		}
	}
	warmth := func(to string) (warm, cold int) {
		for seed := int64(1); seed <= 20; seed++ {
			l := scene(t, emmaRequest(to, []Turn{{Speaker: "Mr. Knightley", Text: "Well, here we all are at Donwell."}}, seed))
			switch e, _ := Emotion(l.Text); {
			case e == EmotionJoy || e == EmotionTrust:
				warm++
			case isCold(e):
				cold++
			}
		}
		return warm, cold
	}
	hw, hc := warmth("Harriet Smith")
	ew, ec := warmth("Mrs. Elton")
	if hw-hc <= ew-ec {
		t.Errorf("no warmer to Harriet (%d warm, %d cold lines) than to Mrs. Elton (%d warm, %d cold)", hw, hc, ew, ec)
	}
}

// TestReaddress proves that a quotation is spoken to the addressee: its address of someone
// else becomes the speaker's own way of addressing the addressee (with "my dear" only for
// a friend), and goes, commas and all, when the speaker talks to the room; a name that is
// a subject, not an address, stays.
func TestReaddress(t *testing.T) {
	proper := wordSet("Harriet Woodhouse Martin Knightley Elton Weston Fairfax Jane Emma")
	voice := []string{
		"Oh! Miss Woodhouse, how you do forget!", "Dear Miss Woodhouse, I would not give it up.",
		"Indeed, Mr. Knightley, you are quite right.", "Ah! Mr. Knightley, there you are.",
	}
	knightley := Present{Name: "Mr. Knightley", Bond: &Bond{Strength: 0.6, Trust: 0.7, Familiarity: 0.5}}
	elton := Present{Name: "Mrs. Elton", Bond: &Bond{Strength: -0.6, Trust: 0.2, Familiarity: 0.5}}
	tests := []struct {
		text string
		to   *Present
		want string
	}{
		{"Oh! Miss Woodhouse, how you do forget!", nil, "Oh! How you do forget!"},
		{"Oh! Miss Woodhouse, how you do forget!", &knightley, "Oh! Mr. Knightley, how you do forget!"},
		{"Ah! but Jane Fairfax has them both, Harriet.", &elton, "Ah! but Jane Fairfax has them both, Mrs. Elton."},
		{"I assure you, Miss Woodhouse, it is very delightful.", nil, "I assure you, it is very delightful."},
		{"My dear Harriet, you are mistaken.", &knightley, "My dear Mr. Knightley, you are mistaken."},
		{"My dear Harriet, you are mistaken.", &elton, "Mrs. Elton, you are mistaken."},
		{"No, papa, nobody thought of your walking.", &elton, "No, Mrs. Elton, nobody thought of your walking."},
		{"Mr. Martin, I suppose, is not a man of information.", &elton, "Mr. Martin, I suppose, is not a man of information."},
		{"You seem to have forgotten Mrs. and Miss Bates, I think.", nil, "You seem to have forgotten Mrs. and Miss Bates, I think."},
		{"Indeed, Mr. Knightley, you are quite right.", &knightley, "Indeed, Mr. Knightley, you are quite right."},
		{"Dear Miss Woodhouse! You are so kind.", nil, "You are so kind."},
		{"Pray, dear Miss Woodhouse, tell me what to do.", &knightley, "Pray, dear Mr. Knightley, tell me what to do."},
		{"Dear Miss Woodhouse! You are so kind.", &knightley, "Dear Mr. Knightley! You are so kind."},
		{"Who? Jane Fairfax. She plays so well.", &elton, "Who? Jane Fairfax. She plays so well."},
		{"We do not equal my brother, Mr. Suckling, in income.", &knightley, "We do not equal my brother, Mr. Suckling, in income."},
		{"I assure you, Miss Woodhouse, it is so.", &knightley, "I assure you, Mr. Knightley, it is so."},
	}
	for _, tt := range tests {
		s := &sceneComposer{composer: &composer{proper: proper}, voice: newVoiceIndex(voice, proper), to: tt.to}
		if tt.to != nil {
			s.tone = toneOf(*tt.to.Bond)
			s.toForm = s.formFor(tt.to)
		}
		u := voiceUnit{text: tt.text, vocs: findVocatives(tt.text, proper)}
		if got := s.readdress(u); got != tt.want {
			t.Errorf("readdress(%q) to %v = %q, want %q", tt.text, tt.to, got, tt.want)
		}
	}
}

// TestRefersTo proves which names of address can name whom: titles must agree, and a bare
// surname is how men are called.
func TestRefersTo(t *testing.T) {
	tests := []struct {
		form, name string
		want       bool
	}{
		{"Miss Woodhouse", "Emma Woodhouse", true},
		{"Emma", "Emma Woodhouse", true},
		{"Knightley", "Mr. Knightley", true},
		{"Mr. Elton", "Mrs. Elton", false},
		{"Elton", "Mrs. Elton", false},
		{"Harriet", "Emma Woodhouse", false},
	}
	for _, tt := range tests {
		if got := refersTo(tt.form, tt.name); got != tt.want {
			t.Errorf("refersTo(%q, %q) = %v", tt.form, tt.name, got)
		}
	}
}

// TestVoiceIndex proves how a book's quotations are cut into lines: the double hyphens of
// old typesetting read as sentence breaks or dashes, italics marks go, a quotation broken
// off by narration ends properly, and the voice's ways of addressing people are learnt.
func TestVoiceIndex(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Were you really?--Well!--But you observed nothing.", "Were you really? Well! But you observed nothing."},
		{"Yes--no--yes, to Mrs. Goddard's.", "Yes\u2014no\u2014yes, to Mrs. Goddard's."},
		{"there _is_ feeling here,", "There is feeling here."},
		{"I am obliged to you, If I had known.", "I am obliged to you, if I had known."},
	}
	for _, tt := range tests {
		if got, _ := cleanQuote(tt.in); got != tt.want {
			t.Errorf("cleanQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := splitSentences("Mr. Weston is here. Oh! you are too kind. Is it so?"); !slices.Equal(got, []string{"Mr. Weston is here.", "Oh! you are too kind.", "Is it so?"}) {
		t.Errorf("splitSentences: %q", got)
	}
	voices := loadVoices(t, "emma")
	v := newVoiceIndex(voices["Harriet Smith"], wordSet("Woodhouse Knightley Elton Martin Emma Harriet"))
	if f := v.formFor("Emma Woodhouse"); f != "Miss Woodhouse" {
		t.Errorf("Harriet addresses Emma as %q", f)
	}
	if f := newVoiceIndex(voices["Mr. Knightley"], wordSet("Emma Harriet Woodhouse")).formFor("Emma Woodhouse"); f != "Emma" {
		t.Errorf("Mr. Knightley addresses Emma as %q", f)
	}
}

// TestSecondPerson proves how a clause about someone is said to them: their name is
// "you", its verb agrees, and a "you" that was there already keeps what follows it.
func TestSecondPerson(t *testing.T) {
	tests := []struct{ in, name, want string }{
		{"Diana was seen in the study", "Diana Vale", "you were seen in the study"},
		{"Bob owes the estate money", "Bob Marsh", "you owe the estate money"},
		{"Mr. Knightley's letter came", "Mr. Knightley", "your letter came"},
		{"I gave you flowers before Diana goes", "Diana Vale", "I gave you flowers before you go"},
		{"Bob is not here and Bob has gone", "Bob Marsh", "you are not here and you have gone"},
	}
	for _, tt := range tests {
		if got := secondPerson(tt.in, tt.name); got != tt.want {
			t.Errorf("secondPerson(%q, %q) = %q, want %q", tt.in, tt.name, got, tt.want)
		}
	}
}
