package pinecone

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"
	"google.golang.org/protobuf/proto"

	"github.com/literaryai/ensemble/internal/vectorstore"
)

// MaxTopK is the most results Pinecone returns for one query.
const MaxTopK = 10000

// Pinecone's request limits.
const (
	maxUpsertVectors = 1000
	maxDeleteIDs     = 1000
	maxRequestBytes  = 2 << 20
	// vectorOverhead bounds the protobuf framing of one vector in an upsert request: the
	// tags and length prefixes of the vector and of its id, values and metadata fields.
	vectorOverhead = 16
)

// The metadata stored with each vector: what a search needs to answer (the character) and
// what a filter or a person browsing the index may use.
const (
	keyCharacter     = "character_id"
	keyType          = "type"
	keyImportance    = "importance"
	keyCreatedAt     = "created_at"
	keyCreatedAtUnix = "created_at_unix" // seconds, for range filters: Pinecone compares numbers only
)

// metadata is the metadata of an item's vector.
func metadata(it vectorstore.Item) map[string]any {
	return map[string]any{
		keyCharacter:     it.Character.String(),
		keyType:          it.Type,
		keyImportance:    it.Importance,
		keyCreatedAt:     it.CreatedAt.UTC().Format(time.RFC3339Nano),
		keyCreatedAtUnix: it.CreatedAt.Unix(),
	}
}

// toVector is the Pinecone vector of an item: its id is the memory's.
func toVector(it vectorstore.Item) (*pc.Vector, error) {
	md, err := pc.NewMetadata(metadata(it))
	if err != nil {
		return nil, fmt.Errorf("metadata of memory %s: %w", it.ID, err)
	}
	values := it.Vector
	return &pc.Vector{Id: it.ID.String(), Values: &values, Metadata: md}, nil
}

// vectorSize bounds the bytes a vector adds to an upsert request, for batching under
// Pinecone's request size limit.
func vectorSize(v *pc.Vector) int {
	n := len(v.Id) + proto.Size(v.Metadata) + vectorOverhead
	if v.Values != nil {
		n += 4 * len(*v.Values)
	}
	return n
}

// span is the items [lo, hi) of one request.
type span struct{ lo, hi int }

// batches splits items of the given sizes, in order, into requests of at most maxCount
// items and maxBytes bytes. An item larger than maxBytes goes alone, for Pinecone to
// refuse with its own message.
func batches(sizes []int, maxCount, maxBytes int) []span {
	var out []span
	lo, bytes := 0, 0
	for i, n := range sizes {
		if i > lo && (i-lo == maxCount || bytes+n > maxBytes) {
			out = append(out, span{lo, i})
			lo, bytes = i, 0
		}
		bytes += n
	}
	if lo < len(sizes) {
		out = append(out, span{lo, len(sizes)})
	}
	return out
}

// characterFilter keeps the vectors of one character.
func characterFilter(character uuid.UUID) (*pc.MetadataFilter, error) {
	f, err := pc.NewMetadataFilter(map[string]any{keyCharacter: map[string]any{"$eq": character.String()}})
	if err != nil {
		return nil, fmt.Errorf("filter on character %s: %w", character, err)
	}
	return f, nil
}

// toHits maps query matches, which Pinecone orders best first, to hits. A match that is
// not a memory's vector written by this package means the namespace holds foreign data:
// that is an error rather than a hit with a made-up character.
func toHits(matches []*pc.ScoredVector) ([]vectorstore.Hit, error) {
	hits := make([]vectorstore.Hit, 0, len(matches))
	for _, m := range matches {
		if m == nil || m.Vector == nil {
			return nil, errors.New("a match without its vector")
		}
		id, err := uuid.Parse(m.Vector.Id)
		if err != nil {
			return nil, fmt.Errorf("vector %q is not a memory's: %w", m.Vector.Id, err)
		}
		raw := m.Vector.Metadata.GetFields()[keyCharacter].GetStringValue()
		character, err := uuid.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("vector %s has no valid %s in its metadata (%q): %w", id, keyCharacter, raw, err)
		}
		hits = append(hits, vectorstore.Hit{ID: id, Character: character, Score: m.Score})
	}
	return hits, nil
}

// checkIndex checks a described index against the embeddings and returns its host.
func checkIndex(desc *pc.Index, dim int) (string, error) {
	if desc == nil {
		return "", errors.New("the control plane described no index")
	}
	if desc.VectorType == "sparse" || desc.Dimension == nil {
		return "", fmt.Errorf("index %q is sparse; memories need a dense index of dimension %d", desc.Name, dim)
	}
	if int(*desc.Dimension) != dim {
		return "", fmt.Errorf("index %q has dimension %d but the embeddings have dimension %d: use an index of dimension %d or another embedding model",
			desc.Name, *desc.Dimension, dim, dim)
	}
	if desc.Metric != pc.Cosine && desc.Metric != pc.Dotproduct {
		return "", fmt.Errorf("index %q uses the %s metric, but memory vectors are unit length and scored by cosine similarity: it must use cosine or dotproduct",
			desc.Name, desc.Metric)
	}
	if desc.Host == "" {
		state := "unknown"
		if desc.Status != nil {
			state = string(desc.Status.State)
		}
		return "", fmt.Errorf("index %q has no host yet (state %s)", desc.Name, state)
	}
	return desc.Host, nil
}

// checkStatsDimension checks the dimension an index's stats report, for an index reached
// by its host alone.
func checkStatsDimension(name string, stats *pc.DescribeIndexStatsResponse, dim int) error {
	if stats == nil || stats.Dimension == nil {
		return fmt.Errorf("index %s does not report its dimension; memories need a dense index of dimension %d", name, dim)
	}
	if int(*stats.Dimension) != dim {
		return fmt.Errorf("index %s has dimension %d but the embeddings have dimension %d: use an index of dimension %d or another embedding model",
			name, *stats.Dimension, dim, dim)
	}
	return nil
}

// normalizeHost returns an index host with its scheme (https unless http is given), or
// an error if it is not a bare host name with an optional port. The client would pass
// anything on to gRPC, which ends the process on some malformed targets, and it logs
// hosts like 127.0.0.1:5081 that it cannot parse without a scheme.
func normalizeHost(host string) (string, error) {
	raw := host
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		raw = "https://" + host
		u, err = url.Parse(raw)
	}
	if err != nil {
		return "", fmt.Errorf("index host %q is not a host name: %w", host, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("index host %q is not a host name (like my-index-abc123.svc.aped-4627-b74a.pinecone.io)", host)
	}
	return u.Scheme + "://" + u.Host, nil
}

// statsDetail describes an index's stats for Status.
func statsDetail(name string, stats *pc.DescribeIndexStatsResponse) string {
	return fmt.Sprintf("index %s: %d vectors in %d namespaces", name, stats.TotalVectorCount, len(stats.Namespaces))
}
