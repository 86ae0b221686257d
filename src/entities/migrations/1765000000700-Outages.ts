import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Outages and bounded growth (issue 13):
 * - task_cursors: where a scheduled scan (queue reconciliation, outbox
 *   relay) stopped when a round hit its bound, so the next round resumes
 *   there instead of at the head of the backlog.
 * - jobs.pruned_at: a finished job whose large input/result were dropped
 *   after JOB_RETENTION_DAYS (credits and status stay).
 * - stripe_events.payload may be NULL: after STRIPE_EVENT_RETENTION_DAYS the
 *   payload goes, the id row stays for deduplication.
 * - indexes for the pruning task's range scans.
 */
export class Outages1765000000700 implements MigrationInterface {
  name = "Outages1765000000700";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE TABLE task_cursors (
  name text PRIMARY KEY,
  cursor jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE jobs ADD COLUMN pruned_at timestamptz;
CREATE INDEX jobs_prunable_idx ON jobs (finished_at) WHERE pruned_at IS NULL AND finished_at IS NOT NULL;
ALTER TABLE stripe_events ALTER COLUMN payload DROP NOT NULL;
CREATE INDEX stripe_events_prunable_idx ON stripe_events (processed_at) WHERE payload IS NOT NULL AND processed_at IS NOT NULL;
CREATE INDEX notifications_created_idx ON notifications (created_at);
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP INDEX notifications_created_idx;
DROP INDEX stripe_events_prunable_idx;
UPDATE stripe_events SET payload = '{}'::jsonb WHERE payload IS NULL;
ALTER TABLE stripe_events ALTER COLUMN payload SET NOT NULL;
DROP INDEX jobs_prunable_idx;
ALTER TABLE jobs DROP COLUMN pruned_at;
DROP TABLE task_cursors;
`);
  }
}
