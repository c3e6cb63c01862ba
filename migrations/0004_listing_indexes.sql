-- Assessment listings read newest first with the id as tie-breaker (ORDER BY created_at DESC,
-- id DESC, so paging is stable when two assessments share a timestamp, as a portfolio batch's
-- do). The indexes of 0002 ended at created_at, so SQLite sorted the last term in a temporary
-- B-tree for every page. With the id in the index the rows come out in order.
-- test/data/query-plans.test.ts checks every statement the stores send.
DROP INDEX assessments_by_owner;
CREATE INDEX assessments_by_owner ON assessments (owner_key, created_at DESC, id DESC);

DROP INDEX assessments_by_owner_address;
CREATE INDEX assessments_by_owner_address ON assessments (owner_key, address_id, created_at DESC, id DESC);

DROP INDEX assessments_by_tenant;
CREATE INDEX assessments_by_tenant ON assessments (tenant_id, created_at DESC, id DESC);
