// Package ecosystemexport writes a whole ecosystem as one versioned JSON document (its
// characters, relationships with their history, memories, scenarios and conversations
// with their messages) and imports such a document as a new ecosystem, for backups and
// moving between servers.
//
// Ids in the document are local to it: an export numbers the rows ("c1", "m7"), an import
// hands out new ids and remaps every reference. Memories travel without embeddings, which
// the importing server computes with its own embedder. Left out, because they do not
// belong to the ecosystem alone or cannot travel: the books characters and memories were
// drawn from (the references are dropped), character cards, share codes, a scene's
// pending directions, and the history of relationships that were deleted.
package ecosystemexport

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/literaryai/ensemble/internal/errs"
)

// The document's format name and the version this server writes and reads.
const (
	Format  = "ensemble.ecosystem"
	Version = 1
)

// Document is an ecosystem as it travels. Field names follow the API's.
type Document struct {
	Format        string         `json:"format"`
	Version       int            `json:"version"`
	ExportedAt    time.Time      `json:"exportedAt"`
	Ecosystem     Ecosystem      `json:"ecosystem"`
	Characters    []Character    `json:"characters"`
	Relationships []Relationship `json:"relationships"`
	Memories      []Memory       `json:"memories"`
	Scenarios     []Scenario     `json:"scenarios"`
	Conversations []Conversation `json:"conversations"`
}

// Ecosystem is the ecosystem's own fields; an import makes a new one, created now.
type Ecosystem struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Traits are a character's Big Five.
type Traits struct {
	Openness          float64 `json:"openness"`
	Conscientiousness float64 `json:"conscientiousness"`
	Extraversion      float64 `json:"extraversion"`
	Agreeableness     float64 `json:"agreeableness"`
	Neuroticism       float64 `json:"neuroticism"`
}

// Character is a character with its state.
type Character struct {
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	Backstory         string          `json:"backstory"`
	SpeakingStyle     string          `json:"speakingStyle"`
	Goals             []string        `json:"goals"`
	PersonalityTraits Traits          `json:"personalityTraits"`
	AutonomyLevel     float64         `json:"autonomyLevel"`
	SocialEnergy      float64         `json:"socialEnergy"`
	CurrentEmotion    string          `json:"currentEmotion"`
	IsActive          bool            `json:"isActive"`
	MemorySummary     string          `json:"memorySummary"`
	CurrentContext    json.RawMessage `json:"currentContext"`
	LastInteraction   *time.Time      `json:"lastInteraction"`
	// ReflectionDebt is the importance gathered since the last reflection, so the next
	// one comes when it would have.
	ReflectionDebt float64   `json:"reflectionDebt"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Values are a relationship's three numbers, each optional (a history row's values
// before a change, or the change asked for).
type Values struct {
	Strength    *float64 `json:"strength,omitempty"`
	Trust       *float64 `json:"trust,omitempty"`
	Familiarity *float64 `json:"familiarity,omitempty"`
}

func (v *Values) empty() bool {
	return v == nil || (v.Strength == nil && v.Trust == nil && v.Familiarity == nil)
}

// Relationship is a directed relationship with its history.
type Relationship struct {
	ID          string     `json:"id"`
	From        string     `json:"from"`
	To          string     `json:"to"`
	Type        string     `json:"type"`
	Label       *string    `json:"label"`
	Strength    float64    `json:"strength"`
	Trust       float64    `json:"trust"`
	Familiarity float64    `json:"familiarity"`
	Notes       string     `json:"notes"`
	Since       *time.Time `json:"since"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	History     []Change   `json:"history"`
}

// Change is one row of a relationship's history: the state after it, what it was
// before, what was asked for, and why.
type Change struct {
	Kind        string  `json:"kind"`
	Type        string  `json:"type"`
	Label       *string `json:"label"`
	Strength    float64 `json:"strength"`
	Trust       float64 `json:"trust"`
	Familiarity float64 `json:"familiarity"`
	Old         *Values `json:"old,omitempty"`
	Delta       *Values `json:"delta,omitempty"`
	Clamped     bool    `json:"clamped"`
	Cause       *string `json:"cause"`
	// Actor is who made it ("user", "scene", ...); a user's change is the importer's.
	Actor string `json:"actor"`
	// Message is the line that caused it, when a line did.
	Message *string   `json:"message"`
	At      time.Time `json:"at"`
}

// Memory is a character's memory, without its embedding.
type Memory struct {
	ID             string    `json:"id"`
	Character      string    `json:"character"`
	Content        string    `json:"content"`
	Type           string    `json:"type"`
	Importance     float64   `json:"importance"`
	CreatedAt      time.Time `json:"createdAt"`
	LastAccessedAt time.Time `json:"lastAccessedAt"`
	AccessCount    int32     `json:"accessCount"`
	SourceMessage  *string   `json:"sourceMessage"`
	// Sources are the memories a reflection was drawn from.
	Sources []string `json:"sources,omitempty"`
}

// CastMember is a character's part in a scenario or a scene.
type CastMember struct {
	Character string `json:"character"`
	Role      string `json:"role"`
	Goal      string `json:"goal"`
	Secret    string `json:"secret"`
	MaySpeak  bool   `json:"maySpeak"`
}

// Scenario is a scenario with its cast and run settings.
type Scenario struct {
	ID        string       `json:"id"`
	Title     string       `json:"title"`
	Setting   string       `json:"setting"`
	Mood      string       `json:"mood"`
	Premise   string       `json:"premise"`
	Opening   string       `json:"opening"`
	MaxTurns  int32        `json:"maxTurns"`
	PaceMs    int32        `json:"paceMs"`
	Cast      []CastMember `json:"cast"`
	CreatedAt time.Time    `json:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt"`
}

