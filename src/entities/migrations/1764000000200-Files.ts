import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Uploaded and produced files, and batches of jobs.
 *
 * files: the bytes live in blob storage under `storage_key`; the row is
 * written only after the blob is complete (a failed or too-large upload
 * leaves neither). A file a job produced names its job, and its id derives
 * from the job id, so a retried job overwrites rather than duplicates.
 *
 * batches: one hold check for many jobs; `job_ids` keeps the submitted order.
 */
export class Files1764000000200 implements MigrationInterface {
  name = "Files1764000000200";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE TABLE files (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text NOT NULL UNIQUE,
  source_job_id uuid REFERENCES jobs (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_user_idx ON files (user_id, created_at DESC, id DESC);
CREATE INDEX files_source_job_idx ON files (source_job_id) WHERE source_job_id IS NOT NULL;

CREATE TABLE batches (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  credit_type text NOT NULL,
  credits_estimated bigint NOT NULL CHECK (credits_estimated > 0),
  job_ids uuid[] NOT NULL CHECK (cardinality(job_ids) > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batches_user_idx ON batches (user_id, created_at DESC, id DESC);

ALTER TABLE jobs ADD CONSTRAINT jobs_batch_fk FOREIGN KEY (batch_id) REFERENCES batches (id);
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_batch_fk;
DROP TABLE IF EXISTS batches, files;
`);
  }
}
