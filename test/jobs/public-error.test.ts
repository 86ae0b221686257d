/**
 * A system failure's message, as the job's owner reads it in job.error.message,
 * carries no absolute path of a worker and no database text (SQL, relation
 * names, SQLSTATE); the detail goes to the log. Real errors from the real
 * database and file system, in a unit test and end to end through a worker.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { DataSource } from "typeorm";
import { SystemError, TimedOut } from "../../src/jobs/run-errors";
import { KindRegistry, type RunContext } from "../../src/jobs/kind";
import { publicSystemMessage, scrubPaths } from "../../src/jobs/public-error";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

const SECRET_DIR = "/srv/holdfast-internal/secret-dir";

// The test kind reaches the database through a service of its own (declaration merging, as an operator's kind would).
declare module "../../src/jobs/kind" {
  interface KindServices {
    ds?: DataSource;
  }
}

/** Fails the way the input asks, with real errors; one attempt, so the first failure is final. */
const leakyKind = {
  name: "leaky",
  description: "Fails with a real database or file-system error.",
  input: z.object({ how: z.enum(["sql", "sql-wrapped", "fs", "fs-wrapped", "plain"]) }).strict(),
  estimate: () => ({ credits: 2, breakdown: [{ item: "run", credits: 2 }] }),
  timeoutMs: () => 5_000,
  onUserFailure: "none" as const,
  maxAttempts: 1,
  async run(i: { how: string }, rc: RunContext): Promise<never> {
    const ds = rc.services.ds!;
    try {
      if (i.how.startsWith("sql")) await ds.query(`SELECT secret_column FROM no_such_table_xyz WHERE id = $1`, [1]);
      if (i.how.startsWith("fs")) await readFile(`${SECRET_DIR}/config.json`);
      throw new Error(`something broke in ${SECRET_DIR}/worker.js`);
    } catch (err) {
      if (i.how.endsWith("wrapped")) throw new SystemError(`Storage failed: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  },
};

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: new KindRegistry().register(leakyKind) });
  p.ctx.services.ds = p.ctx.ds;
});
afterAll(async () => {
  await p?.close();
});

async function realDbError(): Promise<unknown> {
  return p.ctx.ds.query(`INSERT INTO no_such_table_xyz (a) VALUES (1)`).then(() => null, (e: unknown) => e);
}

async function realFsError(): Promise<unknown> {
  return readFile(`${SECRET_DIR}/x`).then(() => null, (e: unknown) => e);
}

function expectSafe(message: string) {
  expect(message).not.toMatch(/srv|holdfast-internal|secret|no_such_table|42P01|SELECT|INSERT|relation "/i);
}

describe("publicSystemMessage", () => {
  it("turns a real database error, bare or as a cause, into one general sentence", async () => {
    const db = await realDbError();
    expect(String((db as Error).message)).toContain("no_such_table_xyz"); // what must not reach users
    expect(publicSystemMessage(db)).toBe("A database error interrupted the job.");
    expect(publicSystemMessage(new SystemError(`Storage failed: ${(db as Error).message}`, { cause: db }))).toBe("A database error interrupted the job.");
    // Even without the cause attached, text that reads like the database's is not passed on.
    expect(publicSystemMessage(new SystemError('Storage failed: duplicate key value violates unique constraint "files_pkey"'))).toBe(
      "A database error interrupted the job.",
    );
    expect(publicSystemMessage(new SystemError("failed: UPDATE jobs SET status = 'x' WHERE id = 1"))).toBe("A database error interrupted the job.");
  });

  it("keeps a file-system error's code, never its path", async () => {
    const fsErr = await realFsError();
    expect(String((fsErr as Error).message)).toContain(SECRET_DIR);
    expect(publicSystemMessage(fsErr)).toBe("A storage or network error (ENOENT) interrupted the job.");
    const wrapped = publicSystemMessage(new SystemError(`The file could not be read from storage: ${(fsErr as Error).message}`, { cause: fsErr }));
    expect(wrapped).toMatch(/^The file could not be read from storage: ENOENT: no such file or directory, open '\[path\]'$/);
    expectSafe(wrapped);
  });

  it("keeps our own readable messages, and hides what an unknown error says", () => {
    expect(publicSystemMessage(new TimedOut(1500))).toBe("The job did not finish within its 1500 ms time limit.");
    expect(publicSystemMessage(new SystemError("The AI provider failed (500): upstream overloaded"))).toBe("The AI provider failed (500): upstream overloaded");
    expect(publicSystemMessage(new Error(`boom at ${SECRET_DIR}/index.js:10`))).toBe("An internal error interrupted the job.");
    expect(publicSystemMessage("a string")).toBe("An internal error interrupted the job.");
    expect(publicSystemMessage(new SystemError("x".repeat(1000))).length).toBeLessThanOrEqual(300);
  });

  it("replaces absolute paths but leaves relative names, URLs and numbers", () => {
    expect(scrubPaths("open '/var/lib/holdfast/storage/files/ab/cd' failed")).toBe("open '[path]' failed");
    expect(scrubPaths("see file:///etc/passwd now")).toBe("see [path] now");
    expect(scrubPaths("C:\\Users\\op\\holdfast\\x.txt missing")).toBe("[path] missing");
    expect(scrubPaths("blob files/ab/cd is missing; 1/2 done; https://api.example.com/v1 said 500")).toBe(
      "blob files/ab/cd is missing; 1/2 done; https://api.example.com/v1 said 500",
    );
  });
});

describe("job.error.message end to end", () => {
  it.each([
    ["sql", /^The job failed on the platform's side 1 time\(s\): A database error interrupted the job\. The hold was refunded\.$/],
    ["sql-wrapped", /A database error interrupted the job\./],
    ["fs", /A storage or network error \(ENOENT\) interrupted the job\./],
    ["fs-wrapped", /Storage failed: ENOENT: no such file or directory, open '\[path\]'/],
    ["plain", /An internal error interrupted the job\./],
  ])("%s: a system failure shows the user a general message and refunds", async (how, expected) => {
    const u = await p.user({ credits: 10 });
    const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "leaky", input: { how } });
    expect(sub.status).toBe(202);
    const job = await waitFor(async () => {
      const r = await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`);
      return r.body.status === "failed" ? r.body : null;
    }, { what: "the job to fail" });
    expect(job).toMatchObject({ error: { type: "system" }, credits: { charged: 0, refunded: 2 } });
    expect(job.error.message).toMatch(expected);
    expectSafe(job.error.message);
  });
});
