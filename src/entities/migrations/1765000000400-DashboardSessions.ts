import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Dashboard sessions and one-click sign-in tokens.
 *
 * A session stands for the API key it was opened with (`key_hash`, the same
 * sha256 api_keys stores), so it can never do more than that key and a
 * revoked key ends its sessions at once. Only the sha256 of a session token
 * or sign-in token is stored. A sign-in token is single-use: redeeming it is
 * one conditional UPDATE on `used_at IS NULL`, so two tabs cannot both win.
 */
export class DashboardSessions1765000000400 implements MigrationInterface {
  name = "DashboardSessions1765000000400";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE TABLE dashboard_sessions (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  kind text NOT NULL CHECK (kind IN ('session', 'sign_in')),
  key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (expires_at > created_at)
);
CREATE INDEX dashboard_sessions_expiry_idx ON dashboard_sessions (expires_at);
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS dashboard_sessions`);
  }
}
