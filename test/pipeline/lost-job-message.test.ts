/**
 * A job BullMQ gave up on is refunded with a message its owner reads
 * (job.error.message). Found by the chaos run: a claim that failed while
 * PostgreSQL restarted, on every attempt, put PostgreSQL's own text ("the
 * database system is not yet accepting connections") there. A real error of
 * the real database stands in for it here.
 */
import { Client } from "pg";
import { expect, inject, it } from "vitest";
import { lostJobMessage } from "../../src/workers/job-runner";

it("describes a database error in general terms and a stall in the user's words", async () => {
  const c = new Client({ connectionString: inject("databaseUrl") });
  await c.connect();
  const dbError = await c.query("SELECT * FROM no_such_table_lost_job").then(() => null, (e: Error) => e);
  await c.end();
  expect(dbError?.message).toContain("no_such_table_lost_job");

  const message = lostJobMessage(dbError!);
  expect(message).toBe("A database error interrupted the job. The job could not be completed; the hold was refunded.");
  expect(message).not.toContain("no_such_table");

  expect(lostJobMessage(new Error("job stalled more than allowable limit"))).toBe(
    "Its worker stopped responding too many times. The job could not be completed; the hold was refunded.",
  );
});
