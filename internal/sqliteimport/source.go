package sqliteimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	// The pure-Go driver: no C toolchain is needed to read the old files.
	_ "modernc.org/sqlite"
)

// Tables of the old application, in the order they are imported (references point
// backwards in this list).
var tables = []string{"users", "documents", "characters", "conversations", "messages"}

// columns are the columns the importer reads from each table, required ones first.
var columns = map[string]struct{ required, optional []string }{
	"users":     {[]string{"id", "username", "email", "password_hash"}, []string{"created_at"}},
	"documents": {[]string{"id", "user_id", "content"}, []string{"title", "filename", "content_type", "created_at"}},
	"characters": {[]string{"id", "user_id", "name"}, []string{"ecosystem_id", "description", "backstory",
		"speaking_style", "goals", "personality_traits", "autonomy_level", "social_energy", "current_emotion",
		"is_active", "last_interaction", "memory_summary", "current_context", "created_at"}},
	"conversations": {[]string{"id", "character_id"}, []string{"user_id", "title", "created_at"}},
	"messages":      {[]string{"id", "conversation_id", "role", "content"}, []string{"emotion", "created_at"}},
}

func known(table, column string) bool {
	c := columns[table]
	return slices.Contains(c.required, column) || slices.Contains(c.optional, column)
}

// Mapping renames columns of the old database to the names the importer reads, per
// table: {"characters": {"autonomy": "autonomy_level"}} reads characters.autonomy as
// autonomy_level. Names are matched case-insensitively.
type Mapping map[string]map[string]string

// LoadMapping reads a mapping file (JSON) and checks that it names only tables and
// columns the importer knows.
func LoadMapping(r io.Reader) (Mapping, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var raw Mapping
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	m := Mapping{}
	for table, cols := range raw {
		t := strings.ToLower(table)
		if _, ok := columns[t]; !ok {
			return nil, fmt.Errorf("mapping: unknown table %q (known: %s)", table, strings.Join(tables, ", "))
		}
		m[t] = map[string]string{}
		for from, to := range cols {
			to = strings.ToLower(to)
			if !known(t, to) {
				c := columns[t]
				return nil, fmt.Errorf("mapping: %s.%s: unknown column %q (known: %s)", table, from, to,
					strings.Join(append(slices.Clone(c.required), c.optional...), ", "))
			}
			m[t][strings.ToLower(from)] = to
		}
	}
	return m, nil
}

// row is one row of the old database, its columns under the importer's names.
type row struct {
	table string
	// pos is the row's place in its table as read, for reporting in file order.
	pos  int
	id   string
	cols map[string]any
}

// source is what was read from the file: rows per table, and notes about the file
// (missing tables, ignored columns).
type source struct {
	rows  map[string][]row
	notes []string
}

