package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/internal/config"

	"github.com/literaryai/ensemble/db"
)

func migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:       "migrate up|down|status",
		Short:     "Apply, roll back or list the database migrations",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"up", "down", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != "up" && args[0] != "down" && args[0] != "status" {
				return fmt.Errorf("migrate: unknown action %q: use up, down or status", args[0])
			}
			ctx := cmd.Context()
			return withDatabase(ctx, func(d *database, _ *config.Config, logger *slog.Logger) error {
				m, err := db.NewMigrator(d.Pool, logger)
				if err != nil {
					return err
				}
				defer m.Close()
				out := cmd.OutOrStdout()
				switch args[0] {
				case "up":
					n, err := m.Up(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintf(out, "applied %d migration(s)\n", n)
				case "down":
					if err := m.Down(ctx); err != nil {
						return err
					}
					fmt.Fprintln(out, "rolled back 1 migration")
				default:
					st, err := m.Status(ctx)
					if err != nil {
						return err
					}
					for _, s := range st {
						state := "pending"
						if s.Applied {
							state = "applied"
						}
						fmt.Fprintf(out, "%-8s %05d %s\n", state, s.Version, s.Name)
					}
				}
				return nil
			})
		},
	}
}
