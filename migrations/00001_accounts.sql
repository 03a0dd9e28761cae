-- Accounts: users, rotating refresh tokens and the access-token denylist.

-- +goose Up
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
    email         text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness: "Alice" and "alice" are one account.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- A refresh token is stored only as its SHA-256. Tokens issued from one login form a
-- family; presenting a token that was already rotated revokes the whole family.
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Access tokens revoked by logout, kept until they would have expired anyway.
CREATE TABLE revoked_access_tokens (
    jti        uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at);

-- +goose Down
DROP TABLE revoked_access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE users;
