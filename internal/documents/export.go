package documents

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/literary/analysis"
)

// ExportFormat is how a document is exported.
type ExportFormat string

// Formats.
const (
	ExportMarkdown ExportFormat = "MARKDOWN"
	ExportJSON     ExportFormat = "JSON"
	ExportTXT      ExportFormat = "TXT"
)

// Export is a document written out with its analysis, returned inline.
type Export struct {
	Filename    string
	ContentType string
	Content     string
}

// quotesPerCharacter is how many lines per character the Markdown export shows.
const quotesPerCharacter = 5

// Export writes the document's text and, when it has one, its analysis: Markdown (a
// report: statistics, cast, relationships, sample lines, chapters, then the text), JSON
// (everything, quotes included, with the text), or plain text (a short report, then the
// text).
func (s *Service) Export(ctx context.Context, viewer auth.Identity, id uuid.UUID, format ExportFormat) (*Export, error) {
	d, err := s.Get(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	text, err := s.FullText(ctx, d)
	if err != nil {
		return nil, err
	}
	an, err := s.GetAnalysis(ctx, d)
	if err != nil {
		return nil, err
	}
	base := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 32 {
			return '_'
		}
		return r
	}, d.Title)
	switch format {
	case ExportJSON:
		doc := map[string]any{"title": d.Title, "author": d.Author, "contentType": d.ContentType,
			"chapters": d.Chapters, "analysisStatus": d.AnalysisStatus, "text": text}
		if an != nil {
			doc["analysis"] = an.Result
			doc["analyzedAt"] = an.AnalyzedAt.Format(time.RFC3339)
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode export of %s: %w", id, err)
		}
		return &Export{Filename: base + ".json", ContentType: "application/json", Content: string(b)}, nil
	case ExportMarkdown:
		return &Export{Filename: base + ".md", ContentType: "text/markdown; charset=utf-8", Content: markdown(d, an, text)}, nil
	case ExportTXT:
		return &Export{Filename: base + ".txt", ContentType: "text/plain; charset=utf-8", Content: plain(d, an, text)}, nil
	}
	return nil, errs.Invalid("format", "must be MARKDOWN, JSON or TXT")
}

func markdown(d *Document, an *Analysis, text string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", d.Title)
	if d.Author != "" {
		fmt.Fprintf(&b, "*by %s*\n\n", d.Author)
	}
	if an != nil {
		r := an.Result
		st := r.Stats
		fmt.Fprintf(&b, "## Statistics\n\n| | |\n|---|---|\n| words | %d |\n| sentences | %d |\n| chapters | %d |\n| reading time | %.0f minutes |\n| dialogue | %.0f%% of words |\n\n",
			st.Words, st.Sentences, st.Chapters, st.ReadingMinutes, 100*st.DialogueShare)
		names := map[int]string{}
		b.WriteString("## Characters\n\n| name | also called | mentions | lines | gender |\n|---|---|---|---|---|\n")
		for _, c := range r.Characters {
			names[c.ID] = c.Name
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s |\n", cell(c.Name), cell(strings.Join(c.Aliases, ", ")), c.Mentions, c.Quotes, c.Gender)
		}
		b.WriteString("\n## Relationships\n\n| between | type | weight | exchanges |\n|---|---|---|---|\n")
		for _, rel := range r.Relationships {
			fmt.Fprintf(&b, "| %s – %s | %s | %.2f | %d |\n", cell(names[rel.A]), cell(names[rel.B]), rel.Type, rel.Weight, rel.Conversations)
		}
		b.WriteString("\n## In their own words\n\n")
		shown := map[int]int{}
		for _, c := range r.Characters {
			if c.Description != "" {
				fmt.Fprintf(&b, "**%s.** %s\n\n", c.Name, c.Description)
			}
		}
		for _, q := range r.Quotes {
			if q.SpeakerID < 0 || shown[q.SpeakerID] >= quotesPerCharacter {
				continue
			}
			shown[q.SpeakerID]++
			fmt.Fprintf(&b, "> %s\n> — %s\n\n", strings.ReplaceAll(strings.TrimSpace(q.Text), "\n", " "), names[q.SpeakerID])
		}
	} else {
		fmt.Fprintf(&b, "*Not analysed yet (analysis: %s).*\n\n", d.AnalysisStatus)
	}
	if len(d.Chapters) > 0 {
		b.WriteString("## Chapters\n\n")
		for _, c := range d.Chapters {
			fmt.Fprintf(&b, "- %s\n", c.Title)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Text\n\n")
	b.WriteString(text)
	b.WriteString("\n")
	return b.String()
}

func plain(d *Document, an *Analysis, text string) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n")
	if d.Author != "" {
		b.WriteString("by " + d.Author + "\n")
	}
	if an != nil {
		r := an.Result
		fmt.Fprintf(&b, "\n%d words, %d chapters, %.0f minutes to read, %.0f%% dialogue.\n\nCharacters:\n",
			r.Stats.Words, r.Stats.Chapters, r.Stats.ReadingMinutes, 100*r.Stats.DialogueShare)
		for _, c := range topCharacters(r, 30) {
			line := fmt.Sprintf("  %s (%d mentions, %d lines)", c.Name, c.Mentions, c.Quotes)
			if len(c.Aliases) > 0 {
				line += ": also " + strings.Join(c.Aliases, ", ")
			}
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\n" + strings.Repeat("-", 72) + "\n\n")
	b.WriteString(text)
	b.WriteString("\n")
	return b.String()
}

func topCharacters(r *analysis.Result, n int) []analysis.Character {
	if len(r.Characters) <= n {
		return r.Characters
	}
	return r.Characters[:n]
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
