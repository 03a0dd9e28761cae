package llm

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pseudo-labels of the lexicon for words with a clear valence but no specific emotion
// ("good", "awful"); Emotion spreads them over the basic emotions.
const (
	valencePositive = "+"
	valenceNegative = "-"
)

// lexiconSource lists the cue words of each emotion; "word:0.6" gives a weight other than
// 1, for words that suggest an emotion rather than name it. Inflections need not be
// listed when stripping a common suffix finds the listed form (see lookup).
var lexiconSource = []struct{ emotion, words string }{
	{EmotionJoy, `happy happiness glad joy joyful joyous delight delighted delightful wonderful
		love loved lovely adore laugh laughed laughing laughter smile smiled smiling cheerful
		pleased pleasure marvellous marvelous splendid excellent fantastic beautiful charming
		fun enjoy thrilled excited hooray yay bliss blessed celebrate congratulations merry
		amusing amused glorious heavenly ha:0.6 haha dance:0.5 sweet:0.5 grin:0.7`},
	{EmotionTrust, `trust trusted faith faithful loyal loyalty honest honesty rely believe:0.6
		friend:0.6 friendship promise:0.6 sincere devoted depend:0.5 respect admire admiration
		grateful gratitude thank:0.7 thanks:0.7 kind:0.4 kindness dear:0.5 safe:0.5 confide
		confidence:0.6 reliable forgive:0.7 together:0.4`},
	{EmotionAnger, `angry anger furious fury rage enraged hate hated hatred outraged outrage
		insolent insolence insult insulted despise resent resentment damn damned infuriating
		annoyed annoying irritated livid dare:0.8 liar lie:0.5 betray betrayed betrayal
		scoundrel idiot fool:0.7 stupid:0.7 cruel:0.7 unfair:0.7 mad:0.6 wretch:0.7
		impertinent impudent arrogant:0.7 conceited:0.7 proud:0.3`},
	{EmotionFear, `afraid fear feared scared frightened frightening terrified terror terrifying
		dread dreadful:0.5 anxious anxiety nervous worry worried panic danger dangerous threat
		threaten horror horrified alarm alarmed uneasy tremble trembling nightmare ghost:0.5
		hide:0.4 help:0.4 please:0.2 dark:0.3 unsafe`},
	{EmotionSadness, `sad sadly sadness sorrow sorry:0.6 grief grieve cry cried tears weep wept
		lonely alone:0.5 miss:0.6 lost:0.6 loss mourn unhappy miserable misery regret alas
		heartbroken broken:0.5 despair gloomy melancholy hopeless dead:0.6 death:0.6 died:0.7
		funeral pity:0.6 disappointed disappointment hurt:0.7 pain:0.6 tired:0.4 weary:0.6`},
	{EmotionSurprise, `surprise surprised surprising astonished astonishing astonishment amazed
		amazing:0.6 shocked shocking sudden suddenly unexpected unexpectedly wow whoa
		incredible:0.6 unbelievable:0.7 startled goodness:0.6 heavens:0.6 really:0.2`},
	{EmotionDisgust, `disgust disgusted disgusting revolting vile gross nasty filthy repulsive
		sickening sick:0.5 contempt contemptible loathe loathsome despicable abhorrent
		rotten:0.6 foul odious`},
	{EmotionAnticipation, `hope hoped hopeful soon tomorrow:0.5 await eager eagerly plan:0.5
		forward:0.4 wait:0.5 prepare:0.5 ready:0.5 someday future:0.5 wish:0.6 curious:0.6
		wonder:0.5 expect:0.6 perhaps:0.3 adventure:0.7`},
	{valencePositive, `good nice great:0.8 fine:0.4 best well:0.3 perfect yes:0.3 right:0.2
		brilliant:0.8 pleasant`},
	{valenceNegative, `bad terrible awful horrible wrong:0.7 worst poor:0.4 dreadfully unpleasant
		ruin ruined shame:0.7 disgrace:0.8`},
}

// cue is an emotion a word suggests, and how strongly.
type cue struct {
	emotion string
	weight  float64
}

// lexicon maps a lower-case word to its cue; built once from lexiconSource and only read.
var lexicon = func() map[string]cue {
	m := make(map[string]cue, 512)
	for _, group := range lexiconSource {
		for _, field := range strings.Fields(group.words) {
			word, weight := field, 1.0
			if w, ws, ok := strings.Cut(field, ":"); ok {
				f, err := strconv.ParseFloat(ws, 64)
				if err != nil {
					panic("llm: bad lexicon weight " + field)
				}
				word, weight = w, f
			}
			m[word] = cue{group.emotion, weight}
		}
	}
	return m
}()

// negators turn the emotion of the next few words around ("not happy", "never afraid").
// Words ending in "n't" are negators too.
var negators = map[string]bool{
	"not": true, "no": true, "never": true, "nor": true, "cannot": true, "hardly": true,
	"barely": true, "without": true, "neither": true, "nothing": true,
}

