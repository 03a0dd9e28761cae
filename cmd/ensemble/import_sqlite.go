package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/sqliteimport"
)

const importSqliteHelp = `Imports a SQLite database of the old Streamlit application (tables users, documents,
characters, conversations, messages) into PostgreSQL.

Each old user is imported in one transaction with everything they own, so an
interrupted import leaves every user whole or absent. Rows that cannot be imported
(wrong types, missing references, duplicate usernames, invalid values) are reported one
by one and the rest goes on; with --strict, one such row aborts the import and nothing
is written. Every imported row is recorded (sqlite_imports) under the source name, so
running the import again adds only rows it has not seen. Characters go to one ecosystem
per user and old ecosystem_id. bcrypt password hashes are kept; a user's first sign-in
replaces theirs with argon2id.

Columns read (required first; a missing required column stops the import):
  users          id, username, email, password_hash; created_at
  documents      id, user_id, content; title, filename, content_type, created_at
  characters     id, user_id, name; ecosystem_id, description, backstory, speaking_style,
                 goals (JSON list), personality_traits (JSON), autonomy_level,
                 social_energy, current_emotion, is_active, last_interaction,
                 memory_summary, current_context (JSON object), created_at
  conversations  id, character_id; user_id, title, created_at
  messages       id, conversation_id, role, content; emotion, created_at

Columns named otherwise are mapped with --mapping, a JSON file of table → {old column:
column read}, e.g. {"characters": {"autonomy": "autonomy_level"}, "users": {"pw": "password_hash"}}.`

func importSqliteCmd() *cobra.Command {
	var (
		opt     sqliteimport.Options
		mapping string
	)
	cmd := &cobra.Command{
		Use:   "import-sqlite FILE",
		Short: "Import the old application's SQLite database (idempotent; --dry-run, --strict, --mapping)",
		Long:  importSqliteHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if mapping != "" {
				f, err := os.Open(mapping)
				if err != nil {
					return fmt.Errorf("import-sqlite: %w", err)
				}
				opt.Mapping, err = sqliteimport.LoadMapping(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("import-sqlite: %s: %w", mapping, err)
				}
			}
			if opt.Source == "" {
				opt.Source = filepath.Base(args[0])
			}
			// The bar is for people watching; logs and pipes get the report alone.
			endBar := func() {}
			if term.IsTerminal(int(os.Stderr.Fd())) {
				opt.Progress, endBar = sqliteimport.Bar(cmd.ErrOrStderr())
			}
			return withDatabase(ctx, func(d *database, _ *config.Config, logger *slog.Logger) error {
				m, err := db.NewMigrator(d.Pool, logger)
				if err != nil {
					return err
				}
				pending, err := m.Pending(ctx)
				_ = m.Close()
				if err != nil {
					return err
				}
				if pending {
					return errors.New("import-sqlite: the database has migrations pending: run `ensemble migrate up` first")
				}
				rep, err := sqliteimport.Run(ctx, d.Pool, bus.NewLocal(), args[0], opt)
				endBar()
				if rep != nil {
					if perr := rep.Print(cmd.OutOrStdout()); perr != nil && err == nil {
						err = perr
					}
				}
				if err != nil {
					return fmt.Errorf("import-sqlite: %w", err)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&opt.DryRun, "dry-run", false, "report what would be imported and write nothing")
	cmd.Flags().BoolVar(&opt.Strict, "strict", false, "abort, writing nothing, if any row cannot be imported")
	cmd.Flags().StringVar(&mapping, "mapping", "", "JSON file mapping old column names to the ones read, per table")
	cmd.Flags().StringVar(&opt.Source, "source", "", "name the import is recorded under (default: the file's name); a second import under the same name adds only new rows")
	return cmd
}
