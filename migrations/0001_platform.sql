-- Platform tables (docs/keys-and-billing.md): API keys, the run index per key, the usage ledger.
-- Applied by `npm start` (wrangler d1 migrations apply DB --local) and by the tests
-- (readD1Migrations in vitest.config.ts, applyD1Migrations in test/setup/d1.ts).

-- API keys. Only the SHA-256 (hex) of the secret is stored; `prefix` is for display.
-- webhook_secret is the key's `whsec_…` signing secret: it is shown once at creation, and it has to
-- be stored (in the clear) because the service signs every webhook delivery with it.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,                         -- key_…
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,               -- SHA-256 hex of the sk_… secret
  prefix TEXT NOT NULL,                        -- first characters of the secret, for display
  budget_usd REAL CHECK (budget_usd IS NULL OR budget_usd >= 0),   -- NULL = unlimited
  rate_limit_per_minute INTEGER NOT NULL CHECK (rate_limit_per_minute > 0),
  webhook_secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,                 -- epoch ms
  revoked_at INTEGER                           -- epoch ms; NULL while the key is active
);

-- Every run a key created, for GET /v1/runs (newest first, cursor paging).
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  created_at INTEGER NOT NULL                  -- epoch ms
);
CREATE INDEX runs_key_created ON runs (key_id, created_at, run_id);

-- One row per finished run, written once by the run's Durable Object (src/runs/outbox.ts).
CREATE TABLE usage_ledger (
  run_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  day TEXT NOT NULL,                -- UTC YYYY-MM-DD of the run's end
  status TEXT NOT NULL,             -- succeeded | failed | canceled
  input_tokens INTEGER, output_tokens INTEGER,
  judge_input_tokens INTEGER, judge_output_tokens INTEGER,   -- NULL when unknown, never a fake 0
  backend_ms INTEGER NOT NULL,
  cost_usd REAL NOT NULL,           -- from the run's price snapshot; 0 when no price
  estimated INTEGER NOT NULL,       -- 1 when any figure was estimated
  recorded_at INTEGER NOT NULL
);
CREATE INDEX usage_ledger_key_day ON usage_ledger (key_id, day);
