-- Room in every page of memories for the new versions of its rows.

-- +goose Up
-- Every recall rewrites the rows it returns (last_accessed_at, access_count), and a
-- character's most relevant memories come back reply after reply. A row is about 1.3 kB
-- (its embedding); in full pages each rewrite lands on another page and adds an entry to
-- every index. With a quarter of each page kept free it stays in its page (a HOT
-- update: no index entries), and the page's dead versions are pruned in place.
ALTER TABLE memories SET (fillfactor = 75);

-- +goose Down
ALTER TABLE memories RESET (fillfactor);
