-- Uploaded documents (books). The original bytes are kept so text can be re-extracted
-- when a better extractor lands.

-- +goose Up
CREATE TABLE documents (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A document outlives the ecosystem it was filed under.
    ecosystem_id uuid REFERENCES ecosystems (id) ON DELETE SET NULL,
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
    filename     text NOT NULL CHECK (char_length(filename) <= 500),
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    sha256       bytea NOT NULL CHECK (octet_length(sha256) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_owner_page_idx ON documents (owner_id, created_at, id);
CREATE INDEX documents_ecosystem_idx ON documents (ecosystem_id);
CREATE INDEX documents_owner_sha_idx ON documents (owner_id, sha256);

-- The bytes and the extracted text live apart, so listing and loading documents never
-- reads a whole book.
CREATE TABLE document_contents (
    document_id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    content     bytea NOT NULL,
    -- Extracted plain text; NULL for formats without an extractor yet.
    text        text
);

-- +goose Down
DROP TABLE document_contents;
DROP TABLE documents;
