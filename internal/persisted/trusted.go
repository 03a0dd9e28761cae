package persisted

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/errs"
)

// Documents are the registered (trusted) documents in PostgreSQL, with the ones found
// kept in process: a document never changes under its hash.
type Documents struct {
	q     *db.Queries
	found *lru.Cache[string, string]
}

// NewDocuments reads registered documents through conn, keeping up to entries of them.
func NewDocuments(conn db.DBTX, entries int) (*Documents, error) {
	found, err := lru.New[string, string](entries)
	if err != nil {
		return nil, err
	}
	return &Documents{q: db.New(conn), found: found}, nil
}

// Get returns the document registered under hash, and whether there is one.
func (d *Documents) Get(ctx context.Context, hash string) (string, bool, error) {
	if doc, ok := d.found.Get(hash); ok {
		return doc, true, nil
	}
	doc, err := d.q.GetTrustedDocument(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("trusted document %s: %w", hash, err)
	}
	d.found.Add(hash, doc)
	return doc, true, nil
}

// Enforce is the extension of trusted documents mode: a request runs only a registered
// document, named by its hash (the persistedQuery extension) or sent whole. It takes the
// place of APQ, whose registration of new documents this mode refuses.
type Enforce struct {
	docs *Documents
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Enforce)(nil)

// NewEnforce returns the extension allowing the documents of docs.
func NewEnforce(docs *Documents) *Enforce { return &Enforce{docs: docs} }

// ExtensionName names the extension for gqlgen.
func (*Enforce) ExtensionName() string { return "TrustedDocuments" }

// Validate accepts any schema.
func (*Enforce) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills in the document a request names, and refuses a
// request for any document that is not registered.
func (e *Enforce) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	hash, named, err := requestedHash(p)
	if err != nil {
		return refuse(err)
	}
	sent := p.Query != ""
	switch {
	case named && sent && Hash(p.Query) != hash:
		return refuse(fmt.Errorf("provided APQ hash does not match query: %w", errs.ErrPersistedQuery))
	case !named && !sent:
		return refuse(fmt.Errorf("the request names no document: %w", errs.ErrUntrustedDocument))
	case !named:
		hash = Hash(p.Query)
	}
	doc, ok, err := e.docs.Get(ctx, hash)
	if err != nil {
		return refuse(err)
	}
	if !ok {
		what := "this server runs only registered documents"
		if named && sent {
			what = "this server runs only registered documents and registers none on request"
		}
		return refuse(fmt.Errorf("%s (sha256 %s): %w", what, hash, errs.ErrUntrustedDocument))
	}
	p.Query = doc
	return nil
}
