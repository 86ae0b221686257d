-- A deterministic id for a transfer derived from another (the released
-- remainder of a post, the n-th expiry of a lot): retries produce the same id.
CREATE OR REPLACE FUNCTION ledger_derived_id(p_base uuid, p_suffix text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$ SELECT md5(p_base::text || ':' || p_suffix)::uuid $$;
