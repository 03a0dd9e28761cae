-- What Ensemble read in a document (chapters, author), its analysis, and characters
-- created from a book.

-- +goose Up
ALTER TABLE documents
    ADD COLUMN author          text NOT NULL DEFAULT '' CHECK (char_length(author) <= 500),
    ADD COLUMN text_encoding   text NOT NULL DEFAULT '',
    -- [{title, offset, length}], offsets in characters of the extracted text.
    ADD COLUMN chapters        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(chapters) = 'array'),
    ADD COLUMN analysis_status text NOT NULL DEFAULT 'NONE'
        CHECK (analysis_status IN ('NONE', 'PENDING', 'RUNNING', 'DONE', 'FAILED')),
    ADD COLUMN analysis_error  text CHECK (char_length(analysis_error) <= 2000),
    ADD COLUMN analysis_started_at  timestamptz,
    ADD COLUMN analysis_finished_at timestamptz;

-- The analysis lives apart, like the text: it can be a megabyte for a long novel.
CREATE TABLE document_analyses (
    document_id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    result      jsonb NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A character created from a book remembers where it came from, so creating the cast
-- again finds it instead of making a twin.
ALTER TABLE characters
    ADD COLUMN source_document_id uuid REFERENCES documents (id) ON DELETE SET NULL,
    ADD COLUMN source_key         text CHECK (char_length(source_key) <= 255);
CREATE UNIQUE INDEX characters_source_idx ON characters (ecosystem_id, source_document_id, source_key)
    WHERE source_document_id IS NOT NULL;

-- +goose Down
DROP INDEX characters_source_idx;
ALTER TABLE characters DROP COLUMN source_key, DROP COLUMN source_document_id;
DROP TABLE document_analyses;
ALTER TABLE documents
    DROP COLUMN analysis_finished_at, DROP COLUMN analysis_started_at, DROP COLUMN analysis_error,
    DROP COLUMN analysis_status, DROP COLUMN chapters, DROP COLUMN text_encoding, DROP COLUMN author;
