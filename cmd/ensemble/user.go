package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/internal/config"

	"github.com/literaryai/ensemble/internal/auth"
)

func userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage accounts"}
	cmd.AddCommand(&cobra.Command{
		Use:   "set-role LOGIN USER|ADMIN",
		Short: "Give an account (username or email) a role; the way to make the first admin",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			role := auth.Role(args[1])
			if role != auth.RoleUser && role != auth.RoleAdmin {
				return fmt.Errorf("set-role: unknown role %q: use USER or ADMIN", args[1])
			}
			return withDatabase(cmd.Context(), func(d *database, _ *config.Config, _ *slog.Logger) error {
				if err := auth.SetRole(cmd.Context(), d.Pool, args[0], role); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s is now %s (from their next sign-in)\n", args[0], role)
				return nil
			})
		},
	})
	return cmd
}
