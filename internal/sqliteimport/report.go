package sqliteimport

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Outcome is what became of a row.
type Outcome string

// Outcomes.
const (
	Written Outcome = "written"
	// Existing rows were imported by an earlier run of the same source.
	Existing Outcome = "imported before"
	Skipped  Outcome = "skipped"
)

// Fate is what became of one row of the old database.
type Fate struct {
	Table   string
	OldID   string
	Outcome Outcome
	// Reason says why a row was skipped.
	Reason string
	// NewID is the row it became (or, in a dry run, would have become).
	NewID uuid.UUID
	pos   int
}

// Count is one table's tally.
type Count struct {
	Table                            string
	Read, Written, Existing, Skipped int
}

// Report is the outcome of an import: every row's fate and the file's notes.
type Report struct {
	Source string
	DryRun bool
	// Notes are about the file: missing tables, columns that are not imported.
	Notes []string
	Fates []Fate
	reads map[string]int
}

func newReport(opt Options, src *source) *Report {
	r := &Report{Source: opt.Source, DryRun: opt.DryRun, Notes: src.notes, reads: map[string]int{}}
	for t, rows := range src.rows {
		r.reads[t] = len(rows)
	}
	return r
}

func (r *Report) add(f ...Fate) { r.Fates = append(r.Fates, f...) }

func (r *Report) skip(row row, why string) {
	r.add(Fate{Table: row.table, OldID: row.id, pos: row.pos, Outcome: Skipped, Reason: why})
}

func (r *Report) read() int {
	n := 0
	for _, c := range r.reads {
		n += c
	}
	return n
}

// decided counts the rows of the file whose fate is known.
func (r *Report) decided() int {
	n := 0
	for _, f := range r.Fates {
		if f.Table != "ecosystems" {
			n++
		}
	}
	return n
}

func (r *Report) skipped() int {
	n := 0
	for _, f := range r.Fates {
		if f.Outcome == Skipped {
			n++
		}
	}
	return n
}

// Fate returns what became of the row of table with old id id.
func (r *Report) Fate(table, id string) (Fate, bool) {
	for _, f := range r.Fates {
		if f.Table == table && f.OldID == id {
			return f, true
		}
	}
	return Fate{}, false
}

// order is the tables' order in the report: the file's, then the ecosystems made.
func order(table string) int {
	if i := slices.Index(tables, table); i >= 0 {
		return i
	}
	return len(tables)
}

// Counts tallies the fates per table, in import order.
func (r *Report) Counts() []Count {
	by := map[string]*Count{}
	for _, t := range append(slices.Clone(tables), "ecosystems") {
		by[t] = &Count{Table: t, Read: r.reads[t]}
	}
	for _, f := range r.Fates {
		c := by[f.Table]
		switch f.Outcome {
		case Written:
			c.Written++
		case Existing:
			c.Existing++
		case Skipped:
			c.Skipped++
		}
	}
	out := make([]Count, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Compare(order(a.Table), order(b.Table)) })
	return out
}

// Print writes the report: a table of counts, the skipped rows one by one with their
// reasons, and the file's notes.
func (r *Report) Print(w io.Writer) error {
	var b strings.Builder
	written := "written"
	if r.DryRun {
		written = "would write"
		fmt.Fprintf(&b, "dry run of %s: nothing was written\n", r.Source)
	}
	fmt.Fprintf(&b, "%-14s %6s %11s %15s %7s\n", "table", "read", written, "imported before", "skipped")
	total := Count{}
	for _, c := range r.Counts() {
		read := fmt.Sprint(c.Read)
		if c.Table == "ecosystems" {
			// Made from characters.ecosystem_id, not read from a table.
			read = "-"
		} else {
			total.Read += c.Read
			total.Written += c.Written
			total.Existing += c.Existing
			total.Skipped += c.Skipped
		}
		fmt.Fprintf(&b, "%-14s %6s %11d %15d %7d\n", c.Table, read, c.Written, c.Existing, c.Skipped)
	}
	switch {
	case total.Read == 0:
		fmt.Fprintln(&b, "nothing to import: the file has no rows")
	case total.Written == 0 && total.Existing > 0:
		fmt.Fprintf(&b, "nothing new to import: %d rows were imported before from %s, %d cannot be imported\n",
			total.Existing, r.Source, total.Skipped)
	}
	fates := slices.Clone(r.Fates)
	slices.SortStableFunc(fates, func(a, b Fate) int {
		return cmp.Or(cmp.Compare(order(a.Table), order(b.Table)), cmp.Compare(a.pos, b.pos))
	})
	if total.Skipped > 0 {
		fmt.Fprintf(&b, "skipped rows (%d):\n", total.Skipped)
		for _, f := range fates {
			if f.Outcome == Skipped {
				fmt.Fprintf(&b, "  %s %s: %s\n", f.Table, f.OldID, f.Reason)
			}
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Bar draws a progress bar on w (a terminal), redrawn only when it moves. done ends its
// line, whether or not every row was dealt with (a refused import stops early).
func Bar(w io.Writer) (update func(done, total int), done func()) {
	const width = 30
	last, open := -1, false
	update = func(n, total int) {
		if total == 0 {
			return
		}
		filled := min(n, total) * width / total
		if filled == last && n < total {
			return
		}
		last, open = filled, true
		fmt.Fprintf(w, "\rimporting [%s%s] %d/%d rows", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), n, total)
	}
	done = func() {
		if open {
			fmt.Fprintln(w)
			open = false
		}
	}
	return update, done
}
