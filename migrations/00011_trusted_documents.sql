-- Trusted documents: the GraphQL operations registered for known clients
-- (`ensemble documents register`). With TRUSTED_DOCUMENTS=enforce the server runs only
-- these. A document is named by the SHA-256 of its text, so a row never changes; the
-- first client to register a document keeps it.

-- +goose Up
CREATE TABLE trusted_documents (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    document   text NOT NULL,
    client     text NOT NULL CHECK (client <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE trusted_documents;
