package sqliteimport

import (
	"fmt"
	"net/mail"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/literary/extract"
)

// The parsed rows. Each keeps its source row for reporting; references are old ids.

type user struct {
	row
	username, email, hash string
	created               time.Time
	docs                  []*document
	chars                 []*character
	convs                 []*conversation
}

type document struct {
	row
	title, filename string
	format          extract.Format
	content         []byte
	created         time.Time
}

type character struct {
	row
	// ecosystem is the old ecosystem_id ("" when the row has none).
	ecosystem string
	patch     characters.Patch
	summary   string
	last      *time.Time
	created   time.Time
}

type conversation struct {
	row
	character string
	title     string
	created   time.Time
	msgs      []*message
}

type message struct {
	row
	kind    string
	content string
	emotion *string
	created time.Time
}

// fieldError names the column a row could not be read for.
func fieldError(col string, err error) error { return fmt.Errorf("%s: %w", col, err) }

func (r row) text(col string) (string, error) {
	s, err := textOf(r.cols[col])
	if err != nil {
		return "", fieldError(col, err)
	}
	return s, nil
}

func (r row) ref(col string) (string, error) {
	id, err := idOf(r.cols[col])
	if err != nil {
		return "", fieldError(col, err)
	}
	return id, nil
}

// created reads created_at; a row without one was made now, as far as anyone can tell.
func (r row) created(now time.Time) (time.Time, error) {
	t, ok, err := timeOf(r.cols["created_at"])
	if err != nil {
		return time.Time{}, fieldError("created_at", err)
	}
	if !ok {
		return now, nil
	}
	return t, nil
}