// intensifiers strengthen the next emotional word ("so happy", "utterly vile").
var intensifiers = map[string]bool{
	"very": true, "so": true, "truly": true, "utterly": true, "absolutely": true,
	"extremely": true, "terribly": true, "deeply": true, "most": true, "such": true,
	"incredibly": true, "awfully": true, "completely": true, "quite": true, "too": true,
}

// negationReach is how many words after a negator it applies to ("not at all happy").
const negationReach = 3

// neutralBelow is the score under which a text counts as neutral: a lone weak cue ("well",
// "perhaps") says little about how the speaker feels.
const neutralBelow = 0.45

// Emotion classifies the emotion expressed in text with a small lexicon: cue words of each
// emotion (and words of plain positive or negative valence), strengthened by intensifiers
// ("so"), shouting and exclamation marks, turned around by negation ("not happy" reads as
// sadness, "not afraid" as nothing), and diluted by the length of the text. It returns
// one of Emotions and an intensity in 0..1 ("neutral" always with 0). It is fast and
// deterministic, and understands English only.
func Emotion(text string) (emotion string, intensity float64) {
	var scores [len(emotions)]float64
	add := func(e string, w float64) {
		for i, label := range emotions {
			if label == e {
				scores[i] += w
				return
			}
		}
	}
	words := 0
	negatedUntil, boost := -1, 1.0
	prev := ""
	for i, tok := range tokens(text) {
		words++
		lower := strings.ToLower(tok)
		before := prev
		prev = lower
		switch {
		case lower == "dare" && before != "how", tok == "Miss":
			// "I dare say" is no threat, and "Miss Bennet" no longing.
			continue
		case negators[lower] || strings.HasSuffix(lower, "n't"):
			negatedUntil = i + negationReach
			continue
		case intensifiers[lower]:
			boost = 1.6
			continue
		}
		c, ok := lookup(lower)
		if !ok {
			continue
		}
		w := c.weight * boost
		boost = 1
		if len(tok) >= 3 && tok == strings.ToUpper(tok) {
			w *= 1.4 // shouting
		}
		if i <= negatedUntil {
			// Negated warmth reads as disappointment; negated distress ("not afraid",
			// "no harm") as nothing in particular.
			switch c.emotion {
			case EmotionJoy, EmotionTrust, EmotionAnticipation, valencePositive:
				add(EmotionSadness, 0.5*w)
			}
			continue
		}
		switch c.emotion {
		case valencePositive:
			add(EmotionJoy, 0.6*w)
		case valenceNegative:
			add(EmotionSadness, 0.5*w)
			add(EmotionAnger, 0.3*w)
		default:
			add(c.emotion, w)
		}
	}
	if strings.Contains(text, "?!") || strings.Contains(text, "!?") {
		add(EmotionSurprise, 0.6)
	}

	best := 0
	for i := range scores {
		if scores[i] > scores[best] {
			best = i
		}
	}
	if scores[best] < neutralBelow {
		return EmotionNeutral, 0
	}
	x := scores[best] * (1 + 0.15*float64(min(strings.Count(text, "!"), 3)))
	x /= 1 + 0.03*float64(words) // one sad word in a long speech is not grief
	intensity = math.Round(100*(1-math.Exp(-x))) / 100
	return emotions[best], max(intensity, 0.05)
}

// lookup finds word's cue, trying it without a common English suffix when it is not
// listed as it is ("laughs", "worrying", "hoping", "betrayals").
func lookup(word string) (cue, bool) {
	if c, ok := lexicon[word]; ok {
		return c, true
	}
	for _, suffix := range []string{"'s", "s", "es", "ed", "d", "ing", "ly", "ness"} {
		stem, ok := strings.CutSuffix(word, suffix)
		if !ok || len(stem) < 3 {
			continue
		}
		if c, ok := lexicon[stem]; ok {
			return c, true
		}
		if c, ok := lexicon[stem+"e"]; ok { // "hoping" → "hope"
			return c, true
		}
	}
	return cue{}, false
}

// tokens splits text into words of letters, digits and inner apostrophes, in their
// original case; typographic apostrophes become "'" so that "don’t" is "don't". Words are
// slices of text unless they hold a typographic apostrophe: this runs over every line of
// a scene at every turn.
func tokens(text string) []string {
	out := make([]string, 0, len(text)/5+1)
	start, curly := -1, false
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		if curly {
			w = strings.ReplaceAll(w, "\u2019", "'")
		}
		if w = strings.Trim(w, "'"); w != "" {
			out = append(out, w)
		}
		start, curly = -1, false
	}
	for i, r := range text {
		switch {
		case letterOrDigit(r), r == '\'':
		case r == '\u2019':
			curly = true
		default:
			flush(i)
			continue
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(text))
	return out
}

// letterOrDigit is unicode.IsLetter(r) || unicode.IsDigit(r), with ASCII first: the words
// of every line of a scene go through it at every turn.
func letterOrDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
