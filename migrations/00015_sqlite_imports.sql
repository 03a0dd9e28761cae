-- What `ensemble import-sqlite` has imported: each row of an old SQLite database (by its
-- source name, table and id there) and the row it became. A second run skips what is
-- listed here, so importing a file again adds only rows that are new in it.

-- +goose Up
CREATE TABLE sqlite_imports (
    source      text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 500),
    table_name  text NOT NULL,
    old_id      text NOT NULL,
    -- No foreign key: the new rows live in several tables, and a row deleted since its
    -- import stays imported (a second run must not bring it back).
    new_id      uuid NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, table_name, old_id)
);

-- +goose Down
DROP TABLE sqlite_imports;
