package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUserName is the account PostgreSQL runs as when we are root. PostgreSQL refuses to
// run as root, and Debian, Ubuntu, Fedora and the PGDG packages all create this user.
const serverUserName = "postgres"

// account is the OS user that owns the cluster files and runs initdb, pg_ctl and postgres.
type account struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32
	home   string
	// switchUser is set when we are root and must drop to this account for every
	// PostgreSQL program; otherwise the programs simply run as the current user.
	switchUser bool
}

// serverAccount picks the account: the current user, or the unprivileged postgres user when
// the current process is root.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("look up current user: %w", err)
		}
		return accountFromUser(u, false)
	}
	u, err := user.Lookup(serverUserName)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("running as root, and PostgreSQL refuses to run as root, "+
				"but there is no unprivileged %q user to run it as: create one "+
				"(useradd --system --home-dir /var/lib/postgresql --shell /bin/sh %s), "+
				"run ensemble as a non-root user, or set DATABASE_URL", serverUserName, serverUserName)
		}
		return nil, fmt.Errorf("look up user %q: %w", serverUserName, err)
	}
	a, err := accountFromUser(u, true)
	if err != nil {
		return nil, err
	}
	if a.uid == 0 {
		return nil, fmt.Errorf("user %q has uid 0; PostgreSQL needs an unprivileged user", serverUserName)
	}
	return a, nil
}

// accountFromUser converts an os/user entry into numeric ids.
func accountFromUser(u *user.User, switchUser bool) (*account, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %q: parse uid %q: %w", u.Username, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %q: parse gid %q: %w", u.Username, u.Gid, err)
	}
	a := &account{
		name:       u.Username,
		uid:        uint32(uid),
		gid:        uint32(gid),
		groups:     []uint32{uint32(gid)},
		home:       u.HomeDir,
		switchUser: switchUser,
	}
	// Supplementary groups matter for the directory reachability check and for group
	// readable certificates; failing to list them is not fatal.
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil && uint32(g) != a.gid {
				a.groups = append(a.groups, uint32(g))
			}
		}
	}
	return a, nil
}

// sysProcAttr returns the process attributes that run a child as this account, or nil when
// no switch is needed.
func (a *account) sysProcAttr() *syscall.SysProcAttr {
	if !a.switchUser {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}}
}

// chown gives path to the account when we switch users, so that files we create as root
// (password, log, cluster directory) are usable by the server. It is a no-op otherwise.
func (a *account) chown(path string) error {
	if !a.switchUser {
		return nil
	}
	if err := os.Lchown(path, int(a.uid), int(a.gid)); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, a.name, err)
	}
	return nil
}

// inGroup reports whether the account belongs to gid.
func (a *account) inGroup(gid uint32) bool {
	for _, g := range a.groups {
		if g == gid {
			return true
		}
	}
	return false
}

// canSearch reports whether the account may traverse the directory described by fi, using
// the owner/group/other execute bits the kernel checks (ACLs are not consulted).
func (a *account) canSearch(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true // cannot tell; let the PostgreSQL programs report it
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return perm&0o100 != 0
	case a.inGroup(st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// prepareDataDir makes dir exist and be reachable by the account, and returns its
// symlink-free absolute path.
//
// As root, the server runs as another user, so every directory above dir must be
// searchable by that user. A parent we cannot fix without weakening someone else's
// privacy (e.g. /root, mode 0700) is reported up front with what to do, instead of the
// cryptic "could not change directory" initdb would print. The data directory itself is
// ours: when it exists but the server user cannot enter it, we add the execute bit for
// others, which lets the server reach its own subdirectory without being able to list or
// read anything else in dir.
func (a *account) prepareDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	resolved, err := resolveExistingPrefix(abs)
	if err != nil {
		return "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	if a.switchUser {
		if err := a.checkAncestors(resolved); err != nil {
			return "", err
		}
	}
	fi, err := os.Stat(resolved)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// Parents we create must stay traversable for the server user; the data
		// directory itself is private to it.
		if err := os.MkdirAll(filepath.Dir(resolved), 0o755); err != nil {
			return "", fmt.Errorf("create data directory: %w", err)
		}
		if err := os.Mkdir(resolved, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("create data directory: %w", err)
		}
		if err := a.chown(resolved); err != nil {
			return "", err
		}
	case err != nil:
		return "", fmt.Errorf("data directory %s: %w", resolved, err)
	case !fi.IsDir():
		return "", fmt.Errorf("data directory %s is not a directory", resolved)
	case a.switchUser && !a.canSearch(fi):
		if err := os.Chmod(resolved, fi.Mode().Perm()|0o001); err != nil {
			return "", fmt.Errorf("let user %s enter data directory %s: %w", a.name, resolved, err)
		}
	}
	return resolved, nil
}

// checkAncestors fails when a directory above dir exists and the account cannot search it.
func (a *account) checkAncestors(dir string) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil && fi.IsDir() && !a.canSearch(fi) {
			return fmt.Errorf("data directory %s is not reachable by the %q user that runs PostgreSQL "+
				"(we run as root and PostgreSQL refuses root): its parent %s has mode %04o and no execute "+
				"permission for that user; choose a data directory under /var/lib or /tmp "+
				"(e.g. ENSEMBLE_DATA_DIR=/var/lib/ensemble) or grant access with chmod o+x %s",
				dir, a.name, p, fi.Mode().Perm(), p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// resolveExistingPrefix resolves symlinks in the longest existing prefix of abs and appends
// the rest, so permission checks look at the directories the kernel will actually walk
// (on macOS /tmp is a symlink to /private/tmp).
func resolveExistingPrefix(abs string) (string, error) {
	rest := ""
	p := abs
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}
