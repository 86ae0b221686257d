/**
 * The pricing catalogue: every price Holdfast charges for work, in one typed
 * table. Kinds import their numbers from here and nowhere else, so changing a
 * price is one edit in this file. The README, docs/kinds.md and the OpenAPI
 * document render `catalogueRows()`, so they cannot drift from the code.
 *
 * Rules shared by every kind:
 * - credits are whole numbers; a job costs at least MIN_JOB_CREDITS;
 * - "per started N" rounds up (101 characters = 2 started hundreds);
 * - the estimate is the hold (the most a job can cost); the charge is what
 *   the job measured, never more than the hold;
 * - an admin may override a job's price with `credit_amount` (API.md).
 */
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";
import type { Estimate } from "./kind";

/** No job is free: the smallest hold and the smallest successful charge's floor. */
export const MIN_JOB_CREDITS = 1;

/** Bytes in the "MB" that file prices count (a mebibyte). */
export const BYTES_PER_MB = 1024 * 1024;

export const PRICES = {
  script: {
    creditType: DEFAULT_CREDIT_TYPE,
    /** Credits per run of a registered script that has no price of its own. */
    perRun: 5,
    /** Scripts with their own per-run price (credits), by registry name. */
    perScript: {
      sleep: 2,
      "csv-stats": 8,
    } as Readonly<Record<string, number>>,
  },
  ai: {
    creditType: DEFAULT_CREDIT_TYPE,
    /** Credits per started 100 characters sent (prompt or every message's content). */
    inputPer100Chars: 1,
    /** Credits per started 100 characters generated. */
    outputPer100Chars: 2,
    /**
     * The hold assumes the answer is at most max_tokens × this many characters
     * (English averages ~4); an answer is cut at that length, so the hold
     * always covers the charge.
     */
    holdCharsPerToken: 6,
  },
  file: {
    creditType: DEFAULT_CREDIT_TYPE,
    /** Credits per started MB of the input file (a 0-byte file counts as one started MB). */
    perStartedMb: 1,
    /** Flat fee per operation, added to the size price. */
    operationFee: {
      "csv-to-json": 3,
      gzip: 2,
      gunzip: 2,
      sha256: 1,
      "line-count": 1,
    },
  },
} as const;

export type FileOperation = keyof typeof PRICES.file.operationFee;
export const FILE_OPERATIONS = Object.keys(PRICES.file.operationFee) as FileOperation[];

function startedUnits(amount: number, unit: number): number {
  return Math.ceil(Math.max(0, amount) / unit);
}

/** A priced estimate: breakdown items sum to `credits`, floored at MIN_JOB_CREDITS. */
function priced(breakdown: Estimate["breakdown"]): Estimate {
  const sum = breakdown.reduce((s, b) => s + b.credits, 0);
  if (sum >= MIN_JOB_CREDITS) return { credits: sum, breakdown };
  return { credits: MIN_JOB_CREDITS, breakdown: [...breakdown, { item: "minimum charge", credits: MIN_JOB_CREDITS - sum }] };
}

/** Credits for one run of a registered script. */
export function scriptPrice(name: string): Estimate {
  const credits = PRICES.script.perScript[name] ?? PRICES.script.perRun;
  return priced([{ item: `script "${name}" (per run)`, credits }]);
}

/** Credits for characters sent and generated (per started 100 of each). */
export function aiPrice(chars: { input: number; output: number }, outputLabel = "generated"): Estimate {
  const a = PRICES.ai;
  return priced([
    { item: `${chars.input} characters sent`, credits: startedUnits(chars.input, 100) * a.inputPer100Chars },
    { item: `${chars.output} characters ${outputLabel}`, credits: startedUnits(chars.output, 100) * a.outputPer100Chars },
  ]);
}

/** The most an answer of max_tokens may be, in characters (the hold's basis and the cut-off). */
export function aiMaxOutputChars(maxTokens: number): number {
  return maxTokens * PRICES.ai.holdCharsPerToken;
}

/** The hold for an ai job: its input plus the longest answer it may get. */
export function aiHold(inputChars: number, maxTokens: number): Estimate {
  return aiPrice({ input: inputChars, output: aiMaxOutputChars(maxTokens) }, "at most (max_tokens)");
}

/** Credits to run `op` over `bytes` of input. */
export function filePrice(bytes: number, op: FileOperation): Estimate {
  const mb = Math.max(1, startedUnits(bytes, BYTES_PER_MB));
  return priced([
    { item: `${mb} started MB of input`, credits: mb * PRICES.file.perStartedMb },
    { item: `${op} operation`, credits: PRICES.file.operationFee[op] },
  ]);
}

export interface CatalogueRow {
  kind: string;
  item: string;
  unit: string;
  credits: number;
  credit_type: string;
}

/** The catalogue as rows (API, OpenAPI document, README table). */
export function catalogueRows(): CatalogueRow[] {
  const s = PRICES.script;
  const a = PRICES.ai;
  const f = PRICES.file;
  return [
    { kind: "script", item: "a registered script without its own price", unit: "per run", credits: s.perRun, credit_type: s.creditType },
    ...Object.entries(s.perScript).map(([name, credits]) => ({
      kind: "script", item: `script "${name}"`, unit: "per run", credits, credit_type: s.creditType,
    })),
    { kind: "ai", item: "characters sent", unit: "per started 100 characters", credits: a.inputPer100Chars, credit_type: a.creditType },
    { kind: "ai", item: "characters generated", unit: "per started 100 characters", credits: a.outputPer100Chars, credit_type: a.creditType },
    { kind: "file", item: "input size", unit: "per started MB (1,048,576 bytes)", credits: f.perStartedMb, credit_type: f.creditType },
    ...FILE_OPERATIONS.map((op) => ({
      kind: "file", item: `operation "${op}"`, unit: "per job", credits: f.operationFee[op], credit_type: f.creditType,
    })),
  ];
}

/** GET /api/v1/pricing: the catalogue and the numbers its rules use. */
export function catalogueView() {
  return {
    min_job_credits: MIN_JOB_CREDITS,
    bytes_per_mb: BYTES_PER_MB,
    ai_hold_chars_per_token: PRICES.ai.holdCharsPerToken,
    rows: catalogueRows(),
  };
}

/** The catalogue as a markdown table plus the shared rules (README, docs/kinds.md, OpenAPI description). */
export function catalogueMarkdown(): string {
  const lines = [
    "| kind | item | unit | credits | credit type |",
    "|---|---|---|---:|---|",
    ...catalogueRows().map((r) => `| ${r.kind} | ${r.item} | ${r.unit} | ${r.credits} | ${r.credit_type} |`),
    "",
    `Every job costs at least ${MIN_JOB_CREDITS} credit. The estimate is the hold (the most a job can cost); ` +
      "the charge is what the job measured, never more than the hold. An ai job's hold assumes " +
      `at most ${PRICES.ai.holdCharsPerToken} characters per token of \`max_tokens\` (the answer is cut there). ` +
      "Admins may override a job's price with `credit_amount`.",
  ];
  return lines.join("\n");
}
