package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/internal/errs"
)

// The input boundary's limits. Every text a client sends to an operation passes here
// once, before any resolver runs, so a NUL byte, a lone surrogate or a megabyte name is
// refused as BAD_USER_INPUT instead of failing in PostgreSQL as INTERNAL.
const (
	// maxTextBytes bounds one string value. The longest field (a character's backstory,
	// 20,000 characters) is 80,000 bytes at four bytes a character; the services enforce
	// each field's own limit in characters below this. All of an operation's strings
	// together are bounded by the request: a JSON body, an upload's operations part and a
	// socket message are each at most maxJSONBody.
	maxTextBytes = 128 << 10
	// maxKeyBytes bounds an object key inside a JSON scalar value (input-object keys are
	// schema names, already validated).
	maxKeyBytes = 1 << 10
)

// textProblem says what is wrong with one string value, or "" when nothing is.
func textProblem(s string, limit int) string {
	switch {
	case len(s) > limit:
		return fmt.Sprintf("must be at most %d bytes", limit)
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain a NUL character"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	return ""
}

// loneSurrogate returns the offset in s of the first \u escape that names half of a
// UTF-16 surrogate pair without the other half, or -1. JSON and GraphQL strings escape
// the same way, so it reads both. encoding/json and gqlparser turn such an escape into
// U+FFFD without a word, so the raw text is the only place to see that a client sent
// something that is not a character. Escapes of other kinds are skipped whole, so an
// escaped backslash followed by "ud800" is text, not an escape.
func loneSurrogate(s string) int {
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(s[i:], '\\')
		if j < 0 {
			return -1
		}
		i += j
		if i+1 >= len(s) || s[i+1] != 'u' {
			i++ // skip the escaped character
			continue
		}
		r, ok := hex4(s, i+2)
		if !ok {
			i++
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if i+11 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
				if low, ok := hex4(s, i+8); ok && low >= 0xDC00 && low < 0xE000 {
					i += 11
					continue
				}
			}
			return i
		case r >= 0xDC00 && r < 0xE000:
			return i
		}
		i += 5
	}
	return -1
}

// hex4 reads the four hex digits of a \u escape at s[at:].
func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	r, err := strconv.ParseUint(s[at:at+4], 16, 32)
	return rune(r), err == nil
}

// errLoneSurrogate is the message for a string holding half a surrogate pair.
const errLoneSurrogate = `must not contain a lone UTF-16 surrogate escape such as "\ud800" (it is not a character)`

// checkRawJSON refuses a JSON document whose strings hold a lone surrogate escape,
// naming the string's path from prefix (e.g. "variables.input.name"). Bytes that are
// not UTF-8 are the caller's to refuse first: JSON text must be UTF-8 (RFC 8259).
// A document that does not decode up to the escape is left for the decoder to refuse.
func checkRawJSON(prefix string, data []byte) error {
	off := loneSurrogate(string(data))
	if off < 0 {
		return nil
	}
	path, ok := jsonPathAt(prefix, data, int64(off))
	if !ok {
		return nil
	}
	return errs.Invalid(path, errLoneSurrogate)
}

