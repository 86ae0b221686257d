/**
 * A platform with the built-in kinds (or a variant of them) and their real
 * services: its own database, queue prefix and storage folder.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Config, loadConfig } from "../../src/config";
import { builtinKinds, builtinServices } from "../../src/jobs/builtin";
import type { KindRegistry } from "../../src/jobs/kind";
import * as ledger from "../../src/ledger";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

/** An API reply in a test: loose JSON whose shape the assertions check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked by expect(), not by the compiler
export type Json = any;

export interface KindsPlatform extends Platform {
  storageDir: string;
  balance(userId: string): Promise<{ available: number; held: number; posted: number }>;
  /** Wait until the job is final; returns the API view. */
  final(key: string, jobId: string, timeoutMs?: number): Promise<Json>;
  /** Every file under the storage folder (relative paths), temp files included. */
  storedFiles(): Promise<string[]>;
}

export async function startKindsPlatform(opts: { env?: Record<string, string>; kinds?: (config: Config) => KindRegistry; worker?: boolean } = {}): Promise<KindsPlatform> {
  const storageDir = await mkdtemp(path.join(tmpdir(), "holdfast-storage-"));
  const env = { STORAGE_DIR: storageDir, ...opts.env };
  // The kinds only read AI_*, SCRIPTS_DIR and limits, which do not depend on the test database.
  const kindConfig = loadConfig({ NODE_ENV: "test", ...env });
  const p = await startPlatform({ kinds: (opts.kinds ?? builtinKinds)(kindConfig), env, worker: opts.worker });
  Object.assign(p.ctx.services, builtinServices(p.ctx.config, p.ctx.ds));
  return {
    ...p,
    storageDir,
    async balance(userId) {
      const b = await ledger.balances(p.ctx.ds.manager, userId);
      return { available: b.available, held: b.held, posted: b.posted };
    },
    async final(key, jobId, timeoutMs = 30_000) {
      return waitFor(
        async () => {
          const r = await p.api(key, "GET", `/api/v1/jobs/${jobId}`);
          return ["succeeded", "failed", "canceled"].includes(r.body?.status) ? r.body : null;
        },
        { timeoutMs, what: `job ${jobId} to finish` },
      );
    },
    async storedFiles() {
      const all = await readdir(storageDir, { recursive: true, withFileTypes: true });
      return all.filter((d) => d.isFile()).map((d) => path.relative(storageDir, path.join(d.parentPath, d.name))).sort();
    },
    async close() {
      await p.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** How many jobs rows the user has (to prove "nothing created"). */
export async function jobCount(p: Platform, userId: string): Promise<number> {
  const rows: { n: string }[] = await p.ctx.ds.query(`SELECT count(*) AS n FROM jobs WHERE user_id = $1`, [userId]);
  return Number(rows[0]!.n);
}