// Participant is a character taking part in a conversation.
type Participant struct {
	Character string    `json:"character"`
	JoinedAt  time.Time `json:"joinedAt"`
}

// Scene is the state of a SCENE conversation's scene.
type Scene struct {
	Scenario    *string      `json:"scenario"`
	Setting     string       `json:"setting"`
	Mood        string       `json:"mood"`
	Premise     string       `json:"premise"`
	Cast        []CastMember `json:"cast"`
	Turn        int32        `json:"turn"`
	MaxTurns    int32        `json:"maxTurns"`
	PaceMs      int32        `json:"paceMs"`
	Seed        int64        `json:"seed"`
	Mode        string       `json:"mode"`
	LastSpeaker *string      `json:"lastSpeaker"`
	LastTurnAt  *time.Time   `json:"lastTurnAt"`
	// Spoke is the last turn each character spoke, by character.
	Spoke map[string]int `json:"spoke"`
}

// Conversation is a conversation with its messages.
type Conversation struct {
	ID           string        `json:"id"`
	Kind         string        `json:"kind"`
	Status       string        `json:"status"`
	Title        string        `json:"title"`
	StandIn      *string       `json:"standIn"`
	Participants []Participant `json:"participants"`
	Scene        *Scene        `json:"scene,omitempty"`
	Messages     []Message     `json:"messages"`
	CreatedAt    time.Time     `json:"createdAt"`
	UpdatedAt    time.Time     `json:"updatedAt"`
}

// Message is a line of a conversation. A USER line is the importer's.
type Message struct {
	ID              string          `json:"id"`
	Seq             int64           `json:"seq"`
	Turn            *int32          `json:"turn"`
	SenderKind      string          `json:"senderKind"`
	SenderCharacter *string         `json:"senderCharacter"`
	Addressee       *string         `json:"addressee"`
	ReplyTo         *string         `json:"replyTo"`
	Content         string          `json:"content"`
	Emotion         *string         `json:"emotion"`
	Intensity       *float64        `json:"intensity"`
	Metadata        json.RawMessage `json:"metadata"`
	CreatedAt       time.Time       `json:"createdAt"`
}

// Decode reads an uploaded document: JSON of this format and version, every field of the
// right type and none unknown. Errors name the offending element's path
// ("file.characters.3.personalityTraits.openness").
func Decode(file []byte) (*Document, error) {
	file = bytes.TrimPrefix(file, []byte("\xef\xbb\xbf"))
	// Whole-document syntax (trailing data included) is checked here, before the version.
	var head struct {
		Format  any `json:"format"`
		Version any `json:"version"`
	}
	if err := json.Unmarshal(file, &head); err != nil {
		return nil, decodeError(file, err)
	}
	if head.Format != Format {
		return nil, errs.Invalid("file.format", "must be %q: the file is not an Ensemble ecosystem export", Format)
	}
	if head.Version == nil {
		return nil, errs.Invalid("file.version", "is required")
	}
	if v, ok := head.Version.(float64); !ok || v != Version {
		return nil, errs.Invalid("file.version", "version %v is not supported: this server reads version %d", head.Version, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, decodeError(file, err)
	}
	return &d, nil
}

// decodeError turns a JSON error into bad input at the element it concerns.
func decodeError(file []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var when *time.ParseError
	switch {
	case errors.As(err, &syntax):
		line, col := position(file, syntax.Offset)
		return errs.Invalid("file", "is not valid JSON (line %d, column %d): %v", line, col, syntax)
	case errors.As(err, &typ):
		path := locate(file, func(_ json.Token, end int64, key bool) bool { return !key && end >= typ.Offset })
		return errs.Invalid(field(path), "must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &when):
		path := locate(file, func(tok json.Token, _ int64, key bool) bool { return !key && tok == when.Value })
		return errs.Invalid(field(path), "must be an RFC 3339 date-time, e.g. 2026-11-27T09:30:00Z")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		path := locate(file, func(tok json.Token, _ int64, key bool) bool { return key && tok == name })
		return errs.Invalid(field(path), "is not a field of this format (version %d)", Version)
	}
	return errs.Invalid("file", "is not valid JSON: %v", err)
}

// field is the argument path of an element of the document.
func field(path string) string {
	if path == "" {
		return "file"
	}
	return "file." + path
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice", kind == "array":
		return "an array"
	}
	return "an object"
}

// position is the line and column (from 1) of a byte offset.
func position(file []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(file)))
	before := file[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return line, max(col, 1)
}

// frame is an array or object being walked.
type frame struct {
	array   bool
	index   int
	key     string
	wantKey bool
}

// locate walks a well-formed JSON document and returns the path ("characters.3.name") of
// the first key or value for which stop holds, given the token and the offset just past
// it (past the opening bracket of an array or object). The json package reports a type
// error by offset, and an unknown field or a bad time by its text alone.
func locate(file []byte, stop func(tok json.Token, end int64, key bool) bool) string {
	dec := json.NewDecoder(bytes.NewReader(file))
	var stack []*frame
	path := func() string {
		parts := make([]string, len(stack))
		for i, f := range stack {
			if f.array {
				parts[i] = strconv.Itoa(f.index)
			} else {
				parts[i] = f.key
			}
		}
		return strings.Join(parts, ".")
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		end := dec.InputOffset()
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 && !stack[n-1].array {
				stack[n-1].wantKey = true
			}
			continue
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && !top.array && top.wantKey {
			top.key, top.wantKey = tok.(string), false
			if stop(tok, end, true) {
				return path()
			}
			continue
		}
		if top != nil && top.array {
			top.index++
		}
		if stop(tok, end, false) {
			return path()
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{array: d == '[', index: -1, wantKey: d == '{'})
		} else if top != nil && !top.array {
			top.wantKey = true
		}
	}
}
