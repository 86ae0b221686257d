import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Holds for an application's own work (POST /holds, POST /credits/consume)
 * and the `service` role that may act for users.
 *
 * app_holds: what the ledger does not know about such a hold (owner, TTL,
 * description, metadata). Its id IS the ledger's pending transfer id, and
 * its status is never stored here: it is the pending row's state
 * (pending / posted / voided / expired), which changes exactly once, so
 * this table cannot disagree with the ledger. `kind = 'consume'` marks the
 * one-shot hold+capture of POST /credits/consume (not listed as a hold).
 */
export class Holds1765000000300 implements MigrationInterface {
  name = "Holds1765000000300";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('user', 'admin', 'service'));

CREATE TABLE app_holds (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  kind text NOT NULL CHECK (kind IN ('hold', 'consume')),
  credit_type text NOT NULL,
  credits bigint NOT NULL CHECK (credits > 0),
  description text CHECK (length(description) <= 500),
  metadata jsonb,
  ttl_seconds integer NOT NULL CHECK (ttl_seconds BETWEEN 1 AND 86400),
  expires_at timestamptz NOT NULL,
  -- The user whose key placed it (a service or admin key acting for user_id, or the user).
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX app_holds_user_idx ON app_holds (user_id, created_at DESC, id DESC) WHERE kind = 'hold';
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP TABLE app_holds;
UPDATE users SET role = 'user' WHERE role = 'service';
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('user', 'admin'));
`);
  }
}
