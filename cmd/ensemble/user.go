package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

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
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			d, err := openDatabase(ctx, cfg, logger)
			if err != nil {
				return err
			}
			defer d.Close()
			secret, err := cfg.Secret(logger)
			if err != nil {
				return err
			}
			svc, err := auth.NewService(d.Pool, auth.Config{Secret: secret, Password: auth.DefaultPasswordParams}, time.Now)
			if err != nil {
				return err
			}
			if err := svc.SetRole(ctx, args[0], role); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is now %s\n", args[0], role)
			return nil
		},
	})
	return cmd
}
