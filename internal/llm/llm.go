// Package llm writes characters' lines: given who speaks, to whom, what they remember and
// what was just said, a Generator streams the character's reply and labels its emotion.
//
// There are two implementations behind the Generator interface:
//
//   - Offline, the default, a deterministic storyteller that needs no network and no model:
//     it composes a reply from the character's own memories, traits, goals, speaking style,
//     emotion and relationship with the listener, so `ensemble serve` works on a bare
//     machine and tests are repeatable;
//   - OpenAI, a streaming client for any OpenAI-compatible chat completions endpoint
//     (OpenAI, Ollama, vLLM, the llama.cpp server, ...), used when one is configured.
//
// Both stream: the reply arrives piece by piece through a callback, so a user sees a
// character start to speak at once, and both label the reply with one of a fixed set of
// emotions (Emotions), which the engine stores as the character's current emotion.
// Emotion, the lexicon classifier the offline storyteller uses, is exported so that other
// code can label any text the same way.
package llm

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Generator writes a character's next line. Implementations are safe for concurrent use.
type Generator interface {
	// Generate streams the reply: onDelta (which may be nil) is called with each piece of
	// text in order, never concurrently, and the pieces concatenate to the returned
	// Reply's Text. If ctx ends, Generate stops and returns ctx's error (wrapped), with the
	// text streamed so far in the Reply.
	Generate(ctx context.Context, req Request, onDelta func(string)) (Reply, error)
	// Model names what writes the replies: "offline-storyteller-v1", or the configured
	// remote model.
	Model() string
	// Offline reports whether replies are composed locally rather than by a language model.
	Offline() bool
}

// Request is everything a Generator knows when a character speaks.
type Request struct {
	// Character is who speaks.
	Character Persona
	// Listener is who is addressed: the user's display name, or another character's name.
	// It may be "" (speaking to the room).
	Listener string
	// Relationship is the speaker's relationship with the listener, nil if there is none.
	Relationship *Bond
	// Memories are the speaker's recalled memories, most relevant first.
	Memories []string
	// History is the recent conversation, oldest first.
	History []Turn
	// Message is the line being answered. It may be "" for a scene turn in which the
	// speaker starts.
	Message string
	// Scene is an optional description of the scene, or a director's note.
	Scene string
	// Seed makes the offline storyteller's choices reproducible; 0 derives a seed from the
	// request, so the same request still always gets the same reply. Remote models ignore it.
	Seed int64
	// MaxTokens bounds the length of the reply, 0 for no bound. The offline storyteller
	// counts words; remote models count their tokens.
	MaxTokens int
}

// Persona is the speaking character as far as a reply needs it.
type Persona struct {
	// Name is the character's name, e.g. "Elizabeth Bennet".
	Name string
	// Description says who the character is, in a sentence or two.
	Description string
	// Backstory is the character's history.
	Backstory string
	// SpeakingStyle describes how the character talks, e.g. "witty, formal, ironic".
	SpeakingStyle string
	// Goals are what the character wants, most important first.
	Goals []string
	// Traits is the character's Big Five personality. The zero value means unknown and is
	// treated as average.
	Traits Traits
	// Emotion is the character's current emotion, ideally one of Emotions.
	Emotion string
	// SocialEnergy is how much the character feels like talking, 0 (drained) to 1 (eager).
	SocialEnergy float64
}

// Traits are the Big Five personality traits, each 0..1.
type Traits struct {
	// Openness: curious and imaginative (1) or conventional and practical (0).
	Openness float64
	// Conscientiousness: dutiful and orderly (1) or spontaneous and careless (0).
	Conscientiousness float64
	// Extraversion: outgoing and talkative (1) or reserved and quiet (0).
	Extraversion float64
	// Agreeableness: warm and cooperative (1) or blunt and combative (0).
	Agreeableness float64
	// Neuroticism: anxious and easily upset (1) or calm and even-tempered (0).
	Neuroticism float64
}

// known reports whether any trait is set; all zeros is taken as "not filled in" rather
// than as an extreme personality nobody would choose on purpose.
func (t Traits) known() bool { return t != Traits{} }

// orAverage returns t, or average traits when t is the zero value (unknown).
func (t Traits) orAverage() Traits {
	if !t.known() {
		return Traits{0.5, 0.5, 0.5, 0.5, 0.5}
	}
	return t
}

// clamped returns t with every trait limited to 0..1, so that out-of-range input cannot
// push the storyteller's choices off its scales.
func (t Traits) clamped() Traits {
	return Traits{clamp01(t.Openness), clamp01(t.Conscientiousness), clamp01(t.Extraversion),
		clamp01(t.Agreeableness), clamp01(t.Neuroticism)}
}

// Bond is the speaker's relationship with the listener.
type Bond struct {
	// Type is the kind of relationship, e.g. "FRIEND", "RIVAL", "FAMILY", "ENEMY".
	Type string
	// Strength is how the speaker feels towards the listener, -1 (hostile) to 1 (devoted).
	Strength float64
	// Trust is how far the speaker trusts the listener, 0 to 1.
	Trust float64
	// Familiarity is how well the speaker knows the listener, 0 (stranger) to 1 (intimate).
	Familiarity float64
}

// Turn is one line of the conversation so far.
type Turn struct {
	// Speaker is who said it: a character's name or the user's display name.
	Speaker string
	// Text is what was said.
	Text string
	// FromUser marks lines written by the user rather than by a character.
	FromUser bool
}

