package documents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/literary/analysis"
)

// AnalysisStatus is where a document's analysis stands.
type AnalysisStatus string

// Statuses.
const (
	AnalysisNone    AnalysisStatus = "NONE"
	AnalysisPending AnalysisStatus = "PENDING"
	AnalysisRunning AnalysisStatus = "RUNNING"
	AnalysisDone    AnalysisStatus = "DONE"
	AnalysisFailed  AnalysisStatus = "FAILED"
)

// Finished reports whether the status is final.
func (s AnalysisStatus) Finished() bool { return s == AnalysisDone || s == AnalysisFailed }

// Analysis is a document's stored analysis.
type Analysis struct {
	DocumentID uuid.UUID
	Result     *analysis.Result
	DurationMS int
	AnalyzedAt time.Time
}

// ProgressPayload is the payload of document.analysis events: a document's analysis
// moved on. Published, not stored: the document row holds the state.
type ProgressPayload struct {
	DocumentID uuid.UUID      `json:"documentId"`
	Status     AnalysisStatus `json:"status"`
	// Stage names what is running: "reading", "analysing", "saving".
	Stage string  `json:"stage,omitempty"`
	Error *string `json:"error,omitempty"`
}

// AnalyzeArgs is the background job that analyses a document.
type AnalyzeArgs struct {
	DocumentID uuid.UUID `json:"documentId"`
}

// Kind names the job.
func (AnalyzeArgs) Kind() string { return "analyze_document" }

// InsertOpts: an analysis that failed for a reason in the text will fail again, so it
// is tried twice at most (a crash mid-run is the case worth retrying).
func (AnalyzeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 2} }

// Analyze queues an analysis of the document and returns it, PENDING, at once. A
// document whose analysis is queued or running already is returned as it is.
func (s *Service) Analyze(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Document, error) {
	if s.jobs == nil {
		return nil, fmt.Errorf("document analysis is not configured: %w", errs.ErrUnavailable)
	}
	var out *Document
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		cur, err := q.LockDocument(ctx, db.LockDocumentParams{ID: id, OwnerID: viewer.OwnerFilter()})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("document %s: %w", id, errs.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock document %s: %w", id, err)
		}
		r, err := q.RequestAnalysis(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			out = fromRow(cur)
			return nil
		}
		if err != nil {
			return fmt.Errorf("queue analysis of %s: %w", id, err)
		}
		out = fromRow(r)
		return s.jobs.InsertTx(ctx, tx, AnalyzeArgs{DocumentID: id}, nil)
	})
	if err != nil {
		return nil, err
	}
	if out.AnalysisStatus == AnalysisPending {
		s.progress(ctx, out.ID, AnalysisPending, "", nil)
	}
	return out, nil
}

// progress announces a step of an analysis.
func (s *Service) progress(ctx context.Context, id uuid.UUID, st AnalysisStatus, stage string, reason *string) {
	if s.pub == nil {
		return
	}
	payload, err := json.Marshal(ProgressPayload{DocumentID: id, Status: st, Stage: stage, Error: reason})
	if err != nil {
		return
	}
	s.pub.Publish(ctx, events.Event{Topic: events.DocumentChanged, At: time.Now(), Payload: payload})
}

// GetAnalysis returns a document's analysis, or nil when it has none. d must come from
// Get or List, which checked the viewer.
func (s *Service) GetAnalysis(ctx context.Context, d *Document) (*Analysis, error) {
	r, err := s.q.GetAnalysis(ctx, d.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load analysis of %s: %w", d.ID, err)
	}
	var res analysis.Result
	if err := json.Unmarshal(r.Result, &res); err != nil {
		return nil, fmt.Errorf("decode analysis of %s: %w", d.ID, err)
	}
	return &Analysis{DocumentID: d.ID, Result: &res, DurationMS: int(r.DurationMs), AnalyzedAt: r.CreatedAt}, nil
}

