package persisted

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/db"
)

// Document is one operation of a client's manifest.
type Document struct {
	Hash string
	// Name is the operation's name when the manifest gives it.
	Name string
	Body string
}

// apolloManifest is Apollo's persisted query manifest
// (@apollo/generate-persisted-query-manifest).
type apolloManifest struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	Operations []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Body string `json:"body"`
	} `json:"operations"`
}

const apolloFormat = "apollo-persisted-query-manifest"

// ParseManifest reads a client's documents from an Apollo persisted query manifest or a
// plain {"<sha256>": "<document>"} map (graphql-codegen's persisted documents, Relay),
// in hash order for the map. It checks the shape only: Check checks the documents.
func ParseManifest(data []byte) ([]Document, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("the manifest is not a JSON object: %w", err)
	}
	var docs []Document
	if _, ok := probe["format"]; ok {
		var m apolloManifest
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("apollo manifest: %w", err)
		}
		if m.Format != apolloFormat || m.Version != 1 {
			return nil, fmt.Errorf("manifest format %q version %d: want %q version 1", m.Format, m.Version, apolloFormat)
		}
		for _, op := range m.Operations {
			docs = append(docs, Document{Hash: op.ID, Name: op.Name, Body: op.Body})
		}
	} else {
		var m map[string]string
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("the manifest is neither an Apollo manifest nor a map of hashes to documents: %w", err)
		}
		for h, body := range m {
			docs = append(docs, Document{Hash: h, Body: body})
		}
		slices.SortFunc(docs, func(a, b Document) int { return strings.Compare(a.Hash, b.Hash) })
	}
	if len(docs) == 0 {
		return nil, errors.New("the manifest has no operations")
	}
	return docs, nil
}

// Check verifies that every document's hash is the SHA-256 of its text and that every
// document is valid against schema, and reports every document that fails.
func Check(schema *ast.Schema, docs []Document) error {
	var problems []error
	for _, d := range docs {
		label := d.Hash
		if d.Name != "" {
			label = d.Name + " (" + d.Hash + ")"
		}
		if got := Hash(d.Body); got != d.Hash {
			problems = append(problems, fmt.Errorf("%s: the document's sha256 is %s", label, got))
			continue
		}
		if _, list := gqlparser.LoadQuery(schema, d.Body); len(list) > 0 {
			problems = append(problems, fmt.Errorf("%s: %w", label, list))
		}
	}
	return errors.Join(problems...)
}

// Beginner starts transactions: a pool or a connection.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Register stores docs for client in one transaction, and returns how many were new:
// registering a document again changes nothing (and keeps its first client).
func Register(ctx context.Context, conn Beginner, client string, docs []Document) (int, error) {
	var added int64
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		q := db.New(tx)
		for _, d := range docs {
			n, err := q.AddTrustedDocument(ctx, db.AddTrustedDocumentParams{Sha256: d.Hash, Document: d.Body, Client: client})
			if err != nil {
				return fmt.Errorf("register %s: %w", d.Hash, err)
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(added), nil
}
