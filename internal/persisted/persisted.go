// Package persisted serves GraphQL documents that clients name by their SHA-256 instead
// of sending them: automatic persisted queries (APQ, Apollo's protocol: a client sends the
// hash, and the document too when the server does not know it yet) and trusted documents
// (an allow-list registered ahead of time, the only documents a server in enforce mode
// runs). Both fill in the query text before the executor parses it, so register their
// extension before any extension that reads that text (admission).
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/internal/errs"
)

// Hash is a document's name: the lowercase hex SHA-256 of its text.
func Hash(document string) string {
	sum := sha256.Sum256([]byte(document))
	return hex.EncodeToString(sum[:])
}

// validHash reports whether h is a Hash (64 lowercase hex digits): anything else never
// names a document, and is not worth a cache or database lookup.
func validHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for _, c := range []byte(h) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// requestedHash reads the persistedQuery extension of a request: the hash it names, and
// whether it names one at all.
func requestedHash(p *graphql.RawParams) (string, bool, error) {
	raw, ok := p.Extensions["persistedQuery"]
	if !ok || raw == nil {
		return "", false, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return "", true, fmt.Errorf("extensions.persistedQuery must be an object: %w", errs.ErrPersistedQuery)
	}
	if !versionOne(m["version"]) {
		return "", true, fmt.Errorf("extensions.persistedQuery.version must be 1: %w", errs.ErrPersistedQuery)
	}
	h, _ := m["sha256Hash"].(string)
	if !validHash(h) {
		return "", true, fmt.Errorf("extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits: %w", errs.ErrPersistedQuery)
	}
	return h, true, nil
}

// versionOne reports whether v is the number 1 as a JSON decoder may have left it.
func versionOne(v any) bool {
	switch n := v.(type) {
	case int64:
		return n == 1
	case int:
		return n == 1
	case float64:
		return n == 1
	}
	return false
}

// refuse wraps err for the executor; the error presenter gives it its code.
func refuse(err error) *gqlerror.Error {
	return &gqlerror.Error{Message: err.Error(), Err: err}
}

// APQ is gqlgen's automatic persisted queries extension with a check of the hash first
// (only a well-formed hash reaches the cache) and its uncoded errors (a hash that does
// not match the query) made errs.ErrPersistedQuery.
type APQ struct {
	apq extension.AutomaticPersistedQuery
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*APQ)(nil)

// NewAPQ returns the extension keeping documents in cache. The cache decides what it
// keeps (see LocalCache and RedisCache: neither keeps a document over the size cap).
func NewAPQ(cache graphql.Cache[string]) *APQ {
	return &APQ{apq: extension.AutomaticPersistedQuery{Cache: cache}}
}

// ExtensionName names the extension for gqlgen.
func (*APQ) ExtensionName() string { return "AutomaticPersistedQueries" }

// Validate checks that the extension has a cache.
func (a *APQ) Validate(es graphql.ExecutableSchema) error { return a.apq.Validate(es) }

// MutateOperationParameters fills in the query of a request that names a known hash, and
// keeps the document of one that sends it with its hash.
func (a *APQ) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, named, err := requestedHash(p); !named {
		return nil
	} else if err != nil {
		return refuse(err)
	}
	gqlErr := a.apq.MutateOperationParameters(ctx, p)
	if gqlErr == nil {
		return nil
	}
	if _, coded := gqlErr.Extensions["code"]; coded {
		// PERSISTED_QUERY_NOT_FOUND: the client sends the document next.
		return gqlErr
	}
	return refuse(fmt.Errorf("%s: %w", gqlErr.Message, errs.ErrPersistedQuery))
}
