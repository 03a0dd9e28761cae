// Package sqliteimport brings the data of the old Streamlit application (a SQLite
// database with users, documents, characters, conversations and messages) into
// Ensemble's PostgreSQL.
//
// Each old user is imported in one transaction with everything they own, so a crash
// leaves every user either wholly imported or not at all, and one user's bad data never
// holds back another's. Inside it, each row has a savepoint: a row the database refuses
// is reported and the rest of the user's rows go on. With Strict, the whole import is one
// transaction and any row that cannot be imported rolls it all back.
//
// Every imported row is recorded in sqlite_imports (source, table, old id → new id), in
// the transaction that writes it, and a later run of the same source skips what is
// recorded there: a second run adds nothing, and a file that grew adds only its new rows.
package sqliteimport

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/literary/extract"
)

// Options says how to import.
type Options struct {
	// Source names the file in sqlite_imports; importing under the same name again
	// skips what was imported before.
	Source  string
	Mapping Mapping
	// DryRun does everything in transactions that are rolled back: the report says
	// what would be written, and nothing is.
	DryRun bool
	// Strict imports all rows or none: one transaction, rolled back at the first row
	// that cannot be imported.
	Strict bool
	// Progress, when set, is told how many of the rows read have been dealt with.
	Progress func(done, total int)
	// Now is the clock, for rows without created_at.
	Now func() time.Time
}

// ErrStrict is returned (wrapped) when Strict refused an import; nothing was written.
var ErrStrict = errors.New("strict import refused")

// errRollback ends a dry run's transaction without committing it.
var errRollback = errors.New("dry run: roll back")