// Reply is a generated line.
type Reply struct {
	// Text is the whole reply, the concatenation of the streamed pieces, without the
	// emotion tag a remote model was asked to append.
	Text string
	// Emotion is the speaker's emotion as they say it, one of Emotions.
	Emotion string
	// Intensity is the strength of Emotion, 0..1 (0 for neutral).
	Intensity float64
	// Model names what wrote the reply (see Generator.Model).
	Model string
	// Offline reports whether the reply was composed offline.
	Offline bool
	// FinishReason says why the reply ended: "stop" when it was complete, "length" when
	// MaxTokens cut it short, or what a remote endpoint reported. It is "" when the reply
	// did not finish (an error was returned).
	FinishReason string
}

// The emotions a Reply is labelled with: neutral and Plutchik's eight basic emotions.
const (
	EmotionNeutral      = "neutral"
	EmotionJoy          = "joy"
	EmotionSadness      = "sadness"
	EmotionAnger        = "anger"
	EmotionFear         = "fear"
	EmotionSurprise     = "surprise"
	EmotionTrust        = "trust"
	EmotionDisgust      = "disgust"
	EmotionAnticipation = "anticipation"
)

// emotions lists the labels in a fixed order, which also breaks ties in Emotion.
var emotions = [...]string{
	EmotionNeutral, EmotionJoy, EmotionSadness, EmotionAnger, EmotionFear,
	EmotionSurprise, EmotionTrust, EmotionDisgust, EmotionAnticipation,
}

// Emotions returns the labels a Reply's Emotion takes, "neutral" first. The slice is a
// fresh copy.
func Emotions() []string { return slices.Clone(emotions[:]) }

// emotionAliases maps words a model (or a character's stored state) may use for an
// emotion to the label it stands for.
var emotionAliases = map[string]string{
	"calm": EmotionNeutral, "none": EmotionNeutral, "content": EmotionNeutral, "indifferent": EmotionNeutral,
	"happy": EmotionJoy, "happiness": EmotionJoy, "joyful": EmotionJoy, "amused": EmotionJoy,
	"amusement": EmotionJoy, "delight": EmotionJoy, "delighted": EmotionJoy, "love": EmotionJoy,
	"excited": EmotionJoy, "excitement": EmotionJoy, "pleased": EmotionJoy, "cheerful": EmotionJoy,
	"sad": EmotionSadness, "sorrow": EmotionSadness, "grief": EmotionSadness, "melancholy": EmotionSadness,
	"regret": EmotionSadness, "lonely": EmotionSadness, "loneliness": EmotionSadness, "hurt": EmotionSadness,
	"angry": EmotionAnger, "rage": EmotionAnger, "annoyed": EmotionAnger, "annoyance": EmotionAnger,
	"irritated": EmotionAnger, "irritation": EmotionAnger, "frustrated": EmotionAnger, "frustration": EmotionAnger,
	"resentment": EmotionAnger, "indignation": EmotionAnger, "contempt": EmotionDisgust,
	"afraid": EmotionFear, "scared": EmotionFear, "anxious": EmotionFear, "anxiety": EmotionFear,
	"worried": EmotionFear, "worry": EmotionFear, "nervous": EmotionFear, "dread": EmotionFear,
	"surprised": EmotionSurprise, "astonished": EmotionSurprise, "astonishment": EmotionSurprise,
	"shocked": EmotionSurprise, "shock": EmotionSurprise, "amazed": EmotionSurprise, "amazement": EmotionSurprise,
	"trusting": EmotionTrust, "affection": EmotionTrust, "gratitude": EmotionTrust, "grateful": EmotionTrust,
	"admiration": EmotionTrust, "warmth": EmotionTrust, "tender": EmotionTrust, "tenderness": EmotionTrust,
	"disgusted": EmotionDisgust, "revulsion": EmotionDisgust, "scorn": EmotionDisgust, "disdain": EmotionDisgust,
	"hope": EmotionAnticipation, "hopeful": EmotionAnticipation, "eager": EmotionAnticipation,
	"eagerness": EmotionAnticipation, "curious": EmotionAnticipation, "curiosity": EmotionAnticipation,
	"expectant": EmotionAnticipation, "determined": EmotionAnticipation, "determination": EmotionAnticipation,
}

// NormalizeEmotion maps a label, in any case and possibly a synonym ("Happy", "angry",
// "melancholy"), to one of Emotions. It reports false, returning "neutral", for a word it
// does not know.
func NormalizeEmotion(label string) (string, bool) {
	label = strings.ToLower(strings.TrimSpace(label))
	if slices.Contains(emotions[:], label) {
		return label, true
	}
	if e, ok := emotionAliases[label]; ok {
		return e, true
	}
	return EmotionNeutral, false
}

var (
	// ErrUnavailable reports that no reply could be had right now: the endpoint is down,
	// too slow, failing with 5xx, or kept failing until the retries ran out. Callers may
	// try later or fall back to the offline storyteller; nothing about the request is wrong.
	ErrUnavailable = errors.New("endpoint unavailable")
	// ErrRejected reports that the endpoint refused the request (a 4xx other than 429):
	// a bad API key, an unknown model, a prompt too long. Retrying will not help; the
	// configuration or the request needs fixing.
	ErrRejected = errors.New("request rejected")
	// ErrInterrupted reports that the reply stopped mid-way: the stream was cut off after
	// some text had been streamed. The Reply returned with it holds that partial text, and
	// callers decide whether to keep it. It is never retried, since the listener has
	// already seen the start of the reply.
	ErrInterrupted = errors.New("reply interrupted")
)

// Compile-time checks that both implementations satisfy the interface.
var (
	_ Generator = (*Offline)(nil)
	_ Generator = (*OpenAI)(nil)
)

// clamp01 limits x to 0..1, mapping NaN to 0.
func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}

// clampSigned limits x to -1..1, mapping NaN to 0.
func clampSigned(x float64) float64 {
	if x != x {
		return 0
	}
	return max(min(x, 1), -1)
}
