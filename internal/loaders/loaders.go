// Package loaders batches the lookups behind nested GraphQL fields (graph-gophers
// dataloader v7), so a query's round trips do not grow with the number of objects.
// Loaders live for one operation: their caches must not outlive what a client asked.
package loaders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/scenarios"
	"github.com/literaryai/ensemble/internal/scenes"
	"github.com/literaryai/ensemble/internal/tracing"
)

// DefaultWait is how long a loader gathers keys before its batch runs: long enough for
// the executor to resolve sibling fields, short enough not to be noticed.
const DefaultWait = time.Millisecond

// Sources are the services the loaders read from, and how long batches gather keys.
type Sources struct {
	Auth          *auth.Service
	Ecosystems    *ecosystems.Service
	Characters    *characters.Service
	Relationships *relationships.Service
	Memories      *memories.Service
	Documents     *documents.Service
	Conversations *conversations.Service
	Scenarios     *scenarios.Service
	Scenes        *scenes.Service
	// Wait is the batching window; zero means DefaultWait.
	Wait time.Duration
	// Tracer makes a span of each batch; nil traces nothing.
	Tracer trace.TracerProvider
}

// Loaders is one operation's set of loaders.
type Loaders struct {
	User           *dataloader.Loader[uuid.UUID, *auth.User]
	Ecosystem      *dataloader.Loader[uuid.UUID, *ecosystems.Ecosystem]
	Character      *dataloader.Loader[uuid.UUID, *characters.Character]
	CharacterPage  *dataloader.Loader[PageOf[Unfiltered], []*characters.Character]
	CharacterCount *dataloader.Loader[uuid.UUID, int]

	Relationship      *dataloader.Loader[uuid.UUID, *relationships.Relationship]
	RelationshipPage  *dataloader.Loader[PageOf[relationships.Filter], []*relationships.Relationship]
	RelationshipCount *dataloader.Loader[CountOf[relationships.Filter], int]
	HistoryPage       *dataloader.Loader[HistoryKey, []*relationships.Change]
	HistoryCount      *dataloader.Loader[uuid.UUID, int]
	Neighbors         *dataloader.Loader[NeighborKey, []graphstore.Neighbor]

	MemoryPage    *dataloader.Loader[PageOf[memories.Filter], []*memories.Memory]
	MemoryCount   *dataloader.Loader[CountOf[memories.Filter], int]
	MemorySources *dataloader.Loader[uuid.UUID, []*memories.Memory]
	Document      *dataloader.Loader[uuid.UUID, *documents.Document]

	Conversation *dataloader.Loader[uuid.UUID, *conversations.Conversation]
	// Cast is a conversation's characters' ids, in joining order.
	Cast    *dataloader.Loader[uuid.UUID, []uuid.UUID]
	Message *dataloader.Loader[uuid.UUID, *conversations.Message]
	// MessageChanges are the relationship changes a message caused.
	MessageChanges *dataloader.Loader[uuid.UUID, []*relationships.Change]

	Scenario     *dataloader.Loader[uuid.UUID, *scenarios.Scenario]
	ScenarioCast *dataloader.Loader[uuid.UUID, []scenarios.Role]
	// Scene is a conversation's scene; nil for a conversation without one.
	Scene *dataloader.Loader[uuid.UUID, *scenes.Scene]
}

