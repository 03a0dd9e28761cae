package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/internal/app"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/graphstore/neo4j"
	"github.com/literaryai/ensemble/internal/vectorstore/pinecone"
)

// openPinecone connects to the Pinecone index of PINECONE_INDEX.
func openPinecone(ctx context.Context, cfg *config.Config) (*pinecone.Store, error) {
	store, err := pinecone.Open(ctx, pinecone.Config{
		APIKey: cfg.PineconeAPIKey, Index: cfg.PineconeIndex, Host: cfg.PineconeHost, Dimension: cfg.EmbeddingsDimension,
	})
	if err != nil {
		return nil, fmt.Errorf("PINECONE_INDEX %s: %w", cfg.PineconeIndex, err)
	}
	return store, nil
}

// openNeo4j connects to the Neo4j of NEO4J_URI.
func openNeo4j(ctx context.Context, cfg *config.Config) (*neo4j.Store, error) {
	store, err := neo4j.Open(ctx, neo4j.Config{
		URI: cfg.Neo4jURI, User: cfg.Neo4jUser, Password: cfg.Neo4jPassword, Database: cfg.Neo4jDatabase,
		MaxConnectionPoolSize: cfg.Neo4jMaxPoolSize, ConnectionAcquisitionTimeout: cfg.Neo4jAcquireTimeout,
		MaxConnectionLifetime: cfg.Neo4jMaxConnLifetime,
	})
	if err != nil {
		return nil, fmt.Errorf("NEO4J_URI %s: %w", cfg.Neo4jURI, err)
	}
	return store, nil
}

func reindexCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "reindex", Short: "Rebuild a projection from PostgreSQL"}
	cmd.AddCommand(&cobra.Command{
		Use:   "graph",
		Short: "Rebuild the Neo4j graph (NEO4J_URI) from PostgreSQL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withDatabase(ctx, func(d *database, cfg *config.Config, logger *slog.Logger) error {
				if cfg.Neo4jURI == "" {
					return fmt.Errorf("reindex graph: NEO4J_URI is not set; the default graph backend reads PostgreSQL directly and needs no index")
				}
				store, err := openNeo4j(ctx, cfg)
				if err != nil {
					return err
				}
				defer func() { _ = store.Close(context.WithoutCancel(ctx)) }()
				if err := neo4j.Reindex(ctx, d.Pool, store); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "rebuilt the Neo4j graph from PostgreSQL")
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "vectors",
		Short: "Recompute memory embeddings made by another model than the configured one, and rebuild Pinecone when configured",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withDatabase(ctx, func(d *database, cfg *config.Config, logger *slog.Logger) error {
				secret, err := cfg.Secret(logger)
				if err != nil {
					return err
				}
				a, err := app.New(app.Options{Config: cfg, Secret: secret, Pool: d.Pool, Logger: logger, Version: buildVersion(), Database: d.Info})
				if err != nil {
					return err
				}
				n, err := a.Memories.Reembed(ctx, func(done int) {
					logger.Info("re-embedded memories", "done", done)
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "re-embedded %d memories with %s\n", n, a.Memories.Model())
				if !cfg.Pinecone() {
					return nil
				}
				store, err := openPinecone(ctx, cfg)
				if err != nil {
					return err
				}
				defer func() { _ = store.Close() }()
				if err := pinecone.Rebuild(ctx, d.Pool, store, a.Memories.Model(), func(n int) {
					logger.Info("rebuilt Pinecone vectors", "done", n)
				}); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "rebuilt the Pinecone index from PostgreSQL")
				return nil
			})
		},
	})
	return cmd
}
