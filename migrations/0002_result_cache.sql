-- The result cache (docs/api.md, "Result cache"): each run's content hash — image bytes, question,
-- model and its version, search and sampling — so that a request with `cache: "reuse"` finds an
-- earlier succeeded run of the same key with the same content. NULL for runs made before.
ALTER TABLE runs ADD COLUMN content_hash TEXT;
CREATE INDEX runs_key_content ON runs (key_id, content_hash, created_at);
