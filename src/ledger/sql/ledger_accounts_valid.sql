-- ledger_accounts_not_negative: balances never negative; a user account never below zero available.
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
CREATE OR REPLACE FUNCTION ledger_accounts_valid(a ledger_accounts)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN a.credits_posted >= 0 AND a.debits_posted >= 0 AND a.credits_pending >= 0 AND a.debits_pending >= 0
    AND (a.kind <> 'user' OR (a.credits_posted - a.debits_posted - a.debits_pending >= 0 AND a.credits_pending = 0));
END $$;
