package pinecone

import (
	"context"

	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"
)

// plane is the data-plane calls the store makes. grpcPlane sends them to Pinecone; the
// tests put a fake in its place to check batching, retries and mapping without a server.
type plane interface {
	upsert(ctx context.Context, namespace string, vectors []*pc.Vector) error
	deleteIDs(ctx context.Context, namespace string, ids []string) error
	deleteAll(ctx context.Context, namespace string) error
	query(ctx context.Context, namespace string, req *pc.QueryByVectorValuesRequest) ([]*pc.ScoredVector, error)
	stats(ctx context.Context) (*pc.DescribeIndexStatsResponse, error)
	close() error
}

// grpcPlane is the plane of a real index, over one gRPC connection shared by all
// namespaces.
type grpcPlane struct{ conn *pc.IndexConnection }

func (g grpcPlane) upsert(ctx context.Context, namespace string, vectors []*pc.Vector) error {
	_, err := g.conn.WithNamespace(namespace).UpsertVectors(ctx, vectors)
	return err
}

func (g grpcPlane) deleteIDs(ctx context.Context, namespace string, ids []string) error {
	return g.conn.WithNamespace(namespace).DeleteVectorsById(ctx, ids)
}

func (g grpcPlane) deleteAll(ctx context.Context, namespace string) error {
	return g.conn.WithNamespace(namespace).DeleteAllVectorsInNamespace(ctx)
}

func (g grpcPlane) query(ctx context.Context, namespace string, req *pc.QueryByVectorValuesRequest) ([]*pc.ScoredVector, error) {
	res, err := g.conn.WithNamespace(namespace).QueryByVectorValues(ctx, req)
	if err != nil {
		return nil, err
	}
	return res.Matches, nil
}

func (g grpcPlane) stats(ctx context.Context) (*pc.DescribeIndexStatsResponse, error) {
	return g.conn.DescribeIndexStats(ctx)
}

func (g grpcPlane) close() error { return g.conn.Close() }
