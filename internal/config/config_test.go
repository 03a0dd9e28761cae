package config

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.AppName != "Ensemble" || c.Env != Development || c.Addr != ":8080" || c.DataDir != "./.ensemble" ||
		c.AccessTTL() != 30*time.Minute || c.MaxUploadBytes != 25<<20 || !c.AutoMigrate || c.Production() {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"production needs a secret", []string{"ENSEMBLE_ENV=production"}, "SECRET_KEY: required in production"},
		{"short secret", []string{"SECRET_KEY=short"}, "SECRET_KEY: expected at least 32 bytes, got 5"},
		{"not a number", []string{"ACCESS_TOKEN_EXPIRE_MINUTES=ten"}, "ACCESS_TOKEN_EXPIRE_MINUTES: expected a whole number"},
		{"out of range", []string{"ACCESS_TOKEN_EXPIRE_MINUTES=0"}, "ACCESS_TOKEN_EXPIRE_MINUTES: expected 1 to 1440"},
		{"not a bool", []string{"DEBUG=yes please"}, "DEBUG: expected true or false"},
		{"not a duration", []string{"SHUTDOWN_TIMEOUT=soon"}, "SHUTDOWN_TIMEOUT: expected a duration"},
		{"short event retention", []string{"EVENTS_RETENTION=30m"}, "EVENTS_RETENTION: expected 0 (keep all) or at least 1h"},
		{"negative drain delay", []string{"SHUTDOWN_DRAIN_DELAY=-1s"}, "SHUTDOWN_DRAIN_DELAY: expected a duration of 0 to 5m"},
		{"long drain delay", []string{"SHUTDOWN_DRAIN_DELAY=1h"}, "SHUTDOWN_DRAIN_DELAY: expected a duration of 0 to 5m"},
		{"unknown environment", []string{"ENSEMBLE_ENV=prod"}, "ENSEMBLE_ENV: expected development or production"},
		{"upload limit", []string{"MAX_UPLOAD_BYTES=-1"}, "MAX_UPLOAD_BYTES"},
		{"negative unsigned", []string{"PASSWORD_HASH_ITERATIONS=-3"}, "PASSWORD_HASH_ITERATIONS: expected a whole number"},
		{"negative rate", []string{"RATE_LIMIT_SIGNIN_PER_MINUTE=-1"}, "RATE_LIMIT_*: expected 0 (off) or more"},
		{"no hash wait", []string{"PASSWORD_HASH_WAIT=0s"}, "PASSWORD_HASH_WAIT"},
		{"negative socket cap", []string{"WS_MAX_SOCKETS_PER_USER=-1"}, "WS_MAX_SOCKETS_PER_USER"},
		{"negative queue", []string{"GRAPHQL_QUEUE_LENGTH=-1"}, "GRAPHQL_QUEUE_LENGTH"},
		{"no operation timeout", []string{"GRAPHQL_TIMEOUT=0s"}, "GRAPHQL_TIMEOUT: expected a positive duration"},
		{"proxy that is no address", []string{"TRUSTED_PROXIES=10.0.0.0/8,proxy.internal"}, `TRUSTED_PROXIES: "proxy.internal"`},
		{"short previous secret", []string{"SECRET_KEY_PREVIOUS=" + strings.Repeat("k", 32) + ",short"}, "SECRET_KEY_PREVIOUS: key 2 of 2: expected at least 32 bytes, got 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.env, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestPreviousSecrets(t *testing.T) {
	a, b := strings.Repeat("a", 32), strings.Repeat("b", 40)
	tests := []struct {
		name string
		env  string
		want []string
	}{
		{"unset", "", nil},
		{"one", a, []string{a}},
		{"several, spaced, with empty entries", " " + a + " ,, " + b + ",", []string{a, b}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load([]string{"SECRET_KEY_PREVIOUS=" + tc.env}, "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range c.PreviousSecrets() {
				got = append(got, string(k))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("PreviousSecrets() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTrustedProxyPrefixes(t *testing.T) {
	c, err := Load([]string{"TRUSTED_PROXIES=10.0.0.0/8, 192.0.2.7,2001:db8::/32,::ffff:198.51.100.1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.TrustedProxyPrefixes()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "198.51.100.1/32"}
	if len(got) != len(want) {
		t.Fatalf("prefixes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("prefixes = %v, want %v", got, want)
		}
	}
}

func TestDotenvDoesNotOverrideEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte("APP_NAME=FromFile\nADDR=:9999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{"ADDR=:7000"}, path)
	if err != nil {
		t.Fatal(err)
	}
	if c.AppName != "FromFile" || c.Addr != ":7000" {
		t.Fatalf("app %q addr %q", c.AppName, c.Addr)
	}
	if _, err := Load(nil, filepath.Join(t.TempDir(), "missing.env")); err != nil {
		t.Fatalf("a missing .env is fine: %v", err)
	}
}

func TestDevelopmentSecretIsGeneratedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c, err := Load([]string{"ENSEMBLE_DATA_DIR=" + dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := c.Secret(logger)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Secret(logger)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < MinSecretBytes || string(first) != string(second) {
		t.Fatalf("secret not kept: %q then %q", first, second)
	}
	fi, err := os.Stat(filepath.Join(dir, "secret_key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	c.SecretKey = strings.Repeat("k", 40)
	if got, _ := c.Secret(logger); string(got) != c.SecretKey {
		t.Fatal("SECRET_KEY must win over the generated key")
	}
}