// Run imports the SQLite database at file into pool and reports every row's fate.
// Committed character changes are announced on pub (and written to the outbox, for the
// projections). An error means the import could not run or, with Strict, was refused;
// the report is returned whenever rows were read.
func Run(ctx context.Context, pool *pgxpool.Pool, pub events.Publisher, file string, opt Options) (*Report, error) {
	if opt.Source == "" {
		return nil, errors.New("import: a source name is required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	src, err := readSource(ctx, file, opt.Mapping)
	if err != nil {
		return nil, err
	}
	rep := newReport(opt, src)
	done, err := db.New(pool).ListSqliteImports(ctx, opt.Source)
	if err != nil {
		return nil, fmt.Errorf("load earlier imports of %s: %w", opt.Source, err)
	}
	im := &importer{opt: opt, rep: rep, pub: pub, pool: pool, imported: map[string]uuid.UUID{}}
	for _, d := range done {
		im.imported[key(d.TableName, d.OldID)] = d.NewID
	}
	users := im.plan(src)
	im.progress()
	if opt.Strict && rep.skipped() > 0 {
		return rep, fmt.Errorf("%w: %d rows cannot be imported; nothing was written", ErrStrict, rep.skipped())
	}
	if opt.Strict {
		return rep, im.strict(ctx, users)
	}
	for _, u := range users {
		if err := im.user(ctx, u); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func key(table, id string) string { return table + "\x00" + id }

type importer struct {
	opt      Options
	rep      *Report
	pub      events.Publisher
	pool     *pgxpool.Pool
	imported map[string]uuid.UUID
}

// plan parses every row and resolves references between them; rows that cannot be read
// or point at nothing are reported as skipped here, the rest hang under their user.
func (im *importer) plan(src *source) []*user {
	now := im.opt.Now()
	var users []*user
	byID := map[string]*user{}
	skippedUser := map[string]bool{}
	names, emails := map[string]string{}, map[string]string{}
	for _, r := range src.rows["users"] {
		u, err := parseUser(r, now)
		switch {
		case err != nil:
		case byID[r.id] != nil || skippedUser[r.id]:
			err = fmt.Errorf("duplicate id: another users row has id %s", r.id)
		case names[strings.ToLower(u.username)] != "":
			err = fmt.Errorf("duplicate username: %q is taken by users row %s", u.username, names[strings.ToLower(u.username)])
		case emails[strings.ToLower(u.email)] != "":
			err = fmt.Errorf("duplicate email: %q is taken by users row %s", u.email, emails[strings.ToLower(u.email)])
		}
		if err != nil {
			im.rep.skip(r, err.Error())
			skippedUser[r.id] = true
			continue
		}
		names[strings.ToLower(u.username)], emails[strings.ToLower(u.email)] = r.id, r.id
		byID[r.id] = u
		users = append(users, u)
	}
	owner := func(r row, col string, optional bool) (*user, error) {
		id, err := r.ref(col)
		if optional && errors.Is(err, errNull) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if skippedUser[id] {
			return nil, fmt.Errorf("%s %s: that user is skipped", col, id)
		}
		u := byID[id]
		if u == nil {
			return nil, fmt.Errorf("missing reference: %s %s is not in users", col, id)
		}
		return u, nil
	}
	seen := map[string]bool{}
	// dup refuses a row without an id, or with the id of an earlier row: an id is what
	// a second run knows the row by.
	dup := func(r row) error {
		if _, err := r.ref("id"); err != nil {
			return err
		}
		if seen[key(r.table, r.id)] {
			return fmt.Errorf("duplicate id: another %s row has id %s", r.table, r.id)
		}
		seen[key(r.table, r.id)] = true
		return nil
	}
	// owned checks a row parsed (with the error parsed) for its id and its user_id, and
	// returns its owner (nil for a null one, when optional) or why the row is skipped.
	owned := func(r row, parsed error, optional bool) (*user, error) {
		if parsed != nil {
			return nil, parsed
		}
		if err := dup(r); err != nil {
			return nil, err
		}
		return owner(r, "user_id", optional)
	}
	for _, r := range src.rows["documents"] {
		d, err := parseDocument(r, now)
		u, err := owned(r, err, false)
		if err != nil {
			im.rep.skip(r, err.Error())
			continue
		}
		u.docs = append(u.docs, d)
	}
	chars := map[string]*character{}
	charOwner := map[string]*user{}
	skippedChar := map[string]bool{}
	for _, r := range src.rows["characters"] {
		c, err := parseCharacter(r, now)
		u, err := owned(r, err, false)
		if err != nil {
			im.rep.skip(r, err.Error())
			skippedChar[r.id] = true
			continue
		}
		chars[r.id], charOwner[r.id] = c, u
		u.chars = append(u.chars, c)
	}
	convs := map[string]*conversation{}
	skippedConv := map[string]bool{}
	for _, r := range src.rows["conversations"] {
		c, err := parseConversation(r, now)
		u, err := owned(r, err, true)
		if err == nil {
			switch {
			case skippedChar[c.character]:
				err = fmt.Errorf("character_id %s: that character is skipped", c.character)
			case chars[c.character] == nil:
				err = fmt.Errorf("missing reference: character_id %s is not in characters", c.character)
			case u != nil && u != charOwner[c.character]:
				err = fmt.Errorf("character_id %s belongs to another user than user_id %s", c.character, u.id)
			}
		}
		if err != nil {
			im.rep.skip(r, err.Error())
			skippedConv[r.id] = true
			continue
		}
		convs[r.id] = c
		u = charOwner[c.character]
		u.convs = append(u.convs, c)
	}
	for _, r := range src.rows["messages"] {
		m, err := parseMessage(r, now)
		var conv string
		if err == nil {
			err = dup(r)
		}
		if err == nil {
			conv, err = r.ref("conversation_id")
		}
		if err == nil {
			switch {
			case skippedConv[conv]:
				err = fmt.Errorf("conversation_id %s: that conversation is skipped", conv)
			case convs[conv] == nil:
				err = fmt.Errorf("missing reference: conversation_id %s is not in conversations", conv)
			}
		}
		if err != nil {
			im.rep.skip(r, err.Error())
			continue
		}
		convs[conv].msgs = append(convs[conv].msgs, m)
	}
	// A conversation's messages are numbered in the order they were written.
	for _, c := range convs {
		slices.SortStableFunc(c.msgs, func(a, b *message) int { return a.created.Compare(b.created) })
	}
	return users
}

// unit is the work of one transaction: the fates it decided, kept apart until it
// commits.
type unit struct {
	q     *db.Queries
	tx    pgx.Tx
	box   *events.Outbox
	fates []Fate
	// ecosystems made or found in this unit, by key.
	ecosystems map[string]uuid.UUID
}

// user imports one user and everything they own in one transaction.
func (im *importer) user(ctx context.Context, u *user) error {
	var fates []Fate
	err := events.Transact(ctx, im.pool, im.pub, func(q *db.Queries, box *events.Outbox) error {
		un := &unit{q: q, tx: box.Tx(), box: box, ecosystems: map[string]uuid.UUID{}}
		if err := im.write(ctx, un, u); err != nil {
			return err
		}
		fates = un.fates
		if im.opt.DryRun {
			return errRollback
		}
		return nil
	})
	switch {
	case err == nil, errors.Is(err, errRollback):
		im.rep.add(fates...)
		im.progress()
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("import user %s: %w", u.id, ctx.Err())
	default:
		// Nothing of the user was written: every row of theirs not imported before is
		// skipped, with the reason.
		im.rep.add(im.notWritten("the user's transaction failed: "+err.Error(), append([]row{u.row}, u.owned()...)...)...)
		im.progress()
		return nil
	}
}

// strict imports every user in one transaction, and commits only if no row was skipped.
func (im *importer) strict(ctx context.Context, users []*user) error {
	var fates []Fate
	err := events.Transact(ctx, im.pool, im.pub, func(q *db.Queries, box *events.Outbox) error {
		un := &unit{q: q, tx: box.Tx(), box: box, ecosystems: map[string]uuid.UUID{}}
		for _, u := range users {
			if err := im.write(ctx, un, u); err != nil {
				return err
			}
		}
		fates = un.fates
		for _, f := range fates {
			if f.Outcome == Skipped {
				return fmt.Errorf("%w: %s %s: %s; nothing was written", ErrStrict, f.Table, f.OldID, f.Reason)
			}
		}
		if im.opt.DryRun {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		// Nothing was written: only the rows that refused it are reported.
		for _, f := range fates {
			if f.Outcome == Skipped {
				im.rep.add(f)
			}
		}
		return fmt.Errorf("import: %w", err)
	}
	im.rep.add(fates...)
	im.progress()
	return nil
}

func (im *importer) progress() {
	if im.opt.Progress != nil {
		im.opt.Progress(im.rep.decided(), im.rep.read())
	}
}

// owned lists the rows a user owns, for reporting them all at once.
func (u *user) owned() []row {
	var out []row
	for _, d := range u.docs {
		out = append(out, d.row)
	}
	for _, c := range u.chars {
		out = append(out, c.row)
	}
	for _, c := range u.convs {
		out = append(out, c.row)
		for _, m := range c.msgs {
			out = append(out, m.row)
		}
	}
	return out
}

// step runs fn for one row under a savepoint: a row the database refuses is rolled back
// alone and reported, and the transaction goes on. fn returns the new row's id; an
// errs.InvalidError or a skip error is the row's fault, anything else the unit's.
func (im *importer) step(ctx context.Context, un *unit, r row, fn func(q *db.Queries) (uuid.UUID, error)) (uuid.UUID, bool, error) {
	if id, ok := im.imported[key(r.table, r.id)]; ok {
		un.fates = append(un.fates, Fate{Table: r.table, OldID: r.id, pos: r.pos, Outcome: Existing, NewID: id})
		return id, true, nil
	}
	sp, err := un.tx.Begin(ctx)
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("savepoint: %w", err)
	}
	q := un.q.WithTx(sp)
	id, err := fn(q)
	if err == nil {
		err = q.RecordSqliteImport(ctx, db.RecordSqliteImportParams{Source: im.opt.Source, TableName: r.table, OldID: r.id, NewID: id})
	}
	if err != nil {
		if rbErr := sp.Rollback(ctx); rbErr != nil {
			return uuid.Nil, false, fmt.Errorf("roll back %s %s: %w", r.table, r.id, rbErr)
		}
		if ctx.Err() != nil {
			return uuid.Nil, false, ctx.Err()
		}
		un.fates = append(un.fates, Fate{Table: r.table, OldID: r.id, pos: r.pos, Outcome: Skipped, Reason: reason(err)})
		return uuid.Nil, false, nil
	}
	if err := sp.Commit(ctx); err != nil {
		return uuid.Nil, false, fmt.Errorf("release savepoint: %w", err)
	}
	un.fates = append(un.fates, Fate{Table: r.table, OldID: r.id, pos: r.pos, Outcome: Written, NewID: id})
	return id, true, nil
}

// reason words a row's error for the report.
func reason(err error) string {
	var inv *errs.InvalidError
	if errors.As(err, &inv) {
		return "invalid value: " + strings.TrimPrefix(inv.Field, "input.") + ": " + inv.Message
	}
	return err.Error()
}

// notWritten gives the fates of rows that cannot be written because what they belong
// to was not: skipped for why, unless an earlier run imported them.
func (im *importer) notWritten(why string, rows ...row) []Fate {
	out := make([]Fate, len(rows))
	for i, r := range rows {
		out[i] = Fate{Table: r.table, OldID: r.id, pos: r.pos, Outcome: Skipped, Reason: why}
		if id, ok := im.imported[key(r.table, r.id)]; ok {
			out[i] = Fate{Table: r.table, OldID: r.id, pos: r.pos, Outcome: Existing, NewID: id}
		}
	}
	return out
}

// skipAll reports rows that cannot be imported because what they belong to was not.
func (im *importer) skipAll(un *unit, why string, rows ...row) {
	un.fates = append(un.fates, im.notWritten(why, rows...)...)
}

func (im *importer) write(ctx context.Context, un *unit, u *user) error {
	userID, ok, err := im.step(ctx, un, u.row, func(q *db.Queries) (uuid.UUID, error) {
		taken, err := q.LoginTaken(ctx, db.LoginTakenParams{Username: u.username, Email: u.email})
		if err != nil {
			return uuid.Nil, fmt.Errorf("check username: %w", err)
		}
		if taken {
			return uuid.Nil, fmt.Errorf("duplicate username: an Ensemble account already has username %q or email %q", u.username, u.email)
		}
		return q.ImportUser(ctx, db.ImportUserParams{Username: u.username, Email: u.email, PasswordHash: u.hash, CreatedAt: u.created})
	})
	if err != nil {
		return err
	}
	if ok {
		// A user imported before may have deleted their account since.
		exists, err := un.q.UserExists(ctx, userID)
		if err != nil {
			return fmt.Errorf("find user %s: %w", userID, err)
		}
		if !exists {
			im.skipAll(un, fmt.Sprintf("users %s was imported before, but that account is gone", u.id), u.owned()...)
			return nil
		}
	} else {
		im.skipAll(un, fmt.Sprintf("user_id %s: that user is skipped", u.id), u.owned()...)
		return nil
	}
	for _, d := range u.docs {
		if _, _, err := im.step(ctx, un, d.row, func(q *db.Queries) (uuid.UUID, error) { return im.document(ctx, q, userID, d) }); err != nil {
			return err
		}
	}
	newChars := map[string]uuid.UUID{}
	for _, c := range u.chars {
		id, ok, err := im.step(ctx, un, c.row, func(q *db.Queries) (uuid.UUID, error) { return im.character(ctx, un, q, u, userID, c) })
		if err != nil {
			return err
		}
		if ok {
			newChars[c.id] = id
		}
	}
	for _, c := range u.convs {
		charID, ok := newChars[c.character]
		if !ok {
			im.skipAll(un, fmt.Sprintf("character_id %s: that character is skipped", c.character), c.row)
			im.skipAll(un, fmt.Sprintf("conversation_id %s: that conversation is skipped", c.id), rowsOf(c.msgs)...)
			continue
		}
		convID, ok, err := im.step(ctx, un, c.row, func(q *db.Queries) (uuid.UUID, error) {
			return im.conversation(ctx, q, userID, charID, c)
		})
		if err != nil {
			return err
		}
		if !ok {
			im.skipAll(un, fmt.Sprintf("conversation_id %s: that conversation is skipped", c.id), rowsOf(c.msgs)...)
			continue
		}
		for _, m := range c.msgs {
			p := db.ImportMessageParams{ConversationID: convID, SenderKind: m.kind, Content: m.content, Emotion: m.emotion, CreatedAt: m.created}
			switch m.kind {
			case "USER":
				p.SenderUserID = &userID
			case "CHARACTER":
				p.SenderCharacterID = &charID
			}
			if _, _, err := im.step(ctx, un, m.row, func(q *db.Queries) (uuid.UUID, error) { return q.ImportMessage(ctx, p) }); err != nil {
				return err
			}
		}
	}
	return nil
}

func rowsOf(msgs []*message) []row {
	out := make([]row, len(msgs))
	for i, m := range msgs {
		out[i] = m.row
	}
	return out
}

// chapter is a chapter as the documents service stores it.
type chapter struct {
	Title  string `json:"title"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// document stores an old document the way an upload is stored: bytes, checksum and the
// extracted text with its chapters.
func (im *importer) document(ctx context.Context, q *db.Queries, owner uuid.UUID, d *document) (uuid.UUID, error) {
	book, err := extract.Extract(ctx, d.content, d.format, extract.Limits{})
	if err != nil {
		return uuid.Nil, fmt.Errorf("content: no text could be read: %w", err)
	}
	chapters := make([]chapter, len(book.Chapters))
	for i, c := range book.Chapters {
		chapters[i] = chapter{Title: clip(c.Title, 500), Offset: c.Offset, Length: c.Length}
	}
	ch, err := json.Marshal(chapters)
	if err != nil {
		return uuid.Nil, fmt.Errorf("encode chapters: %w", err)
	}
	sum := sha256.Sum256(d.content)
	r, err := q.CreateDocument(ctx, db.CreateDocumentParams{
		OwnerID: owner, Title: d.title, Filename: d.filename, ContentType: string(d.format),
		SizeBytes: int64(len(d.content)), Sha256: sum[:], Author: clip(strings.TrimSpace(book.Author), 500),
		TextEncoding: book.Encoding, Chapters: ch,
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("create document: %w", err)
	}
	if err := q.CreateDocumentContent(ctx, db.CreateDocumentContentParams{DocumentID: r.ID, Content: d.content, Text: &book.Text}); err != nil {
		return uuid.Nil, fmt.Errorf("store document content: %w", err)
	}
	if err := q.ImportDocumentTime(ctx, db.ImportDocumentTimeParams{ID: r.ID, CreatedAt: d.created}); err != nil {
		return uuid.Nil, fmt.Errorf("keep document time: %w", err)
	}
	return r.ID, nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// character stores a character through the character service's own validation, in the
// ecosystem made for its old ecosystem_id (one per user and old id, made with its first
// character, so a character that fails leaves no empty ecosystem behind).
func (im *importer) character(ctx context.Context, un *unit, q *db.Queries, u *user, owner uuid.UUID, c *character) (uuid.UUID, error) {
	eco := ecosystemRow(u, c)
	ecoID, ok := un.ecosystems[eco.id]
	if !ok {
		ecoID, ok = im.imported[key(eco.table, eco.id)]
	}
	made := false
	if !ok {
		name := c.ecosystem
		if name == "" {
			name = "Imported characters"
		}
		r, err := q.CreateEcosystem(ctx, db.CreateEcosystemParams{OwnerID: owner, Name: clip(name, 255),
			Description: "Imported from " + clip(im.opt.Source, 500)})
		if err != nil {
			return uuid.Nil, fmt.Errorf("create ecosystem %q: %w", name, err)
		}
		if err := q.RecordSqliteImport(ctx, db.RecordSqliteImportParams{Source: im.opt.Source, TableName: eco.table, OldID: eco.id, NewID: r.ID}); err != nil {
			return uuid.Nil, fmt.Errorf("record ecosystem: %w", err)
		}
		ecoID, made = r.ID, true
	}
	out, err := characters.CreateTx(ctx, q, un.box, ecoID, c.patch)
	if err != nil {
		return uuid.Nil, err
	}
	if err := q.ImportCharacterState(ctx, db.ImportCharacterStateParams{ID: out.ID, MemorySummary: c.summary,
		LastInteraction: c.last, CreatedAt: c.created}); err != nil {
		return uuid.Nil, fmt.Errorf("keep character state: %w", err)
	}
	if made {
		// Known only once the savepoint that made it holds.
		un.ecosystems[eco.id] = ecoID
		un.fates = append(un.fates, Fate{Table: eco.table, OldID: eco.id, pos: c.pos, Outcome: Written, NewID: ecoID})
	}
	return out.ID, nil
}

// ecosystemRow names the ecosystem a character goes to: the old application had no
// ecosystems table, only characters.ecosystem_id, so one is made per user and old id.
func ecosystemRow(u *user, c *character) row {
	return row{table: "ecosystems", pos: c.pos, id: u.id + "/" + c.ecosystem}
}

// conversation stores a direct conversation of the user with one character; its
// messages follow, numbered as sending them would have.
func (im *importer) conversation(ctx context.Context, q *db.Queries, owner, char uuid.UUID, c *conversation) (uuid.UUID, error) {
	eco, err := q.ListCharactersByIDs(ctx, []uuid.UUID{char})
	if err != nil || len(eco) != 1 {
		return uuid.Nil, fmt.Errorf("load character %s: %w", char, cmp.Or(err, errs.ErrNotFound))
	}
	id, err := q.ImportConversation(ctx, db.ImportConversationParams{EcosystemID: eco[0].EcosystemID, OwnerID: owner,
		Title: c.title, CreatedAt: c.created})
	if err != nil {
		return uuid.Nil, fmt.Errorf("create conversation: %w", err)
	}
	if err := q.AddParticipants(ctx, db.AddParticipantsParams{ConversationID: id, CharacterIds: []uuid.UUID{char}}); err != nil {
		return uuid.Nil, fmt.Errorf("add participant: %w", err)
	}
	return id, nil
}