// New returns fresh loaders over src.
func New(src Sources) *Loaders {
	tracer := tracing.Provider(src.Tracer).Tracer(tracing.Name)
	return &Loaders{
		User:      dataloader.NewBatchedLoader(byID("user", src.Auth.UsersByIDs), options[uuid.UUID, *auth.User](src, tracer, "User")...),
		Ecosystem: dataloader.NewBatchedLoader(byID("ecosystem", src.Ecosystems.ByIDs), options[uuid.UUID, *ecosystems.Ecosystem](src, tracer, "Ecosystem")...),
		Character: dataloader.NewBatchedLoader(byID("character", src.Characters.ByIDs), options[uuid.UUID, *characters.Character](src, tracer, "Character")...),
		CharacterPage: dataloader.NewBatchedLoader(filteredPages(func(ctx context.Context, ids []uuid.UUID, _ Unfiltered, a page.Args) (map[uuid.UUID][]*characters.Character, error) {
			return src.Characters.PagesOfEcosystems(ctx, ids, a)
		}), options[PageOf[Unfiltered], []*characters.Character](src, tracer, "CharacterPage")...),
		CharacterCount: dataloader.NewBatchedLoader(characterCounts(src.Characters),
			options[uuid.UUID, int](src, tracer, "CharacterCount")...),
		Relationship: dataloader.NewBatchedLoader(byID("relationship", src.Relationships.ByIDs),
			options[uuid.UUID, *relationships.Relationship](src, tracer, "Relationship")...),
		RelationshipPage: dataloader.NewBatchedLoader(filteredPages(src.Relationships.PagesOfCharacters),
			options[PageOf[relationships.Filter], []*relationships.Relationship](src, tracer, "RelationshipPage")...),
		RelationshipCount: dataloader.NewBatchedLoader(filteredCounts(src.Relationships.CountsOfCharacters),
			options[CountOf[relationships.Filter], int](src, tracer, "RelationshipCount")...),
		HistoryPage: dataloader.NewBatchedLoader(historyPages(src.Relationships),
			options[HistoryKey, []*relationships.Change](src, tracer, "HistoryPage")...),
		HistoryCount: dataloader.NewBatchedLoader(historyCounts(src.Relationships),
			options[uuid.UUID, int](src, tracer, "HistoryCount")...),
		Neighbors: dataloader.NewBatchedLoader(neighbors(src.Relationships),
			options[NeighborKey, []graphstore.Neighbor](src, tracer, "Neighbors")...),
		MemoryPage: dataloader.NewBatchedLoader(filteredPages(src.Memories.PagesOfCharacters),
			options[PageOf[memories.Filter], []*memories.Memory](src, tracer, "MemoryPage")...),
		MemoryCount: dataloader.NewBatchedLoader(filteredCounts(src.Memories.CountsOfCharacters),
			options[CountOf[memories.Filter], int](src, tracer, "MemoryCount")...),
		MemorySources: dataloader.NewBatchedLoader(memorySources(src.Memories),
			options[uuid.UUID, []*memories.Memory](src, tracer, "MemorySources")...),
		Document: dataloader.NewBatchedLoader(byID("document", src.Documents.ByIDs),
			options[uuid.UUID, *documents.Document](src, tracer, "Document")...),
		Conversation: dataloader.NewBatchedLoader(byID("conversation", src.Conversations.ByIDs),
			options[uuid.UUID, *conversations.Conversation](src, tracer, "Conversation")...),
		Cast: dataloader.NewBatchedLoader(func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[[]uuid.UUID] {
			got, err := src.Conversations.Participants(ctx, keys)
			return results(keys, got, err)
		}, options[uuid.UUID, []uuid.UUID](src, tracer, "Cast")...),
		Message: dataloader.NewBatchedLoader(byID("message", src.Conversations.MessagesByIDs),
			options[uuid.UUID, *conversations.Message](src, tracer, "Message")...),
		MessageChanges: dataloader.NewBatchedLoader(batchOf(src.Relationships.ChangesOfMessages),
			options[uuid.UUID, []*relationships.Change](src, tracer, "MessageChanges")...),
		Scenario: dataloader.NewBatchedLoader(byID("scenario", src.Scenarios.ByIDs),
			options[uuid.UUID, *scenarios.Scenario](src, tracer, "Scenario")...),
		ScenarioCast: dataloader.NewBatchedLoader(batchOf(src.Scenarios.CastOf),
			options[uuid.UUID, []scenarios.Role](src, tracer, "ScenarioCast")...),
		Scene: dataloader.NewBatchedLoader(batchOf(src.Scenes.ByConversationIDs),
			options[uuid.UUID, *scenes.Scene](src, tracer, "Scene")...),
	}
}

// options are every loader's: its batching window and a span for each of its batches.
func options[K comparable, V any](src Sources, tracer trace.Tracer, name string) []dataloader.Option[K, V] {
	wait := src.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	return []dataloader.Option[K, V]{dataloader.WithWait[K, V](wait), dataloader.WithTracer[K, V](batchTracer[K, V]{tracer: tracer, name: "loader " + name})}
}

// batchTracer traces a loader's batches, each in a span under the operation that first
// asked for one of its keys. Single loads are not traced: a span per object would cost
// more than the object.
type batchTracer[K comparable, V any] struct {
	dataloader.NoopTracer[K, V]
	tracer trace.Tracer
	name   string
}

func (b batchTracer[K, V]) TraceBatch(ctx context.Context, keys []K) (context.Context, dataloader.TraceBatchFinishFunc[V]) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, func([]*dataloader.Result[V]) {}
	}
	ctx, span := b.tracer.Start(ctx, b.name, trace.WithAttributes(attribute.Int("loader.batch.size", len(keys))))
	return ctx, func(results []*dataloader.Result[V]) {
		for _, r := range results {
			if r != nil && r.Error != nil && !errors.Is(r.Error, errs.ErrNotFound) {
				tracing.Fail(span, r.Error)
				break
			}
		}
		span.End()
	}
}

// byID adapts a map-returning lookup to a batch function: one result per key, in key
// order, and NOT_FOUND for a key the lookup did not return.
func byID[V any](kind string, load func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) dataloader.BatchFunc[uuid.UUID, V] {
	return func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[V] {
		found, err := load(ctx, keys)
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			switch v, ok := found[k]; {
			case err != nil:
				out[i] = &dataloader.Result[V]{Error: err}
			case !ok:
				out[i] = &dataloader.Result[V]{Error: fmt.Errorf("%s %s: %w", kind, k, errs.ErrNotFound)}
			default:
				out[i] = &dataloader.Result[V]{Data: v}
			}
		}
		return out
	}
}

func characterCounts(svc *characters.Service) dataloader.BatchFunc[uuid.UUID, int] {
	return func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[int] {
		counts, err := svc.CountsOfEcosystems(ctx, keys)
		return results(keys, counts, err)
	}
}

type ctxKey struct{}

// lazy makes its loaders on first use: a subscription gets fresh loaders for every event
// it delivers, and most events resolve no nested field at all.
type lazy struct {
	once sync.Once
	src  Sources
	l    *Loaders
}

// With returns ctx carrying loaders over src, made when a field first needs them.
func With(ctx context.Context, src Sources) context.Context {
	return context.WithValue(ctx, ctxKey{}, &lazy{src: src})
}

// From returns the operation's loaders; the server installs them around every operation
// (and every event of a subscription).
func From(ctx context.Context) *Loaders {
	lz := ctx.Value(ctxKey{}).(*lazy)
	lz.once.Do(func() { lz.l = New(lz.src) })
	return lz.l
}