// FullText returns a document's whole extracted text.
func (s *Service) FullText(ctx context.Context, d *Document) (string, error) {
	t, err := s.q.GetDocumentFullText(ctx, d.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("document %s has no text: %w", d.ID, errs.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("load text of %s: %w", d.ID, err)
	}
	if t == nil {
		return "", fmt.Errorf("document %s has no text: %w", d.ID, errs.ErrNotFound)
	}
	return *t, nil
}

// AnalyzeWorker runs analyses.
type AnalyzeWorker struct {
	river.WorkerDefaults[AnalyzeArgs]
	s      *Service
	logger *slog.Logger
}

// NewAnalyzeWorker returns the worker of AnalyzeArgs.
func NewAnalyzeWorker(s *Service, logger *slog.Logger) *AnalyzeWorker {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &AnalyzeWorker{s: s, logger: logger}
}

// Timeout bounds one analysis: Les Misérables takes seconds; minutes mean a runaway.
func (w *AnalyzeWorker) Timeout(*river.Job[AnalyzeArgs]) time.Duration { return 5 * time.Minute }

// Work analyses the document and stores the result, or marks the analysis FAILED with
// the reason. Nothing partial is stored: the result is written whole with DONE.
func (w *AnalyzeWorker) Work(ctx context.Context, job *river.Job[AnalyzeArgs]) error {
	id := job.Args.DocumentID
	q := w.s.q
	r, err := q.StartAnalysis(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		// Deleted, or already finished by an earlier attempt.
		return nil
	}
	if err != nil {
		return fmt.Errorf("start analysis of %s: %w", id, err)
	}
	d := fromRow(r)
	w.s.progress(ctx, id, AnalysisRunning, "reading", nil)
	res, started, err := w.run(ctx, d)
	if err != nil {
		if ctx.Err() != nil && job.Attempt < job.MaxAttempts {
			return fmt.Errorf("analysis of %s interrupted: %w", id, err)
		}
		return w.fail(ctx, id, err)
	}
	w.s.progress(ctx, id, AnalysisRunning, "saving", nil)
	payload, err := json.Marshal(res)
	if err != nil {
		return w.fail(ctx, id, fmt.Errorf("encode analysis: %w", err))
	}
	err = pgx.BeginFunc(ctx, w.s.pool, func(tx pgx.Tx) error {
		tq := q.WithTx(tx)
		if err := tq.SaveAnalysis(ctx, db.SaveAnalysisParams{DocumentID: id, Result: payload,
			DurationMs: int32(time.Since(started).Milliseconds())}); err != nil {
			return fmt.Errorf("save analysis of %s: %w", id, err)
		}
		_, err := tq.FinishAnalysis(ctx, db.FinishAnalysisParams{ID: id, Status: string(AnalysisDone)})
		return err
	})
	if err != nil {
		return fmt.Errorf("store analysis of %s: %w", id, err)
	}
	w.s.progress(ctx, id, AnalysisDone, "", nil)
	return nil
}

func (w *AnalyzeWorker) run(ctx context.Context, d *Document) (*analysis.Result, time.Time, error) {
	text, err := w.s.FullText(ctx, d)
	if err != nil {
		return nil, time.Time{}, err
	}
	starts := make([]int, len(d.Chapters))
	for i, c := range d.Chapters {
		starts[i] = c.Offset
	}
	w.s.progress(ctx, d.ID, AnalysisRunning, "analysing", nil)
	started := time.Now()
	res, err := analysis.Analyze(ctx, text, analysis.Options{ChapterStarts: starts})
	return res, started, err
}

// fail records why an analysis failed; the job itself succeeds (retrying would fail the
// same way).
func (w *AnalyzeWorker) fail(ctx context.Context, id uuid.UUID, cause error) error {
	reason := cause.Error()
	switch {
	case errors.Is(cause, analysis.ErrEmptyText), errors.Is(cause, errs.ErrNotFound):
		reason = "the document has no text to analyse"
	case errors.Is(cause, context.DeadlineExceeded):
		reason = "the analysis took too long"
	}
	w.logger.Warn("document analysis failed", "document", id, "error", cause)
	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := w.s.q.FinishAnalysis(storeCtx, db.FinishAnalysisParams{ID: id, Status: string(AnalysisFailed), AnalysisError: &reason}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("record failed analysis of %s: %w", id, err)
	}
	w.s.progress(storeCtx, id, AnalysisFailed, "", &reason)
	return nil
}

// Progress is a step of an analysis as subscribers see it.
type Progress struct {
	Document *Document
	Stage    string
}

// FollowAnalysis streams a document's analysis: its state now, then each step, ending
// after DONE or FAILED (or at once when it is not queued or running).
func (s *Service) FollowAnalysis(ctx context.Context, viewer auth.Identity, id uuid.UUID) (<-chan Progress, error) {
	sub := s.pub.Subscribe(func(e events.Event) bool {
		var p ProgressPayload
		return e.Topic == events.DocumentChanged && json.Unmarshal(e.Payload, &p) == nil && p.DocumentID == id
	}, 64)
	d, err := s.Get(ctx, viewer, id)
	if err != nil {
		sub.Close()
		return nil, err
	}
	out := make(chan Progress, 1)
	go func() {
		defer close(out)
		defer sub.Close()
		send := func(p Progress) bool {
			select {
			case out <- p:
				return !p.Document.AnalysisStatus.Finished()
			case <-ctx.Done():
				return false
			}
		}
		if !send(Progress{Document: d}) {
			return
		}
		for {
			stage := ""
			select {
			case <-ctx.Done():
				return
			case e, ok := <-sub.Events():
				if !ok {
					return
				}
				var p ProgressPayload
				if json.Unmarshal(e.Payload, &p) == nil {
					stage = p.Stage
				}
			case <-sub.Gaps():
			}
			// The row is the truth; the event only says it moved.
			d, err := s.Get(ctx, viewer, id)
			if err != nil {
				return
			}
			if d.AnalysisStatus != AnalysisRunning {
				stage = ""
			}
			if !send(Progress{Document: d, Stage: stage}) {
				return
			}
		}
	}()
	return out, nil
}
