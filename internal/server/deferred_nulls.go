package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// deferredNulls takes out of each payload of an incremental response the nulls gqlgen's
// executor writes for the deferred fields still to come. The draft leaves such a field
// out until its payload: a client reading null takes it as resolved to null (Apollo
// Client reports the result complete, and a non-null field reads null). A deferred field
// without a resolver is resolved at once, so its null may be real: the nulls no later
// payload brings go out at the end, as null. It also holds back a payload that comes
// before the one bringing its object (a nested @defer can resolve first), as the draft
// sends a parent's payload before its children's.
type deferredNulls struct {
	oc *graphql.OperationContext
	// taken are the fields taken out and not brought yet, by their object's path.
	taken map[string]*takenFields
	order []string // the keys of taken, first taken first
	// held are payloads whose object has not come yet.
	held []*graphql.Response
}

type takenFields struct {
	path   ast.Path
	fields []string
}

func newDeferredNulls(oc *graphql.OperationContext) *deferredNulls {
	return &deferredNulls{oc: oc, taken: map[string]*takenFields{}}
}

// strip returns data, the value at path, without its deferred nulls.
func (d *deferredNulls) strip(data json.RawMessage, path ast.Path) json.RawMessage {
	set, ok := d.selectionAt(path)
	if !ok {
		return data
	}
	out, err := d.value(data, set, path)
	if err != nil {
		// The executor wrote it: it is JSON. Should it not be, it goes as it is.
		return data
	}
	return out
}

// items turns the payloads come so far into incremental items, each once its object has
// come. Those still held at the end are under a null and never go out.
func (d *deferredNulls) items(batch []*graphql.Response) []incrementalItem {
	pending := append(d.held, batch...)
	var out []incrementalItem
	for progress := true; progress; {
		progress = false
		waiting := pending[:0]
		for _, r := range pending {
			if !d.ready(r.Path) {
				waiting = append(waiting, r)
				continue
			}
			d.brought(r.Path, r.Data)
			out = append(out, incrementalItem{
				Errors: r.Errors, Data: dataOrNull(d.strip(r.Data, r.Path)), Path: pathOrRoot(r.Path), Label: r.Label,
				Extensions: r.Extensions,
			})
			progress = true
		}
		pending = waiting
	}
	d.held = pending
	return out
}

// ready reports whether the object at path has come: no field on the way to it is one
// taken out and not brought yet.
func (d *deferredNulls) ready(path ast.Path) bool {
	for i, step := range path {
		name, ok := step.(ast.PathName)
		if !ok {
			continue
		}
		if t := d.taken[path[:i].String()]; t != nil && slices.Contains(t.fields, string(name)) {
			return false
		}
	}
	return true
}

// brought records that a payload brought data's fields of the object at path.
func (d *deferredNulls) brought(path ast.Path, data json.RawMessage) {
	t := d.taken[path.String()]
	if t == nil {
		return
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return
	}
	kept := t.fields[:0]
	for _, f := range t.fields {
		if _, ok := fields[f]; !ok {
			kept = append(kept, f)
		}
	}
	t.fields = kept
}

// rest is the nulls taken out that no payload brought, at their objects' paths.
func (d *deferredNulls) rest() []incrementalItem {
	var out []incrementalItem
	for _, key := range d.order {
		t := d.taken[key]
		if len(t.fields) == 0 {
			continue
		}
		var b bytes.Buffer
		b.WriteByte('{')
		for i, f := range t.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:null", f)
		}
		b.WriteByte('}')
		out = append(out, incrementalItem{Data: b.Bytes(), Path: pathOrRoot(t.path)})
	}
	return out
}

// selectionAt is the selection of the value at path, from the operation's.
func (d *deferredNulls) selectionAt(path ast.Path) (ast.SelectionSet, bool) {
	set := d.oc.Operation.SelectionSet
	for _, step := range path {
		name, ok := step.(ast.PathName)
		if !ok {
			continue // a list index: the same selection
		}
		next, found := d.fieldSelection(set, string(name))
		if !found {
			return nil, false
		}
		set = next
	}
	return set, true
}

// fieldSelection is the selection under the response key of set, over every type
// condition: a key the executor defers for one type and not for another is never
// taken out (see take).
func (d *deferredNulls) fieldSelection(set ast.SelectionSet, key string) (ast.SelectionSet, bool) {
	var out ast.SelectionSet
	found := false
	for _, f := range graphql.CollectFields(d.oc, set, nil) {
		if f.Alias == key {
			out = append(out, f.Selections...)
			found = true
		}
	}
	return out, found
}

// take reports whether the response key's null in set is a deferred field's: every
// field under the key is deferred.
func (d *deferredNulls) take(set ast.SelectionSet, key string) bool {
	found := false
	for _, f := range graphql.CollectFields(d.oc, set, nil) {
		if f.Alias == key {
			if !f.IsDeferred() {
				return false
			}
			found = true
		}
	}
	return found
}

func (d *deferredNulls) record(path ast.Path, key string) {
	k := path.String()
	t := d.taken[k]
	if t == nil {
		t = &takenFields{path: append(ast.Path(nil), path...)}
		d.taken[k] = t
		d.order = append(d.order, k)
	}
	t.fields = append(t.fields, key)
}

// value rewrites the JSON value raw of selection set at path.
func (d *deferredNulls) value(raw json.RawMessage, set ast.SelectionSet, path ast.Path) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || len(set) == 0 {
		return raw, nil
	}
	switch raw[0] {
	case '{':
		return d.object(raw, set, path)
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("read a list: %w", err)
		}
		out := []byte{'['}
		for i, item := range items {
			v, err := d.value(item, set, append(path, ast.PathIndex(i)))
			if err != nil {
				return nil, err
			}
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, v...)
		}
		return append(out, ']'), nil
	}
	return raw, nil
}

// object rewrites a JSON object in its members' order.
func (d *deferredNulls) object(raw json.RawMessage, set ast.SelectionSet, path ast.Path) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("read an object: %w", err)
	}
	out := []byte{'{'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read a key: %w", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("read the value of %q: %w", key, err)
		}
		if bytes.Equal(v, []byte("null")) && d.take(set, key) {
			d.record(path, key)
			continue
		}
		if sub, ok := d.fieldSelection(set, key); ok {
			if v, err = d.value(v, sub, append(path, ast.PathName(key))); err != nil {
				return nil, err
			}
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(key)
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}'), nil
}
