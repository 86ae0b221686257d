/**
 * The `holdfast` command line: a thin shell over HoldfastClient.
 * Config: HOLDFAST_URL and HOLDFAST_API_KEY, or --url / --api-key.
 * `--json` on every command prints the API's JSON for scripts. Errors print
 * the API's message and code and exit 1 (2 for usage errors).
 */
import { createInterface } from "node:readline/promises";
import { SingleBar, Presets } from "cli-progress";
import { Command, Option } from "commander";
import { HoldfastClient, isFinal } from "./client.js";
import { HoldfastError } from "./errors.js";
import type { Batch, BatchStatus, BatchSummary, Job, JobStatus, Transaction } from "./types.js";

interface Globals { url?: string; apiKey?: string; json?: boolean; userId?: string }

function client(g: Globals): HoldfastClient {
  const baseUrl = g.url ?? process.env.HOLDFAST_URL ?? "http://localhost:3000";
  const apiKey = g.apiKey ?? process.env.HOLDFAST_API_KEY;
  if (!apiKey) throw new HoldfastError(0, "no_api_key", "No API key: set HOLDFAST_API_KEY or pass --api-key.");
  return new HoldfastClient({ baseUrl, apiKey, userId: g.userId ?? process.env.HOLDFAST_USER_ID });
}

/** `--param a=1 --param b=x` → { a: 1, b: "x" } (values that parse as JSON are JSON). */
function params(list: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of list) {
    const i = p.indexOf("=");
    if (i <= 0) throw new HoldfastError(0, "usage", `--param wants name=value, got "${p}"`);
    const raw = p.slice(i + 1);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      v = raw;
    }
    out[p.slice(0, i)] = v;
  }
  return out;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The kind's input from the command line: script NAME → { script, parameters }; others take --input JSON or --param. */
function jobInput(kind: string, target: string | undefined, o: { param?: string[]; input?: string }): unknown {
  if (o.input) return JSON.parse(o.input);
  if (kind === "script") return { script: target, parameters: params(o.param) };
  if (kind === "ai") return { prompt: target, ...params(o.param) };
  if (kind === "file") return { file_id: target, ...params(o.param) };
  return params(o.param);
}

