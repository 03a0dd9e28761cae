// Command ensemble is the Ensemble server and its tools: `ensemble serve` runs the API
// (starting a private PostgreSQL when DATABASE_URL is not set), `ensemble migrate`
// manages the schema, `ensemble user set-role` promotes an admin.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/tracing"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise it comes
// from the module's build information.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
	}
	return "dev"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ensemble:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "ensemble",
		Short:         "Ensemble: a GraphQL API for living casts of literary characters",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.AddCommand(serveCmd(), migrateCmd(), userCmd(), documentsCmd(), reindexCmd(), benchCmd(), importSqliteCmd())
	return root
}

// loadConfig reads the environment and ./.env.
func loadConfig() (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(os.Environ(), ".env")
	if err != nil {
		return nil, nil, err
	}
	return cfg, newLogger(cfg), nil
}

// newLogger logs JSON in production and text in development, at debug level with DEBUG.
func newLogger(cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.Debug {
		opts.Level = slog.LevelDebug
	}
	// Lines logged within a span carry its trace id (nothing is added when tracing is off).
	if cfg.Production() {
		return slog.New(tracing.LogHandler(slog.NewJSONHandler(os.Stderr, opts)))
	}
	return slog.New(tracing.LogHandler(slog.NewTextHandler(os.Stderr, opts)))
}