// readSource reads every table of the old database at path, read-only.
func readSource(ctx context.Context, path string, m Mapping) (*source, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro"
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer conn.Close()
	present := map[string]string{}
	names, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type IN ('table', 'view')`)
	if err != nil {
		return nil, fmt.Errorf("read %s: not a SQLite database? %w", path, err)
	}
	for names.Next() {
		var n string
		if err := names.Scan(&n); err != nil {
			names.Close()
			return nil, fmt.Errorf("read tables of %s: %w", path, err)
		}
		present[strings.ToLower(n)] = n
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("read tables of %s: %w", path, err)
	}
	names.Close()
	src := &source{rows: map[string][]row{}}
	for _, t := range tables {
		name, ok := present[t]
		if !ok {
			src.notes = append(src.notes, fmt.Sprintf("table %s is not in the file: nothing to import from it", t))
			continue
		}
		rows, notes, err := readTable(ctx, conn, t, name, m[t])
		if err != nil {
			return nil, err
		}
		src.rows[t] = rows
		src.notes = append(src.notes, notes...)
	}
	return src, nil
}

func readTable(ctx context.Context, conn *sql.DB, table, name string, m map[string]string) ([]row, []string, error) {
	rs, err := conn.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(name, `"`, `""`)+`"`)
	if err != nil {
		return nil, nil, fmt.Errorf("read table %s: %w", table, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, nil, fmt.Errorf("read columns of %s: %w", table, err)
	}
	var notes []string
	names := make([]string, len(cols))
	seen := map[string]string{}
	for i, c := range cols {
		n := strings.ToLower(c)
		if to, ok := m[n]; ok {
			n = to
		}
		if !known(table, n) {
			notes = append(notes, fmt.Sprintf("column %s.%s is not imported", table, c))
			n = ""
		} else if prev, dup := seen[n]; dup {
			return nil, nil, fmt.Errorf("table %s: columns %s and %s are both read as %s: fix the mapping", table, prev, c, n)
		} else {
			seen[n] = c
		}
		names[i] = n
	}
	for _, r := range columns[table].required {
		if _, ok := seen[r]; !ok {
			return nil, nil, fmt.Errorf("table %s has no column %s: name the column that holds it with --mapping", table, r)
		}
	}
	var out []row
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, nil, fmt.Errorf("read table %s: %w", table, err)
		}
		r := row{table: table, pos: len(out), cols: map[string]any{}}
		for i, n := range names {
			if n != "" {
				r.cols[n] = vals[i]
			}
		}
		// An id that cannot be read is reported by its place in the table.
		id, err := idOf(r.cols["id"])
		if err != nil {
			id = fmt.Sprintf("#%d", r.pos+1)
		}
		r.id = id
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, nil, fmt.Errorf("read table %s: %w", table, err)
	}
	return out, notes, nil
}

// The readers below are as lenient as SQLite itself: a number may be stored as text,
// text as a blob, an integer id as a float. What still cannot be read is an error that
// names the value, and the row is skipped with it.

var errNull = errors.New("is empty")

// idOf reads an id: an integer or text, the same id whichever way it was stored.
func idOf(v any) (string, error) {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return "", fmt.Errorf("cannot read %v as an id", x)
	case string, []byte:
		s, err := textOf(x)
		if err != nil {
			return "", err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return "", errNull
		}
		// "7" and "7.0" name the row with id 7.
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 && !strings.ContainsAny(s, "eE") {
			return strconv.FormatInt(int64(f), 10), nil
		}
		return s, nil
	case nil:
		return "", errNull
	default:
		return "", fmt.Errorf("cannot read %T as an id", v)
	}
}

// textOf reads text; NULL is "".
func textOf(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		if !utf8.ValidString(x) {
			return "", errors.New("is not valid UTF-8")
		}
		return x, nil
	case []byte:
		if !utf8.Valid(x) {
			return "", errors.New("is not valid UTF-8")
		}
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	default:
		return "", fmt.Errorf("cannot read %T as text", v)
	}
}

// numberOf reads a number; ok is false for NULL or empty text.
func numberOf(v any) (f float64, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case int64:
		return float64(x), true, nil
	case float64:
		return x, true, nil
	case string, []byte:
		s, err := textOf(x)
		if err != nil {
			return 0, false, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, false, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false, fmt.Errorf("cannot read %q as a number", s)
		}
		return f, true, nil
	default:
		return 0, false, fmt.Errorf("cannot read %T as a number", v)
	}
}

// boolOf reads a boolean stored as 0/1 or as words; ok is false for NULL.
func boolOf(v any) (b, ok bool, err error) {
	if f, isNum, err := numberOf(v); err == nil {
		if !isNum {
			return false, false, nil
		}
		if f != 0 && f != 1 {
			return false, false, fmt.Errorf("cannot read %v as true or false", f)
		}
		return f == 1, true, nil
	}
	s, err := textOf(v)
	if err != nil {
		return false, false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y":
		return true, true, nil
	case "false", "f", "no", "n":
		return false, true, nil
	}
	return false, false, fmt.Errorf("cannot read %q as true or false", s)
}

// timeLayouts are the ways the old application (Python's str(datetime), isoformat and
// SQLite's CURRENT_TIMESTAMP) wrote times; times without a zone are UTC, as SQLite's are.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// timeOf reads a time: text in one of timeLayouts, or Unix seconds (milliseconds when
// the number is too large for seconds); ok is false for NULL or empty text.
func timeOf(v any) (t time.Time, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return x, true, nil
	case int64, float64:
		f, _, _ := numberOf(x)
		if f > 1e11 {
			f /= 1000
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
	}
	s, err := textOf(v)
	if err != nil {
		return time.Time{}, false, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, true, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return timeOf(f)
	}
	return time.Time{}, false, fmt.Errorf("cannot read %q as a time", s)
}

// jsonOf reads JSON stored as text; ok is false for NULL or empty text.
func jsonOf(v any) (out any, ok bool, err error) {
	s, err := textOf(v)
	if err != nil {
		return nil, false, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, false, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, false, fmt.Errorf("is not JSON: %w", err)
	}
	return out, true, nil
}