// usernamePattern repeats the accounts table's CHECK, so the row is reported rather
// than failing the insert.
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,32}$`)

func parseUser(r row, now time.Time) (*user, error) {
	if _, err := idOf(r.cols["id"]); err != nil {
		return nil, fieldError("id", err)
	}
	u := &user{row: r}
	var err error
	if u.username, err = r.text("username"); err != nil {
		return nil, err
	}
	u.username = strings.TrimSpace(u.username)
	if !usernamePattern.MatchString(u.username) {
		return nil, fmt.Errorf("username: %q is not 3 to 32 letters, digits, _ . or -", u.username)
	}
	if u.email, err = r.text("email"); err != nil {
		return nil, err
	}
	u.email = strings.TrimSpace(u.email)
	if addr, err := mail.ParseAddress(u.email); err != nil || addr.Address != u.email || len(u.email) > 254 {
		return nil, fmt.Errorf("email: %q is not an email address", u.email)
	}
	if u.hash, err = r.text("password_hash"); err != nil {
		return nil, err
	}
	u.hash = strings.TrimSpace(u.hash)
	switch {
	case auth.IsBcrypt(u.hash):
		if _, err := bcrypt.Cost([]byte(u.hash)); err != nil {
			return nil, fmt.Errorf("password_hash: malformed bcrypt hash: %w", err)
		}
	case strings.HasPrefix(u.hash, "$argon2id$"):
	default:
		return nil, fmt.Errorf("password_hash: not a bcrypt or argon2id hash, so the password could never be checked")
	}
	if u.created, err = r.created(now); err != nil {
		return nil, err
	}
	return u, nil
}

// formats maps the old content_type or file_type values to the extractor's formats.
var formats = map[string]extract.Format{
	"txt": extract.FormatPlain, "text": extract.FormatPlain, "text/plain": extract.FormatPlain,
	"md": extract.FormatMarkdown, "markdown": extract.FormatMarkdown, "text/markdown": extract.FormatMarkdown,
	"html": extract.FormatHTML, "htm": extract.FormatHTML, "text/html": extract.FormatHTML,
	"epub": extract.FormatEPUB, "application/epub+zip": extract.FormatEPUB,
	"pdf": extract.FormatPDF, "application/pdf": extract.FormatPDF,
}

func parseDocument(r row, now time.Time) (*document, error) {
	d := &document{row: r}
	var err error
	switch c := r.cols["content"].(type) {
	case []byte:
		d.content = c
	default:
		s, err := r.text("content")
		if err != nil {
			return nil, err
		}
		d.content = []byte(s)
	}
	if len(d.content) == 0 {
		return nil, fmt.Errorf("content: %w", errNull)
	}
	if d.filename, err = r.text("filename"); err != nil {
		return nil, err
	}
	d.filename = path.Base(strings.ReplaceAll(strings.TrimSpace(d.filename), `\`, "/"))
	if d.filename == "." || d.filename == "/" {
		d.filename = ""
	}
	if utf8.RuneCountInString(d.filename) > 500 {
		return nil, fmt.Errorf("filename: longer than 500 characters")
	}
	kind, err := r.text("content_type")
	if err != nil {
		return nil, err
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	if kind == "" {
		kind = strings.TrimPrefix(strings.ToLower(path.Ext(d.filename)), ".")
	}
	d.format = extract.FormatPlain
	if kind != "" {
		f, ok := formats[kind]
		if !ok {
			return nil, fmt.Errorf("content_type: %q is not a format Ensemble reads (text, Markdown, HTML, EPUB, PDF)", kind)
		}
		d.format = f
	}
	if d.title, err = r.text("title"); err != nil {
		return nil, err
	}
	d.title = strings.TrimSpace(d.title)
	if d.title == "" {
		d.title = strings.TrimSuffix(d.filename, path.Ext(d.filename))
	}
	if d.title == "" {
		d.title = "Untitled"
	}
	if utf8.RuneCountInString(d.title) > 500 {
		return nil, fmt.Errorf("title: longer than 500 characters")
	}
	if d.created, err = r.created(now); err != nil {
		return nil, err
	}
	return d, nil
}

// bigFive are the trait keys personality_traits may carry, as the API names them.
var bigFive = []string{"openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"}

func parseCharacter(r row, now time.Time) (*character, error) {
	c := &character{row: r}
	var err error
	if c.ecosystem, err = r.text("ecosystem_id"); err != nil {
		return nil, err
	}
	c.ecosystem = strings.TrimSpace(c.ecosystem)
	p := &c.patch
	texts := []struct {
		col string
		dst **string
	}{{"name", &p.Name}, {"description", &p.Description}, {"backstory", &p.Backstory}, {"speaking_style", &p.SpeakingStyle}}
	for _, f := range texts {
		s, err := r.text(f.col)
		if err != nil {
			return nil, err
		}
		*f.dst = &s
	}
	*p.Name = strings.TrimSpace(*p.Name)
	if *p.Name == "" {
		return nil, fmt.Errorf("name: %w", errNull)
	}
	if g, ok, err := jsonOf(r.cols["goals"]); err != nil {
		return nil, fieldError("goals", err)
	} else if ok {
		list, isList := g.([]any)
		if !isList {
			return nil, fmt.Errorf("goals: not a JSON list")
		}
		p.Goals = []string{}
		for _, x := range list {
			s, isText := x.(string)
			if !isText {
				return nil, fmt.Errorf("goals: %v is not text", x)
			}
			p.Goals = append(p.Goals, s)
		}
	}
	context := map[string]any{}
	if v, ok, err := jsonOf(r.cols["current_context"]); err != nil {
		return nil, fieldError("current_context", err)
	} else if ok {
		obj, isObj := v.(map[string]any)
		if !isObj {
			return nil, fmt.Errorf("current_context: not a JSON object")
		}
		context = obj
	}
	if err := parseTraits(r, p, context); err != nil {
		return nil, err
	}
	var ctxValue any = context
	p.CurrentContext = &ctxValue
	for _, f := range []struct {
		col string
		dst **float64
	}{{"autonomy_level", &p.AutonomyLevel}, {"social_energy", &p.SocialEnergy}} {
		v, ok, err := numberOf(r.cols[f.col])
		if err != nil {
			return nil, fieldError(f.col, err)
		}
		if ok {
			*f.dst = &v
		}
	}
	if e, err := r.text("current_emotion"); err != nil {
		return nil, err
	} else if e = strings.TrimSpace(e); e != "" {
		p.CurrentEmotion = &e
	}
	if b, ok, err := boolOf(r.cols["is_active"]); err != nil {
		return nil, fieldError("is_active", err)
	} else if ok {
		p.IsActive = &b
	}
	if c.summary, err = r.text("memory_summary"); err != nil {
		return nil, err
	}
	if t, ok, err := timeOf(r.cols["last_interaction"]); err != nil {
		return nil, fieldError("last_interaction", err)
	} else if ok {
		c.last = &t
	}
	if c.created, err = r.created(now); err != nil {
		return nil, err
	}
	return c, nil
}

// parseTraits reads personality_traits: the Big Five from a JSON object (numbers or
// numeric text), anything else it holds (other traits, a list of adjectives) kept whole
// in the character's context under "personality_traits", so nothing is dropped.
func parseTraits(r row, p *characters.Patch, context map[string]any) error {
	v, ok, err := jsonOf(r.cols["personality_traits"])
	if err != nil {
		return fieldError("personality_traits", err)
	}
	if !ok {
		return nil
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		context["personality_traits"] = v
		return nil
	}
	t := &characters.TraitsPatch{}
	dst := map[string]**float64{"openness": &t.Openness, "conscientiousness": &t.Conscientiousness,
		"extraversion": &t.Extraversion, "agreeableness": &t.Agreeableness, "neuroticism": &t.Neuroticism}
	other := false
	for k, x := range obj {
		d, isBig := dst[strings.ToLower(k)]
		if !isBig {
			other = true
			continue
		}
		f, ok, err := numberOf(jsonScalar(x))
		if err != nil || !ok {
			return fmt.Errorf("personality_traits.%s: cannot read %v as a number", k, x)
		}
		*d = &f
	}
	p.Traits = t
	if other {
		context["personality_traits"] = obj
	}
	return nil
}

// jsonScalar turns a decoded JSON number or string into what numberOf reads.
func jsonScalar(x any) any {
	if s, ok := x.(string); ok {
		return s
	}
	if f, ok := x.(float64); ok {
		return f
	}
	return fmt.Sprint(x)
}

func parseConversation(r row, now time.Time) (*conversation, error) {
	c := &conversation{row: r}
	var err error
	if c.character, err = r.ref("character_id"); err != nil {
		return nil, err
	}
	if c.title, err = r.text("title"); err != nil {
		return nil, err
	}
	c.title = strings.TrimSpace(c.title)
	if utf8.RuneCountInString(c.title) > 255 {
		return nil, fmt.Errorf("title: longer than 255 characters")
	}
	if c.created, err = r.created(now); err != nil {
		return nil, err
	}
	return c, nil
}

// senderKinds maps the old role column (OpenAI-style roles, mostly) to sender kinds.
var senderKinds = map[string]string{
	"user": "USER", "human": "USER",
	"assistant": "CHARACTER", "character": "CHARACTER", "bot": "CHARACTER", "ai": "CHARACTER",
	"system": "SYSTEM", "narrator": "NARRATOR",
}

func parseMessage(r row, now time.Time) (*message, error) {
	m := &message{row: r}
	role, err := r.text("role")
	if err != nil {
		return nil, err
	}
	kind, ok := senderKinds[strings.ToLower(strings.TrimSpace(role))]
	if !ok {
		return nil, fmt.Errorf("role: %q is not user, assistant, character, system or narrator", role)
	}
	m.kind = kind
	if m.content, err = r.text("content"); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(m.content); n < 1 || n > 20000 {
		return nil, fmt.Errorf("content: must be 1 to 20000 characters, has %d", n)
	}
	if e, err := r.text("emotion"); err != nil {
		return nil, err
	} else if e = strings.TrimSpace(e); e != "" {
		if utf8.RuneCountInString(e) > 64 {
			return nil, fmt.Errorf("emotion: longer than 64 characters")
		}
		m.emotion = &e
	}
	if m.created, err = r.created(now); err != nil {
		return nil, err
	}
	return m, nil
}
