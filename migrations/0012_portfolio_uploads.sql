-- Portfolio spreadsheet uploads (src/uploads/store.ts). One row per upload link handed out by
-- Create_Portfolio_Upload. The link carries the id and a random secret; only the secret's SHA-256
-- is kept. state: waiting (no file accepted yet; a file refused as a whole, or one with row
-- errors, leaves it open for a corrected file), received (a file without row errors; its addresses
-- are the R2 FILES object object_key, uploads/<id>/<uuid>.json),
-- used (taken by one portfolio job).
-- row_errors: JSON array of {row, reason} (the first 1000) of the last file with row errors;
-- duplicates: JSON array of {row, sameAs} (the first 1000) of the last file read.
CREATE TABLE portfolio_uploads (
  id TEXT PRIMARY KEY,
  owner_key TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'received', 'used')),
  kind TEXT CHECK (kind IN ('csv', 'xlsx')),
  bytes INTEGER,
  good_rows INTEGER,
  error_count INTEGER,
  row_errors TEXT,
  duplicate_count INTEGER,
  duplicates TEXT,
  empty_rows INTEGER,
  columns TEXT,
  ignored_columns TEXT,
  object_key TEXT,
  received_at INTEGER,
  used_at INTEGER
);
CREATE INDEX portfolio_uploads_owner ON portfolio_uploads (owner_key, created_at);