// jsonPathAt names the JSON string holding byte offset off of data: prefix, then the
// keys and indexes leading to it. It reports false when the data does not decode that
// far, or off is not inside a string. It only runs on the way to refusing a request.
func jsonPathAt(prefix string, data []byte, off int64) (string, bool) {
	type container struct {
		array  bool
		next   int    // arrays: the index of the next element
		key    string // objects: the last key read
		atKey  bool   // objects: the next token is a key
		prefix string // this container's own path
	}
	join := func(path, name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	stack := []container{{prefix: prefix}}
	// valuePath names the value that starts now in the innermost container.
	valuePath := func() string {
		top := &stack[len(stack)-1]
		if len(stack) == 1 {
			return prefix
		}
		if top.array {
			top.next++
			return join(top.prefix, strconv.Itoa(top.next-1))
		}
		top.atKey = true
		return join(top.prefix, top.key)
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		past := dec.InputOffset() > off
		top := &stack[len(stack)-1]
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if past {
				return "", false
			}
			path := valuePath()
			stack = append(stack, container{array: tok == json.Delim('['), atKey: tok == json.Delim('{'), prefix: path})
			continue
		case json.Delim('}'), json.Delim(']'):
			if past || len(stack) == 1 {
				return "", false
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 1 && !top.array && top.atKey {
			top.key, _ = tok.(string)
			top.atKey = false
			if past {
				return join(top.prefix, top.key), true
			}
			continue
		}
		path := valuePath()
		if past {
			_, isString := tok.(string)
			return path, isString
		}
	}
}

// inputBoundary checks every string argument of an operation (inline, in a variable, in
// a nested input object or list, in a JSON scalar, an upload's file name) once, after
// validation and before anything runs. It is type-agnostic on purpose: String and ID
// values, but also the texts inside custom scalars, end up in PostgreSQL.
type inputBoundary struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = inputBoundary{}

func (inputBoundary) ExtensionName() string { return "InputBoundary" }

func (inputBoundary) Validate(graphql.ExecutableSchema) error { return nil }

func (inputBoundary) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	c := &inputCheck{
		vars:       oc.Variables,
		surrogates: surrogateRunes(oc.RawQuery),
		fragments:  map[string]bool{},
		variables:  map[string]bool{},
	}
	err := c.operation(oc.Operation)
	if err == nil {
		return nil
	}
	// The error presenter gives it its code and field, as for any errs.InvalidError.
	gqlErr := &gqlerror.Error{Message: err.Error(), Err: err}
	if c.at != nil {
		gqlErr.Locations = []gqlerror.Location{{Line: c.at.Line, Column: c.at.Column}}
	}
	return gqlErr
}

// surrogateRunes returns the positions, in runes as gqlparser counts them, of the lone
// surrogate escapes in a document, or nil (the usual case, found in one scan).
func surrogateRunes(doc string) []int {
	var out []int
	runes, from := 0, 0
	for {
		off := loneSurrogate(doc[from:])
		if off < 0 {
			return out
		}
		runes += utf8.RuneCountInString(doc[from : from+off])
		out = append(out, runes)
		from += off + 1
		runes++
	}
}

// inputCheck walks one operation. Each fragment is walked once however often it is
// spread, and each variable checked once however often it is used, so the walk is
// linear in the size of the request.
type inputCheck struct {
	vars       map[string]any
	surrogates []int
	fragments  map[string]bool
	variables  map[string]bool
	at         *ast.Position // where the refused value is
}

func (c *inputCheck) operation(op *ast.OperationDefinition) error {
	for _, v := range op.VariableDefinitions {
		// A default applies when the client sends nothing; it is checked as written.
		if err := c.value(v.Variable, v.DefaultValue); err != nil {
			return err
		}
	}
	if err := c.directives(op.Directives); err != nil {
		return err
	}
	return c.selections(op.SelectionSet)
}

func (c *inputCheck) selections(set ast.SelectionSet) error {
	for _, sel := range set {
		var err error
		switch s := sel.(type) {
		case *ast.Field:
			err = c.arguments(s.Arguments)
			if err == nil {
				err = c.directives(s.Directives)
			}
			if err == nil {
				err = c.selections(s.SelectionSet)
			}
		case *ast.InlineFragment:
			err = c.directives(s.Directives)
			if err == nil {
				err = c.selections(s.SelectionSet)
			}
		case *ast.FragmentSpread:
			err = c.directives(s.Directives)
			if err == nil && s.Definition != nil && !c.fragments[s.Name] {
				c.fragments[s.Name] = true
				err = c.directives(s.Definition.Directives)
				if err == nil {
					err = c.selections(s.Definition.SelectionSet)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *inputCheck) directives(ds ast.DirectiveList) error {
	for _, d := range ds {
		if err := c.arguments(d.Arguments); err != nil {
			return err
		}
	}
	return nil
}

func (c *inputCheck) arguments(args ast.ArgumentList) error {
	for _, a := range args {
		if err := c.value(a.Name, a.Value); err != nil {
			return err
		}
	}
	return nil
}

// value checks a value as written in the document, at its argument path.
func (c *inputCheck) value(path string, v *ast.Value) error {
	if v == nil {
		return nil
	}
	c.at = v.Position
	switch v.Kind {
	case ast.Variable:
		if c.variables[v.Raw] {
			return nil
		}
		c.variables[v.Raw] = true
		return c.data(path, c.vars[v.Raw])
	case ast.StringValue:
		if c.holdsSurrogate(v.Position) {
			return errs.Invalid(path, errLoneSurrogate)
		}
		return c.text(path, "", v.Raw)
	case ast.BlockValue:
		// Block strings have no escapes: a "\ud800" in one is six characters of text.
		return c.text(path, "", v.Raw)
	case ast.ListValue:
		for i, child := range v.Children {
			if err := c.value(path+"."+strconv.Itoa(i), child.Value); err != nil {
				return err
			}
		}
	case ast.ObjectValue:
		for _, child := range v.Children {
			if err := c.value(path+"."+child.Name, child.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// holdsSurrogate reports whether a string literal at pos holds a lone surrogate escape.
func (c *inputCheck) holdsSurrogate(pos *ast.Position) bool {
	if len(c.surrogates) == 0 || pos == nil {
		return false
	}
	i := sort.SearchInts(c.surrogates, pos.Start)
	return i < len(c.surrogates) && c.surrogates[i] < pos.End
}

// data checks a variable's value as coerced from JSON (or set by an upload).
func (c *inputCheck) data(path string, v any) error {
	switch x := v.(type) {
	case string:
		return c.text(path, "", x)
	case []any:
		for i, e := range x {
			if err := c.data(path+"."+strconv.Itoa(i), e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range x {
			if p := textProblem(k, maxKeyBytes); p != "" {
				return errs.Invalid(path, "a key %s", p)
			}
			if err := c.data(path+"."+k, e); err != nil {
				return err
			}
		}
	case graphql.Upload:
		if err := c.text(path, "the file name ", x.Filename); err != nil {
			return err
		}
		return c.text(path, "the content type ", x.ContentType)
	}
	return nil
}

// text checks one string; what names it when it is not the value itself.
func (c *inputCheck) text(path, what, s string) error {
	if p := textProblem(s, maxTextBytes); p != "" {
		return errs.Invalid(path, "%s%s", what, p)
	}
	return nil
}

// writeInputError answers a request refused at the input boundary before it reached
// GraphQL: BAD_USER_INPUT with the field, in the GraphQL error shape.
func writeInputError(w http.ResponseWriter, media string, invalid *errs.InvalidError) {
	writeJSON(w, media, http.StatusBadRequest, requestErrorBody{Errors: gqlerror.List{{
		Message: invalid.Error(),
		Extensions: map[string]any{"code": codeBadUserInput, "field": invalid.Field,
			"requestId": w.Header().Get(headerRequestID)},
	}}})
}
