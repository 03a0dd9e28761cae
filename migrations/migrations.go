// Package migrations holds the numbered SQL migrations, embedded in the binary and read by
// sqlc as the schema.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
