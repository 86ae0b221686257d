-- The system-account stripe this connection uses: claimed once per session
-- with a session advisory lock, so busy connections never share a stripe
-- while there are free ones; past 64 connections, by backend pid. Any stripe
-- is correct (resolutions use the stripe their pending transfer named). The
-- setting is transactional and may vanish on a rollback; the advisory lock
-- is not, and re-claiming a stripe this session holds succeeds again.
-- (Striping by pg_backend_pid() alone let two busy connections share a
-- stripe and queue on its row lock.)
CREATE OR REPLACE FUNCTION ledger_shard() RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v text := current_setting('holdfast.ledger_shard', true);
  i integer;
BEGIN
  IF v <> '' THEN RETURN v::integer; END IF;
  i := 0;
  WHILE i < 64 AND NOT pg_try_advisory_lock(1751, i) LOOP i := i + 1; END LOOP;
  IF i = 64 THEN i := pg_backend_pid() & 63; END IF;
  PERFORM set_config('holdfast.ledger_shard', i::text, false);
  RETURN i;
END $$;
