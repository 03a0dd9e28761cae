package server

import (
	"errors"
	"strings"
)

// withDocumentID turns a request's documentId (GraphQL over HTTP's persisted documents:
// "sha256:<hex>", or the bare hash) into the persistedQuery extension that Apollo
// clients send, so that one extension serves both.
func withDocumentID(ext map[string]any, id string) (map[string]any, error) {
	if id == "" {
		return ext, nil
	}
	if ext["persistedQuery"] != nil {
		return nil, errors.New("send documentId or extensions.persistedQuery, not both")
	}
	if ext == nil {
		ext = map[string]any{}
	}
	ext["persistedQuery"] = map[string]any{"version": int64(1), "sha256Hash": strings.TrimPrefix(id, "sha256:")}
	return ext, nil
}
