package bus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/testkit"
)

// TestRedisURLsAreReadWhole: the password and database number of REDIS_URL are used (a
// server that requires a password refuses a URL without it).
func TestRedisURLsAreReadWhole(t *testing.T) {
	r := testkit.StartRedis(t)
	opts, err := bus.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	if opts.Password != r.Password || opts.DB != 3 {
		t.Fatalf("parsed password %q db %d", opts.Password, opts.DB)
	}
	ctx := context.Background()
	if _, err := bus.NewRedis(ctx, bus.RedisOptions{URL: "redis://127.0.0.1:" + portOf(t, r.URL()) + "/3"}); err == nil {
		t.Fatal("a URL without the password was accepted")
	}
	for _, bad := range []string{"http://localhost:6379", "redis://:pw@host:notaport/0", "redis://localhost:6379/x"} {
		if _, err := bus.ParseURL(bad); err == nil {
			t.Fatalf("%s parsed", bad)
		}
	}
	b, err := bus.NewRedis(ctx, bus.RedisOptions{URL: r.URL(), Channel: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sub := b.Subscribe(func(events.Event) bool { return true }, 4)
	eco := uuid.New()
	b.Publish(ctx, events.Event{ID: 7, Seq: 3, EcosystemID: eco, Topic: events.MessageCreated, At: time.Now(), Payload: []byte(`{"a":1}`)})
	select {
	case e := <-sub.Events():
		if e.ID != 7 || e.Seq != 3 || e.EcosystemID != eco || string(e.Payload) != `{"a":1}` {
			t.Fatalf("round trip: %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing came back through Redis")
	}
}

func portOf(t *testing.T, url string) string {
	t.Helper()
	opts, err := bus.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(opts.Addr, ":")
	return port
}
