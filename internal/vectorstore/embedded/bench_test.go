package embedded_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/embedding"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/testkit"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

// sentences of the public-domain novels under ../shared/data, the memories' material.
func sentences(b *testing.B) []string {
	var out []string
	re := regexp.MustCompile(`[^.!?]+[.!?]`)
	for _, name := range []string{"pride_and_prejudice", "les_miserables", "sherlock_holmes", "alice_in_wonderland", "christmas_carol"} {
		raw, err := os.ReadFile("../../../../shared/data/novels/" + name + ".txt")
		if err != nil {
			b.Skipf("the novels under ../shared/data are absent (%v)", err)
		}
		for _, s := range re.FindAllString(strings.Join(strings.Fields(string(raw)), " "), -1) {
			if len(strings.Fields(s)) >= 5 {
				out = append(out, strings.TrimSpace(s))
			}
		}
	}
	return out
}

func residentMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024
		}
	}
	return -1
}

// BenchmarkMemory1M stores 1,000,000 memories across 1,000 characters of one ecosystem
// with the offline embedder (each memory two random sentences of the novels), then
// measures recall for one character, ecosystem-wide search and its recall@10 against
// exact search, and the process's resident memory. It prints figures, asserts nothing.
//
//	go test -run '^$' -bench Memory1M -benchtime 200x -timeout 60m ./internal/vectorstore/embedded/
//
// MEMORY_BENCH_N scales it down (e.g. 100000) for a quicker look.
func BenchmarkMemory1M(b *testing.B) {
	total := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("MEMORY_BENCH_N")); err == nil && n > 0 {
		total = n
	}
	const characters = 1000
	// The soft memory limit ensemble serve sets by default (VECTOR_MEMORY_BYTES + 512 MiB).
	debug.SetMemoryLimit(embedded.DefaultMaxBytes + 512<<20)
	pool := testkit.DB(b)
	ctx := b.Context()
	var uid, eco uuid.UUID
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, email, password_hash) VALUES ('bench', 'bench@example.com', 'x') RETURNING id`).Scan(&uid); err != nil {
		b.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO ecosystems (owner_id, name) VALUES ($1, 'Library') RETURNING id`, uid).Scan(&eco); err != nil {
		b.Fatal(err)
	}
	var chars []uuid.UUID
	rows, err := pool.Query(ctx, `INSERT INTO characters (ecosystem_id, name) SELECT $1, 'c' || i FROM generate_series(1, $2::int) i RETURNING id`, eco, characters)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		chars = append(chars, id)
	}
	viewer := auth.Identity{UserID: uid, Role: auth.RoleUser}
	emb := embedding.NewOffline(embedding.DefaultDimension)
	store := embedded.New(pool, emb.Dimension(), emb.Model(), 0)
	cfg := memories.DefaultConfig
	cfg.ReflectionThreshold = 1e12
	svc := memories.NewService(pool, bus.NewLocal(), emb, store, nil, cfg, time.Now)

	text := sentences(b)
	r := rand.New(rand.NewPCG(7, 11))
	start := time.Now()
	per := total / characters
	for _, c := range chars {
		ins := make([]memories.Input, per)
		for i := range ins {
			imp := r.Float64()
			ins[i] = memories.Input{Content: text[r.IntN(len(text))] + " " + text[r.IntN(len(text))], Type: memories.Observation, Importance: &imp}
		}
		if _, err := svc.AddMany(ctx, viewer, c, ins); err != nil {
			b.Fatal(err)
		}
	}
	ingest := time.Since(start)
	// Load the ecosystem's index (what the first search after a restart pays).
	loadStart := time.Now()
	if _, err := svc.Search(ctx, viewer, eco, "the first search loads the index", 10); err != nil {
		b.Fatal(err)
	}
	load := time.Since(loadStart)
	runtime.GC()

	queries := make([]string, 256)
	for i := range queries {
		words := strings.Fields(text[r.IntN(len(text))])
		queries[i] = strings.Join(words[:min(6, len(words))], " ")
	}
	var recallTimes, searchTimes []time.Duration
	var hits, wanted int
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		t0 := time.Now()
		if _, err := svc.Recall(ctx, viewer, chars[i%len(chars)], q, 10, nil); err != nil {
			b.Fatal(err)
		}
		recallTimes = append(recallTimes, time.Since(t0))
		t1 := time.Now()
		found, err := svc.Search(ctx, viewer, eco, q, 10)
		if err != nil {
			b.Fatal(err)
		}
		searchTimes = append(searchTimes, time.Since(t1))
		vec, _ := emb.Embed(ctx, []string{q})
		exact, err := store.Exact(ctx, eco, vec[0], 10)
		if err != nil {
			b.Fatal(err)
		}
		got := map[uuid.UUID]bool{}
		for _, f := range found {
			got[f.Memory.ID] = true
		}
		for _, e := range exact {
			wanted++
			if got[e.ID] {
				hits++
			}
		}
		i++
	}
	b.ReportMetric(float64(total)/ingest.Seconds(), "ingest_memories/s")
	b.ReportMetric(load.Seconds(), "index_load_s")
	b.ReportMetric(testkit.PercentileMS(recallTimes, 0.5), "recall_p50_ms")
	b.ReportMetric(testkit.PercentileMS(recallTimes, 0.95), "recall_p95_ms")
	b.ReportMetric(testkit.PercentileMS(searchTimes, 0.5), "search_p50_ms")
	b.ReportMetric(testkit.PercentileMS(searchTimes, 0.95), "search_p95_ms")
	b.ReportMetric(float64(hits)/float64(wanted), "search_recall@10")
	b.ReportMetric(residentMiB(), "resident_MiB")
	fmt.Fprintf(os.Stderr, "memories=%d ingest=%s load=%s\n", total, ingest.Round(time.Second), load.Round(time.Millisecond))
}
