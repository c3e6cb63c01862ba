-- Portfolio jobs run by Cloudflare Workflows (src/jobs/workflow.ts). The user's agent (Durable
-- Object) keeps the job index, its progress counts and cancel; D1 keeps what the workflow reads
-- and writes: a row per job (its owner, state and counts, so the tenant-wide limit on running jobs
-- can be counted and a cancel is seen by the next batch) and a row per item with its outcome (so
-- 50 000 items need not sit in one Durable Object, and a restarted workflow resumes from them).
CREATE TABLE portfolio_jobs (
  id           TEXT PRIMARY KEY,
  owner_key    TEXT NOT NULL,
  tenant_id    TEXT NOT NULL,
  owner_name   TEXT,
  owner_email  TEXT,
  -- running | completed | cancelled
  state        TEXT NOT NULL,
  total        INTEGER NOT NULL,
  done         INTEGER NOT NULL DEFAULT 0,
  failed       INTEGER NOT NULL DEFAULT 0,
  -- 1 when some items name an address by postcode and number (then a later item may be an earlier one under another name)
  mixed_forms  INTEGER NOT NULL DEFAULT 0,
  -- which workflow instance runs it now (the job id, or the job id and a generation after a resume)
  instance_id  TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  finished_at  TEXT
);
-- The tenant-wide count of running jobs (Assess_Portfolio's per-tenant limit).
CREATE INDEX portfolio_jobs_running_by_tenant ON portfolio_jobs (tenant_id, state);

-- One row per address of a job, in input order (seq from 0). `row` is its 1-based place in what
-- the user gave (the list position, or the spreadsheet row), which may skip repeats dropped
-- before the job was created.
CREATE TABLE portfolio_items (
  job_id         TEXT NOT NULL REFERENCES portfolio_jobs (id) ON DELETE CASCADE,
  seq            INTEGER NOT NULL,
  row            INTEGER NOT NULL,
  input          TEXT NOT NULL,
  -- pending | done | failed | duplicate
  status         TEXT NOT NULL,
  address_id     TEXT,
  label          TEXT,
  assessment_id  TEXT,
  energy_label   TEXT,
  value_low      REAL,
  value_mid      REAL,
  value_high     REAL,
  value_note     TEXT,
  risk_rules     TEXT,
  data_gaps      TEXT,
  duplicate_of   INTEGER,
  error          TEXT,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
-- Summaries and counts per status (failures, saved assessments) in input order.
CREATE INDEX portfolio_items_by_status ON portfolio_items (job_id, status, seq);
-- An address named twice under different names: the earlier item that assessed it.
CREATE INDEX portfolio_items_by_address ON portfolio_items (job_id, address_id);
