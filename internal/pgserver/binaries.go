package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNoBinaries means no directory holding the PostgreSQL server binaries (initdb, pg_ctl,
// postgres) was found. FindBinaries wraps it in an error that says what to install, so
// callers can test for it with errors.Is and still show the user something actionable.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found")

// installHint is appended to every ErrNoBinaries error: the user hitting it usually just
// ran `ensemble serve` on a fresh machine and needs to know the one command that fixes it.
const installHint = "install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; " +
	"Fedora/RHEL: dnf install postgresql-server; macOS: brew install postgresql@16), " +
	"or set PG_BINDIR to the directory that holds initdb, " +
	"or set DATABASE_URL to use an existing PostgreSQL server"

// requiredBinaries are the programs the launcher runs; a directory qualifies only if it has
// all of them, because a client-only install (psql, pg_dump) is common and useless here.
var requiredBinaries = []string{"initdb", "pg_ctl", "postgres"}

// FindBinaries returns the directory holding initdb, pg_ctl and postgres. It looks, in
// order, at $PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/<highest version>/bin
// (Debian, Ubuntu), /usr/pgsql-<highest version>/bin (PGDG RPMs), Homebrew
// (/opt/homebrew/opt/postgresql@*/bin, /usr/local/opt/postgresql@*/bin, /opt/homebrew/bin,
// /usr/local/bin), Postgres.app, and finally initdb on $PATH. Distribution packages
// usually keep the server binaries off $PATH, which is why PATH comes last.
//
// When $PG_BINDIR is set it is authoritative: if it lacks the binaries the result is an
// error rather than a silent fallback to some other installed version.
func FindBinaries() (string, error) {
	return defaultSearch().find()
}

// search is the binary lookup with its inputs made explicit, so tests can run it against
// temporary directories instead of whatever this machine has installed.
type search struct {
	// pgBinDir is the value of $PG_BINDIR ("" when unset).
	pgBinDir string
	// pgConfigBinDir returns what `pg_config --bindir` prints, or "" when unavailable.
	pgConfigBinDir func() string
	// patterns are directories or filepath.Glob patterns tried in order; the matches of
	// one pattern are tried highest version first.
	patterns []string
	// lookPath finds an executable on $PATH (exec.LookPath).
	lookPath func(string) (string, error)
}

// defaultSearch is the search FindBinaries runs on the real machine.
func defaultSearch() search {
	return search{
		pgBinDir:       os.Getenv("PG_BINDIR"),
		pgConfigBinDir: pgConfigBinDir,
		patterns: []string{
			"/usr/lib/postgresql/*/bin",
			"/usr/pgsql-*/bin",
			"/opt/homebrew/opt/postgresql@*/bin",
			"/usr/local/opt/postgresql@*/bin",
			"/opt/homebrew/bin",
			"/usr/local/bin",
			"/Applications/Postgres.app/Contents/Versions/latest/bin",
		},
		lookPath: exec.LookPath,
	}
}

// find runs the lookup described on FindBinaries.
func (sr search) find() (string, error) {
	if sr.pgBinDir != "" {
		if err := checkBinDir(sr.pgBinDir); err != nil {
			return "", fmt.Errorf("PG_BINDIR: %w", err)
		}
		return sr.pgBinDir, nil
	}
	if sr.pgConfigBinDir != nil {
		if dir := sr.pgConfigBinDir(); dir != "" && hasBinaries(dir) {
			return dir, nil
		}
	}
	for _, pattern := range sr.patterns {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			continue // a malformed pattern only removes that candidate
		}
		sortByVersionDesc(matches)
		for _, dir := range matches {
			if hasBinaries(dir) {
				return dir, nil
			}
		}
	}
	if sr.lookPath != nil {
		if initdb, err := sr.lookPath("initdb"); err == nil {
			dir := filepath.Dir(initdb)
			if hasBinaries(dir) {
				return dir, nil
			}
			// A lone symlink on PATH (e.g. /usr/local/bin/initdb -> the real bin dir)
			// still tells us where the rest of the installation is.
			if real, err := filepath.EvalSymlinks(initdb); err == nil && hasBinaries(filepath.Dir(real)) {
				return filepath.Dir(real), nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s", ErrNoBinaries, installHint)
}

// checkBinDir explains which required binary dir lacks; the error wraps ErrNoBinaries.
func checkBinDir(dir string) error {
	var missing []string
	for _, name := range requiredBinaries {
		if !isExecutable(filepath.Join(dir, name)) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s has no %s; %s", ErrNoBinaries, dir, strings.Join(missing, ", "), installHint)
	}
	return nil
}

// hasBinaries reports whether dir holds every required binary.
func hasBinaries(dir string) bool {
	return checkBinDir(dir) == nil
}

// isExecutable reports whether path (following symlinks) is a regular file with an
// execute bit set.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// pgConfigBinDir asks pg_config where the binaries are. pg_config ships with the
// development package, so its absence is normal and yields "".
func pgConfigBinDir() string {
	path, err := exec.LookPath("pg_config")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--bindir").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// versionInPath finds the last dotted number in a path such as /usr/lib/postgresql/16/bin
// or /opt/homebrew/opt/postgresql@9.6/bin.
var versionInPath = regexp.MustCompile(`\d+(?:\.\d+)*`)

// sortByVersionDesc orders glob matches highest PostgreSQL version first, comparing the
// versions numerically so that 10 sorts above 9.6 (a plain string sort gets that wrong).
func sortByVersionDesc(paths []string) {
	key := func(p string) []int {
		all := versionInPath.FindAllString(p, -1)
		if len(all) == 0 {
			return nil
		}
		var v []int
		for _, part := range strings.Split(all[len(all)-1], ".") {
			n, _ := strconv.Atoi(part)
			v = append(v, n)
		}
		return v
	}
	sort.SliceStable(paths, func(i, j int) bool {
		a, b := key(paths[i]), key(paths[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) > len(b)
	})
}
