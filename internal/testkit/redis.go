package testkit

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SharedRedisURL is the machine's Redis, which the test command starts when it is missing.
const SharedRedisURL = "redis://127.0.0.1:6379/0"

// RedisEnv returns the settings that put a server on the machine's Redis, on a channel
// of this test's own, so tests running at once do not hear each other.
func RedisEnv(t testing.TB) []string {
	t.Helper()
	checkRedis(t, SharedRedisURL)
	return []string{"REDIS_URL=" + SharedRedisURL, "REDIS_EVENTS_CHANNEL=test:" + t.Name() + ":" + mustRandomHex(t, 4)}
}

func checkRedis(t testing.TB, url string) {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	c := redis.NewClient(opts)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("testkit: Redis at %s does not answer (the test command starts it: ./scripts/test): %v", url, err)
	}
}

func mustRandomHex(t testing.TB, n int) string {
	t.Helper()
	s, err := randomHex(n)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return s
}

// Redis is a private redis-server a test can stop and start again.
type Redis struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
	// Password is required of clients (it proves REDIS_URL's password is used).
	Password string
}

// StartRedis runs a private redis-server on a free port, with a password, until the
// test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("testkit: redis-server is not installed (the test command installs it: ./scripts/test)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	r := &Redis{t: t, port: port, Password: mustRandomHex(t, 8)}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the server's URL, database 3 (any number proves the database is honoured).
func (r *Redis) URL() string {
	return fmt.Sprintf("redis://:%s@127.0.0.1:%d/3", r.Password, r.port)
}

// Start (re)starts the server on its port.
func (r *Redis) Start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--requirepass", r.Password, "--logfile", "")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("testkit: start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", r.port), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("testkit: redis-server did not start on port %d: %v", r.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as a crash would.
func (r *Redis) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}
