-- The audit trail: one row per security-relevant event (src/audit/events.ts lists the kinds).
-- Rows arrive through the AUDIT_QUEUE consumer; the id is made when the event happens, so a
-- message the queue delivers twice inserts nothing the second time.
CREATE TABLE audit_events (
  id          TEXT PRIMARY KEY NOT NULL,
  occurred_at INTEGER NOT NULL,             -- milliseconds since the epoch
  kind        TEXT NOT NULL,                -- e.g. token.refreshed, mcp.tool_call
  outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'error', 'failure')),
  actor       TEXT NOT NULL CHECK (actor IN ('user', 'client', 'operator', 'system')),
  tenant_id   TEXT,
  user_key    TEXT,
  client_id   TEXT,
  reason      TEXT,                         -- a stable slug when the outcome is not success
  details     TEXT NOT NULL DEFAULT '{}'    -- JSON: only the fields AuditDetails allows
) STRICT;

-- A tenant's events newest first (Get_Audit_Log), a user's, and everything by time (the
-- operator's reading and the retention sweep).
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_by_user ON audit_events (user_key, occurred_at DESC, id DESC);
CREATE INDEX audit_events_by_time ON audit_events (occurred_at DESC, id DESC);
