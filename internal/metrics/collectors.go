package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"
)

// WatchPool exports a database pool's use under the label pool=name, read at scrape time.
func (m *Metrics) WatchPool(name string, pool *pgxpool.Pool) error {
	if err := m.registry.Register(newPoolCollector(name, pool)); err != nil {
		return fmt.Errorf("metrics of the %s pool: %w", name, err)
	}
	return nil
}

type poolCollector struct {
	pool                                           *pgxpool.Pool
	acquired, idle, total, max                     *prometheus.Desc
	acquires, acquireSeconds, emptyAcquires, waits *prometheus.Desc
}

func newPoolCollector(name string, pool *pgxpool.Pool) *poolCollector {
	labels := prometheus.Labels{"pool": name}
	d := func(metric, help string) *prometheus.Desc {
		return prometheus.NewDesc("ensemble_db_pool_"+metric, help, nil, labels)
	}
	return &poolCollector{
		pool:           pool,
		acquired:       d("acquired_connections", "Connections in use."),
		idle:           d("idle_connections", "Connections open and idle."),
		total:          d("connections", "Connections open, in use or idle or being opened."),
		max:            d("max_connections", "Most connections the pool opens."),
		acquires:       d("acquires_total", "Connections taken from the pool."),
		acquireSeconds: d("acquire_wait_seconds_total", "Time spent taking connections from the pool."),
		emptyAcquires:  d("empty_acquires_total", "Takes that had to wait because no connection was idle."),
		waits:          d("canceled_acquires_total", "Takes abandoned because their context ended."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.acquires, c.acquireSeconds, c.emptyAcquires, c.waits} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(c.acquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.acquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.acquireSeconds, prometheus.CounterValue, s.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(c.emptyAcquires, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.CanceledAcquireCount()))
}

// queueQueryTimeout bounds the count of waiting jobs a scrape runs: a slow database
// leaves the series out of one scrape rather than holding the scraper.
const queueQueryTimeout = 2 * time.Second

// WatchJobQueue exports how many background jobs wait or run, by queue and state,
// counted in River's table at scrape time.
func (m *Metrics) WatchJobQueue(pool *pgxpool.Pool) error {
	c := &queueCollector{pool: pool, desc: prometheus.NewDesc("ensemble_jobs",
		"Background jobs not finished, by queue and state (available, scheduled, retryable, running).",
		[]string{"queue", "state"}, nil)}
	if err := m.registry.Register(c); err != nil {
		return fmt.Errorf("metrics of the job queue: %w", err)
	}
	return nil
}

type queueCollector struct {
	pool *pgxpool.Pool
	desc *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueQueryTimeout)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT queue, state::text, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY queue, state`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("count river jobs: %w", err))
		return
	}
	defer rows.Close()
	for rows.Next() {
		var queue, state string
		var n int64
		if err := rows.Scan(&queue, &state, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("read river job counts: %w", err))
			return
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), queue, state)
	}
	if err := rows.Err(); err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("count river jobs: %w", err))
	}
}

// Sizer is a vector index that knows its size.
type Sizer interface {
	// Size is how many ecosystems' indexes are loaded and the bytes they hold.
	Size() (ecosystems int, bytes int64)
}

// WatchVectors exports the size of the in-process vector index.
func (m *Metrics) WatchVectors(v Sizer) error {
	c := &vectorCollector{v: v,
		bytes: prometheus.NewDesc("ensemble_vector_index_bytes", "Memory held by the in-process vector indexes.", nil, nil),
		ecosystems: prometheus.NewDesc("ensemble_vector_index_ecosystems",
			"Ecosystems whose vector index is loaded in process.", nil, nil),
	}
	if err := m.registry.Register(c); err != nil {
		return fmt.Errorf("metrics of the vector index: %w", err)
	}
	return nil
}

type vectorCollector struct {
	v                 Sizer
	bytes, ecosystems *prometheus.Desc
}

func (c *vectorCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.bytes; ch <- c.ecosystems }

func (c *vectorCollector) Collect(ch chan<- prometheus.Metric) {
	n, b := c.v.Size()
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(b))
	ch <- prometheus.MustNewConstMetric(c.ecosystems, prometheus.GaugeValue, float64(n))
}

// JobMiddleware is River worker middleware recording each job's time, wait and failure
// by kind (kinds are the registered workers', so bounded).
func (m *Metrics) JobMiddleware() rivertype.WorkerMiddleware { return jobMiddleware{m} }

type jobMiddleware struct{ m *Metrics }

func (jobMiddleware) IsMiddleware() bool { return true }

func (j jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	if job.AttemptedAt != nil && !job.ScheduledAt.IsZero() {
		j.m.jobWait.WithLabelValues(job.Kind).Observe(max(job.AttemptedAt.Sub(job.ScheduledAt), 0).Seconds())
	}
	err := doInner(ctx)
	j.m.jobDuration.WithLabelValues(job.Kind).Observe(time.Since(start).Seconds())
	if err != nil {
		j.m.jobFailures.WithLabelValues(job.Kind).Inc()
	}
	return err
}
