-- jobs_consistent: attempts, progress and credits in range; finished exactly when the status is final.
--
-- CHECK rules as an IMMUTABLE PL/pgSQL function of the whole row: PostgreSQL
-- re-reads a CHECK's stored expression from its text form on every statement
-- that writes the table (stringToNode under ExecConstraints), so the text's
-- length is paid per statement. An inline expression costs most (measured:
-- 19 µs per single-row UPDATE inline, 11 µs as a function of the columns,
-- 7.5 µs with no CHECK); a function of the row is one argument instead of a
-- column each, and cut the ledger's hold + post pair by 4 % of its
-- instructions against the column form (npm run bench:ledger:instructions;
-- docs/benchmarks.md). PL/pgSQL compiles the body once per connection. Not
-- STRICT, so a NULL column gives the same answer the inline expression gave;
-- a violation is still SQLSTATE 23514 under the constraint's name. Taking
-- the row type, it is created after its table (migration WholeRowChecks).
CREATE OR REPLACE FUNCTION jobs_valid(j jobs)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN j.attempt >= 0 AND j.max_attempts >= 1 AND j.progress BETWEEN 0 AND 100
    AND j.credits_estimated > 0 AND j.credits_charged >= 0 AND j.credits_refunded >= 0
    AND j.credits_charged + j.credits_refunded <= j.credits_estimated
    AND (j.status IN ('succeeded', 'failed', 'canceled')) = (j.finished_at IS NOT NULL);
END $$;
