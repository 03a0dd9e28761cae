package main

import (
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/graph"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/persisted"
)

func documentsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "documents", Short: "Manage trusted documents (the operations TRUSTED_DOCUMENTS=enforce allows)"}
	var client string
	register := &cobra.Command{
		Use:   "register --client NAME FILE",
		Short: "Register a client's operations from a persisted query manifest",
		Long: "FILE is an Apollo persisted query manifest or a JSON map of SHA-256 hashes to documents " +
			"(graphql-codegen's persisted documents, Relay). Every hash must match its document and every " +
			"document must be valid against the schema, or nothing is registered. Registering again is harmless.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if client == "" {
				return fmt.Errorf("documents register: --client is required")
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("documents register: %w", err)
			}
			docs, err := persisted.ParseManifest(data)
			if err != nil {
				return fmt.Errorf("documents register: %s: %w", args[0], err)
			}
			if err := persisted.Check(graph.NewExecutableSchema(graph.Config{}).Schema(), docs); err != nil {
				return fmt.Errorf("documents register: %s: nothing registered:\n%w", args[0], err)
			}
			return withDatabase(cmd.Context(), func(d *database, _ *config.Config, _ *slog.Logger) error {
				added, err := persisted.Register(cmd.Context(), d.Pool, client, docs)
				if err != nil {
					return fmt.Errorf("documents register: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "registered %d new documents for %s (%d already registered)\n",
					added, client, len(docs)-added)
				return nil
			})
		},
	}
	register.Flags().StringVar(&client, "client", "", "the client the operations belong to (e.g. ios, web)")
	cmd.AddCommand(register, &cobra.Command{
		Use:   "list",
		Short: "List the registered documents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDatabase(cmd.Context(), func(d *database, _ *config.Config, _ *slog.Logger) error {
				rows, err := db.New(d.Pool).ListTrustedDocuments(cmd.Context())
				if err != nil {
					return fmt.Errorf("documents list: %w", err)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "CLIENT\tSHA256\tBYTES\tREGISTERED")
				for _, r := range rows {
					fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", r.Client, r.Sha256, r.Bytes, r.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"))
				}
				return w.Flush()
			})
		},
	})
	return cmd
}
