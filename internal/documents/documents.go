// Package documents provides uploaded books: their bytes, type, checksum and text.
package documents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/literary/extract"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
)

// Document is an uploaded file's record; its bytes and text are loaded apart.
type Document struct {
	ID          uuid.UUID
	OwnerID     uuid.UUID
	EcosystemID *uuid.UUID
	Title       string
	Filename    string
	ContentType string
	SizeBytes   int64
	SHA256      []byte
	Author      string
	Encoding    string
	Chapters    []Chapter
	// AnalysisStatus is NONE until analyzeDocument is asked for.
	AnalysisStatus     AnalysisStatus
	AnalysisError      *string
	AnalysisStartedAt  *time.Time
	AnalysisFinishedAt *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// NodeID is the document's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of documents would start one per item.
func (d *Document) NodeID() string { return relay.ID(relay.TypeDocument, d.ID) }

// SHA256Hex is the checksum as clients see it.
func (d *Document) SHA256Hex() string { return hex.EncodeToString(d.SHA256) }

func fromRow(r db.Document) *Document {
	d := &Document{ID: r.ID, OwnerID: r.OwnerID, EcosystemID: r.EcosystemID, Title: r.Title,
		Filename: r.Filename, ContentType: r.ContentType, SizeBytes: r.SizeBytes, SHA256: r.Sha256,
		Author: r.Author, Encoding: r.TextEncoding, AnalysisStatus: AnalysisStatus(r.AnalysisStatus),
		AnalysisError: r.AnalysisError, AnalysisStartedAt: r.AnalysisStartedAt, AnalysisFinishedAt: r.AnalysisFinishedAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	// Chapters were written by Create; a row that cannot be read has none rather than
	// failing every read of the document.
	_ = json.Unmarshal(r.Chapters, &d.Chapters)
	return d
}

func cursor(d *Document) page.Cursor { return page.Cursor{CreatedAt: d.CreatedAt, ID: d.ID} }

// Service stores documents. Every method sees only the viewer's documents (an admin's: all).
type Service struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	maxBytes int64
	jobs     Enqueuer
	pub      bus.Bus
}

// Enqueuer inserts background jobs in a transaction.
type Enqueuer interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// NewService returns the document service; uploads over maxBytes are refused. Analyses
// run as jobs on jobs and announce their progress on pub.
func NewService(pool *pgxpool.Pool, maxBytes int64, jobs Enqueuer, pub bus.Bus) *Service {
	return &Service{pool: pool, q: db.New(pool), maxBytes: maxBytes, jobs: jobs, pub: pub}
}

// Upload is a file as received.
type Upload struct {
	Filename     string
	DeclaredType string
	Body         io.Reader
}

// Create stores an upload. Nothing is written unless the file is within the size limit,
// of an accepted type, and of the type it claims to be.
func (s *Service) Create(ctx context.Context, viewer auth.Identity, up Upload, title *string, ecosystemID *uuid.UUID) (*Document, error) {
	content, err := io.ReadAll(io.LimitReader(up.Body, s.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(content)) > s.maxBytes {
		return nil, fmt.Errorf("upload is over the limit of %d bytes: %w", s.maxBytes, errs.ErrTooLarge)
	}
	if len(content) == 0 {
		return nil, errs.Invalid("file", "is empty")
	}
	sniffed := sniff(content)
	if sniffed == "" {
		return nil, errs.Invalid("file", "unsupported file type: send plain text, Markdown, HTML, EPUB, PDF or DOCX")
	}
	contentType, ok := resolveType(up.DeclaredType, up.Filename, sniffed)
	if !ok {
		return nil, errs.Invalid("file", "declared as %q but the content is %s", up.DeclaredType, sniffed)
	}
	book, err := extract.Extract(ctx, content, extract.Format(contentType), extract.Limits{})
	if err != nil {
		return nil, extractionError(err)
	}
	filename := path.Base(strings.ReplaceAll(up.Filename, `\`, "/"))
	if utf8.RuneCountInString(filename) > 500 || !utf8.ValidString(filename) {
		return nil, errs.Invalid("file", "file name must be valid UTF-8 of at most 500 characters")
	}
	t := strings.TrimSuffix(filename, path.Ext(filename))
	if bt := strings.TrimSpace(book.Title); bt != "" && utf8.RuneCountInString(bt) <= 500 {
		t = bt
	}
	if title != nil {
		t = strings.TrimSpace(*title)
		if n := utf8.RuneCountInString(t); n < 1 || n > 500 {
			return nil, errs.Invalid("title", "must be 1 to 500 characters")
		}
	}
	if t == "" || t == "." || t == "/" {
		t = "Untitled"
	}
	if ecosystemID != nil {
		if _, err := ecosystems.Find(ctx, s.q, viewer, *ecosystemID); err != nil {
			return nil, err
		}
	}
	chapters, err := json.Marshal(chaptersOf(book))
	if err != nil {
		return nil, fmt.Errorf("encode chapters: %w", err)
	}
	sum := sha256.Sum256(content)
	var out *Document
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		r, err := q.CreateDocument(ctx, db.CreateDocumentParams{
			OwnerID: viewer.UserID, EcosystemID: ecosystemID, Title: t, Filename: filename,
			ContentType: contentType, SizeBytes: int64(len(content)), Sha256: sum[:],
			Author: clipRunes(strings.TrimSpace(book.Author), 500), TextEncoding: book.Encoding, Chapters: chapters,
		})
		if err != nil {
			return fmt.Errorf("create document: %w", err)
		}
		if err := q.CreateDocumentContent(ctx, db.CreateDocumentContentParams{DocumentID: r.ID, Content: content, Text: &book.Text}); err != nil {
			return fmt.Errorf("store document %s content: %w", r.ID, err)
		}
		out = fromRow(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns one document.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Document, error) {
	r, err := s.q.GetDocument(ctx, db.GetDocumentParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("document %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load document %s: %w", id, err)
	}
	return fromRow(r), nil
}

// MaxTextSlice bounds one read of a document's text.
const MaxTextSlice = 1_000_000

// TextSlice is part of a document's text.
type TextSlice struct {
	Content     string
	Offset      int
	TotalLength int
}

// Text returns length characters of d's text from offset, or nil when the format has no
// extracted text yet. d must come from Get or List, which checked the viewer.
func (s *Service) Text(ctx context.Context, d *Document, offset, length int) (*TextSlice, error) {
	if offset < 0 {
		return nil, errs.Invalid("offset", "must be at least 0")
	}
	if length < 0 || length > MaxTextSlice {
		return nil, errs.Invalid("length", "must be between 0 and %d", MaxTextSlice)
	}
	r, err := s.q.GetDocumentText(ctx, db.GetDocumentTextParams{DocumentID: d.ID, Start: int32(offset + 1), Length: int32(length)})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load text of document %s: %w", d.ID, err)
	}
	return &TextSlice{Content: r.Part, Offset: offset, TotalLength: int(r.Total)}, nil
}

// Delete removes a document and its bytes.
func (s *Service) Delete(ctx context.Context, viewer auth.Identity, id uuid.UUID) error {
	n, err := s.q.DeleteDocument(ctx, db.DeleteDocumentParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("document %s: %w", id, errs.ErrNotFound)
	}
	return nil
}

// ByIDs loads documents by id for dataloaders; callers reach them through objects the
// viewer may see.
func (s *Service) ByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Document, error) {
	rows, err := s.q.ListDocumentsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load documents: %w", err)
	}
	out := make(map[uuid.UUID]*Document, len(rows))
	for _, r := range rows {
		out[r.ID] = fromRow(r)
	}
	return out, nil
}

// List pages through the viewer's documents, oldest first.
func (s *Service) List(ctx context.Context, viewer auth.Identity, a page.Args) (page.Page[*Document], error) {
	owner := viewer.OwnerFilter()
	rows, err := s.q.ListDocuments(ctx, db.ListDocumentsParams{
		OwnerID: owner, AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit(),
	})
	if err != nil {
		return page.Page[*Document]{}, fmt.Errorf("list documents: %w", err)
	}
	items := make([]*Document, len(rows))
	for i, r := range rows {
		items[i] = fromRow(r)
	}
	return page.New(items, a, cursor, func(ctx context.Context) (int, error) {
		n, err := s.q.CountDocuments(ctx, owner)
		if err != nil {
			return 0, fmt.Errorf("count documents: %w", err)
		}
		return int(n), nil
	}), nil
}
