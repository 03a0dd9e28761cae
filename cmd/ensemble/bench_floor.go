package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Floor of the fan-out: what the machine alone costs to hand one small frame to each of
// many loopback TCP sockets and read it on the other end, with no WebSocket, GraphQL,
// database or server process in between. The fan-out scenario cannot beat these figures;
// they say how much of its latency is ours.
const (
	floorFrameBytes = 128 // about the size of a messageAdded frame with seq and createdAt
	floorRounds     = 10
	floorPause      = 300 * time.Millisecond
)

// Floor of the throughput: how many single-row transactions PostgreSQL commits per second
// on this machine for as many clients as the scenario has senders. Every stored message
// costs at least one such commit.
const commitFloorDuration = 5 * time.Second

// commitFloor is the commit rate measured.
type commitFloor struct {
	Clients       int     `json:"clients"`
	CommitsPerSec float64 `json:"commitsPerSecond"`
}

// commitFloorScenario inserts message-sized rows into a scratch table of the bench
// database from Senders clients, each row its own transaction.
func (b *liveBench) commitFloorScenario(ctx context.Context) error {
	n := b.opts.Senders
	b.logf("floor: single-row commits from %d clients for %s", n, commitFloorDuration)
	cfg, err := pgxpool.ParseConfig(withoutPoolParams(b.db.URL))
	if err != nil {
		return fmt.Errorf("parse database URL: %w", err)
	}
	cfg.MaxConns = int32(n)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_commit_floor (id bigserial PRIMARY KEY, body text NOT NULL)`); err != nil {
		return fmt.Errorf("create scratch table: %w", err)
	}
	defer func() { _, _ = pool.Exec(context.WithoutCancel(ctx), `DROP TABLE bench_commit_floor`) }()
	body := strings.Repeat("x", 100)
	var commits atomic.Int64
	var failure atomic.Value
	deadline := time.Now().Add(commitFloorDuration)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if _, err := pool.Exec(ctx, `INSERT INTO bench_commit_floor (body) VALUES ($1)`, body); err != nil {
					failure.CompareAndSwap(nil, err)
					return
				}
				commits.Add(1)
			}
		})
	}
	wg.Wait()
	if err, ok := failure.Load().(error); ok {
		return fmt.Errorf("insert: %w", err)
	}
	b.report.CommitFloor = &commitFloor{Clients: n, CommitsPerSec: float64(commits.Load()) / commitFloorDuration.Seconds()}
	return nil
}

// floorResult is the floor measured for Sockets sockets.
type floorResult struct {
	Sockets    int `json:"sockets"`
	FrameBytes int `json:"frameBytes"`
	Rounds     int `json:"rounds"`
	// Delivery is the time from the start of a round's writes to each frame fully read.
	Delivery latencySummary `json:"delivery"`
	// CPUMicrosPerDelivery is the process CPU (writer and readers) per frame.
	CPUMicrosPerDelivery float64 `json:"cpuMicrosPerDelivery"`
}

// floorScenario measures the floor for as many of the fan-out's sockets as the open
// files limit allows in one process (each socket needs both of its ends here).
func (b *liveBench) floorScenario(ctx context.Context, limit uint64) error {
	n := min(b.opts.Subscribers, int(limit/2)-256)
	if n < 1 {
		return fmt.Errorf("open files limit %d leaves no room for socket pairs", limit)
	}
	b.logf("floor: one %d-byte frame to each of %d loopback TCP sockets, %d rounds", floorFrameBytes, n, floorRounds)
	res, err := measureFloor(ctx, n)
	if err != nil {
		return err
	}
	b.report.Floor = res
	return nil
}

func measureFloor(ctx context.Context, n int) (*floorResult, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	writers := make([]net.Conn, 0, n)
	readers := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range append(writers, readers...) {
			_ = c.Close()
		}
	}()
	var d net.Dialer
	for range n {
		r, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return nil, fmt.Errorf("dial: %w", err)
		}
		readers = append(readers, r)
		w, err := ln.Accept()
		if err != nil {
			return nil, fmt.Errorf("accept: %w", err)
		}
		writers = append(writers, w)
	}

	// Each reader stamps when it has a round's whole frame; the round's start is stamped
	// before the first write, and read once every reader is done.
	var (
		start  [floorRounds]int64
		done   [floorRounds]chan struct{}
		counts [floorRounds]atomic.Int64
		stamps = make([]int64, n*floorRounds)
		wg     sync.WaitGroup
	)
	for i := range done {
		done[i] = make(chan struct{})
	}
	for i, r := range readers {
		wg.Go(func() {
			buf := make([]byte, floorFrameBytes)
			for round := range floorRounds {
				if _, err := io.ReadFull(r, buf); err != nil {
					return
				}
				stamps[round*n+i] = time.Now().UnixNano()
				if counts[round].Add(1) == int64(n) {
					close(done[round])
				}
			}
		})
	}
	frame := make([]byte, floorFrameBytes)
	cpu := selfCPUSeconds()
	for round := range floorRounds {
		start[round] = time.Now().UnixNano()
		for _, w := range writers {
			if _, err := w.Write(frame); err != nil {
				return nil, fmt.Errorf("write: %w", err)
			}
		}
		select {
		case <-done[round]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		time.Sleep(floorPause)
	}
	cpu = selfCPUSeconds() - cpu
	wg.Wait()
	lat := make([]time.Duration, 0, len(stamps))
	for round := range floorRounds {
		s := start[round]
		for i := range n {
			lat = append(lat, time.Duration(stamps[round*n+i]-s))
		}
	}
	return &floorResult{Sockets: n, FrameBytes: floorFrameBytes, Rounds: floorRounds, Delivery: summarize(lat),
		CPUMicrosPerDelivery: cpu * 1e6 / float64(n*floorRounds)}, nil
}

func (p *printer) floor(r *floorResult, c *commitFloor) {
	if c != nil {
		p.line("commits             %.0f single-row transactions/s from %d clients", c.CommitsPerSec, c.Clients)
	}
	if r == nil {
		return
	}
	p.line("sockets             %d loopback TCP pairs in this process, one %d-byte frame each per round, %d rounds",
		r.Sockets, r.FrameBytes, r.Rounds)
	p.line("cpu                 %.1f µs per delivery (writing and reading, kernel included)", r.CPUMicrosPerDelivery)
	p.latencies([]string{"delivery (from round start)"}, []latencySummary{r.Delivery})
}