function out(g: Globals, json: unknown, human: () => string): void {
  process.stdout.write(g.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
}

function jobLine(j: Job): string {
  return `${j.id}  ${j.kind.padEnd(7)} ${j.status.padEnd(9)} ${String(j.progress).padStart(3)}%  held ${j.credits.held} charged ${j.credits.charged}  ${j.created_at}`;
}

function batchLine(b: BatchSummary): string {
  const c = b.counts;
  const jobs = c.queued + c.running + c.succeeded + c.failed + c.canceled;
  const states = (["queued", "running", "succeeded", "failed", "canceled"] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`).join(", ");
  return `${b.id}  ${b.status.padEnd(8)} ${String(jobs).padStart(3)} jobs (${states})  held ${b.credits.held} charged ${b.credits.charged} refunded ${b.credits.refunded}  ${b.created_at}`;
}

/** A batch with its jobs, one line each under the batch's. */
function batchLines(b: Batch): string {
  return [batchLine(b), ...b.jobs.map((j) => `  ${jobLine(j)}`)].join("\n");
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Follow a job with a progress bar; Ctrl-C asks whether to cancel it. */
async function follow(hf: HoldfastClient, job: Job, g: Globals): Promise<Job> {
  const bar = g.json || !process.stderr.isTTY ? null : new SingleBar({ format: " {bar} {percentage}% | {status}", stream: process.stderr }, Presets.shades_classic);
  bar?.start(100, job.progress, { status: job.status });
  const ac = new AbortController();
  let asking = false;
  const onSigint = async () => {
    if (asking) process.exit(130);
    asking = true;
    bar?.stop();
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = (await rl.question(`\nCancel job ${job.id}? [y/N] `)).trim().toLowerCase();
    rl.close();
    asking = false;
    if (answer === "y" || answer === "yes") {
      const c = await hf.jobs.cancel(job.id).catch((e: unknown) => e);
      if (c instanceof HoldfastError) process.stderr.write(`Could not cancel: ${c.message} (${c.code})\n`);
      else process.stderr.write(`Canceled.\n`);
    } else {
      process.stderr.write("Still following (Ctrl-C again exits without canceling).\n");
      bar?.start(100, 0, { status: "running" });
    }
  };
  process.on("SIGINT", onSigint);
  try {
    return await hf.jobs.wait(job.id, {
      signal: ac.signal,
      onProgress: (p, j) => bar?.update(p, { status: j?.status ?? "running" }),
    });
  } finally {
    process.off("SIGINT", onSigint);
    bar?.stop();
  }
}

export function program(): Command {
  const prog = new Command("holdfast")
    .description("Holdfast from the command line (config: HOLDFAST_URL, HOLDFAST_API_KEY)")
    .option("--url <url>", "API base URL (default $HOLDFAST_URL or http://localhost:3000)")
    .option("--api-key <key>", "API key (default $HOLDFAST_API_KEY)")
    .option("--user-id <id>", "service keys: act for this user (default $HOLDFAST_USER_ID)")
    .option("--json", "print the API's JSON")
    .showHelpAfterError();
  const g = () => prog.opts<Globals>();

  prog.command("balance").description("your balance").option("--credit-type <type>").action(async (o: { creditType?: string }) => {
    const b = await client(g()).credits.balance({ creditType: o.creditType });
    out(g(), b, () => `${b.available} ${b.credit_type} credits available (${b.held} held, ${b.posted} posted)${b.status === "paused" ? " — PAUSED" : ""}`);
  });

  const jobArgs = (c: Command) => c
    .argument("<kind>", "job kind: script, ai, file, …")
    .argument("[target]", "script name, prompt, or file id")
    .option("--param <name=value>", "an input parameter (repeatable)", collect)
    .option("--input <json>", "the whole input as JSON");

  jobArgs(prog.command("estimate").description("price a job without running it")).action(async (kind: string, target: string | undefined, o: { param?: string[]; input?: string }) => {
    const e = await client(g()).estimate({ kind, input: jobInput(kind, target, o) });
    out(g(), e, () => [`${e.credits} ${e.credit_type} credits`, ...e.breakdown.map((b) => `  ${b.item}: ${b.credits}`)].join("\n"));
  });

  jobArgs(prog.command("run").description("submit a job (and --follow it to the end)"))
    .option("--follow", "show progress until the job ends; exit 0 if it succeeded, 1 otherwise")
    .option("--max-credits <n>", "refuse if the estimate is higher", Number)
    .option("--idempotency-key <key>")
    .action(async (kind: string, target: string | undefined, o: { param?: string[]; input?: string; follow?: boolean; maxCredits?: number; idempotencyKey?: string }) => {
      const hf = client(g());
      let job = await hf.jobs.submit({ kind, input: jobInput(kind, target, o) }, { maxCredits: o.maxCredits, idempotencyKey: o.idempotencyKey });
      if (!o.follow) return out(g(), job, () => jobLine(job));
      if (!g().json) process.stderr.write(`job ${job.id} ${job.status}\n`);
      job = await follow(hf, job, g());
      out(g(), job, () => [
        `${job.status}: charged ${job.credits.charged}, refunded ${job.credits.refunded} credits`,
        job.error ? `error (${job.error.type}): ${job.error.message}` : JSON.stringify(job.result, null, 2),
      ].join("\n"));
      process.exitCode = job.status === "succeeded" ? 0 : 1;
    });

  const jobs = prog.command("jobs").description("your jobs");
  jobs.command("ls").description("list jobs, newest first")
    .addOption(new Option("--status <status>").choices(["queued", "running", "succeeded", "failed", "canceled"]))
    .option("--kind <kind>").option("--limit <n>", "at most this many", Number, 20)
    .action(async (o: { status?: JobStatus; kind?: string; limit: number }) => {
      const list: Job[] = [];
      for await (const j of client(g()).jobs.list({ status: o.status, kind: o.kind, limit: Math.min(o.limit, 200) })) {
        list.push(j);
        if (list.length >= o.limit) break;
      }
      out(g(), list, () => list.map(jobLine).join("\n") || "no jobs");
    });
  jobs.command("get <id>").action(async (id: string) => {
    const j = await client(g()).jobs.get(id);
    out(g(), j, () => jobLine(j));
  });
  jobs.command("cancel <id>").action(async (id: string) => {
    const j = await client(g()).jobs.cancel(id);
    out(g(), j, () => jobLine(j));
  });
  jobs.command("wait <id>").description("follow a job to its end").action(async (id: string) => {
    const hf = client(g());
    let j = await hf.jobs.get(id);
    if (!isFinal(j.status)) j = await follow(hf, j, g());
    out(g(), j, () => jobLine(j));
    process.exitCode = j.status === "succeeded" ? 0 : 1;
  });

  const batches = prog.command("batches").description("your batches of jobs");
  batches.command("ls").description("list batches, newest first")
    .addOption(new Option("--status <status>").choices(["active", "finished"]))
    .option("--limit <n>", "at most this many", Number, 20)
    .action(async (o: { status?: BatchStatus; limit: number }) => {
      const list: BatchSummary[] = [];
      for await (const b of client(g()).batches.list({ status: o.status, limit: Math.min(o.limit, 200) })) {
        list.push(b);
        if (list.length >= o.limit) break;
      }
      out(g(), list, () => list.map(batchLine).join("\n") || "no batches");
    });
  batches.command("get <id>").description("a batch and its jobs").action(async (id: string) => {
    const b = await client(g()).batches.get(id);
    out(g(), b, () => batchLines(b));
  });
  batches.command("cancel <id>").description("cancel every job of the batch that is not final yet").action(async (id: string) => {
    const b = await client(g()).batches.cancel(id);
    out(g(), b, () => batchLines(b));
  });

  prog.command("upload <file>").description("upload a file (streamed, with a progress bar)").option("--name <name>").action(async (file: string, o: { name?: string }) => {
    const bar = g().json || !process.stderr.isTTY ? null : new SingleBar({ format: " {bar} {percentage}% | {value}/{total} bytes", stream: process.stderr }, Presets.shades_classic);
    let started = false;
    const f = await client(g()).files.upload(file, {
      name: o.name,
      onProgress: ({ bytes, total }) => {
        if (!bar) return;
        if (!started) { bar.start(total ?? 0, 0); started = true; }
        bar.update(bytes);
      },
    }).finally(() => bar?.stop());
    out(g(), f, () => `${f.id}  ${f.size_bytes} bytes  sha256 ${f.sha256}`);
  });

  prog.command("download <id> <path>").description("download a file").action(async (id: string, path: string) => {
    await client(g()).files.download(id, { to: path });
    out(g(), { id, path }, () => `saved ${path}`);
  });

  prog.command("transactions").description("your transaction history, newest first")
    .option("--csv", "CSV for spreadsheets").option("--type <type>").option("--limit <n>", "at most this many", Number, 50)
    .action(async (o: { csv?: boolean; type?: Transaction["type"]; limit: number }) => {
      const list: Transaction[] = [];
      for await (const t of client(g()).credits.transactions({ type: o.type, limit: Math.min(o.limit, 200) })) {
        list.push(t);
        if (list.length >= o.limit) break;
      }
      if (o.csv) {
        const cols = ["id", "created_at", "type", "amount", "credit_type", "description", "job_id", "hold_id"] as const;
        process.stdout.write([cols.join(","), ...list.map((t) => cols.map((c) => csvCell(t[c])).join(","))].join("\n") + "\n");
        return;
      }
      out(g(), list, () => list.map((t) => `${t.created_at}  ${t.type.padEnd(12)} ${String(t.amount).padStart(8)} ${t.credit_type}  ${t.description ?? ""}`).join("\n") || "no transactions");
    });

  const holds = prog.command("holds").description("holds for your own work");
  holds.command("create <credits>").option("--ttl <seconds>", "expiry (default 3600)", Number).option("--description <text>")
    .action(async (credits: string, o: { ttl?: number; description?: string }) => {
      const h = await client(g()).holds.create({ credits: Number(credits), ttlSeconds: o.ttl, description: o.description });
      out(g(), h, () => `${h.id}  ${h.status}  ${h.credits.held} held until ${h.expires_at}`);
    });
  holds.command("capture <id> [credits]").option("--description <text>").action(async (id: string, credits: string | undefined, o: { description?: string }) => {
    const h = await client(g()).holds.capture(id, { credits: credits === undefined ? undefined : Number(credits), description: o.description });
    out(g(), h, () => `${h.id}  ${h.status}  captured ${h.credits.captured}, released ${h.credits.released}`);
  });
  holds.command("release <id>").action(async (id: string) => {
    const h = await client(g()).holds.release(id);
    out(g(), h, () => `${h.id}  ${h.status}  released ${h.credits.released}`);
  });
  holds.command("get <id>").action(async (id: string) => {
    const h = await client(g()).holds.get(id);
    out(g(), h, () => `${h.id}  ${h.status}  held ${h.credits.held} captured ${h.credits.captured} released ${h.credits.released}`);
  });

  return prog;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof HoldfastError) {
      const json = argv.includes("--json");
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details, status: err.status } }, null, 2)}\n`);
      process.stderr.write(`Error: ${err.message} (${err.code}${err.status ? `, HTTP ${err.status}` : ""})\n`);
      // A 400 names each bad field in details.issues (an unknown script lists the registered ones): show them.
      const issues = Array.isArray(err.details.issues) ? (err.details.issues as { path?: unknown; message?: unknown }[]) : [];
      for (const i of issues) process.stderr.write(`  ${String(i.path ?? "") || "(body)"}: ${String(i.message ?? "")}\n`);
      process.exitCode = err.code === "usage" ? 2 : 1;
      return;
    }
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
