/**
 * Quoting a job: validate `{ kind, input }` against the kind's schema and
 * price it with the kind's estimator. Nothing is held; admission
 * (src/jobs/admission.ts) places the hold.
 */
import type { AppContext } from "../context";
import { InvalidRequest } from "../errors";
import type { User } from "../entities/user";
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";
import { zodIssues } from "../lib/validation";
import type { Estimate, JobKind } from "./kind";

export interface Quote {
  kind: JobKind;
  input: unknown;
  estimate: Estimate;
  creditType: string;
}

export interface EstimateView extends Estimate {
  kind: string;
  credit_type: string;
}

/** Validate and price one `{ kind, input }`; `path` prefixes the issues' field paths (a batch's `jobs.3`). */
export async function quote(ctx: AppContext, userId: string, kindName: string, rawInput: unknown, path: (string | number)[] = []): Promise<Quote> {
  const kind = ctx.kinds.get(kindName);
  if (!kind) {
    throw new InvalidRequest(`Unknown job kind "${kindName}". Known kinds: ${ctx.kinds.names().join(", ")}.`, {
      issues: [{ path: [...path, "kind"].join("."), message: "unknown kind" }],
    });
  }
  const parsed = kind.input.safeParse(rawInput);
  if (!parsed.success) {
    throw new InvalidRequest(`The input does not fit the "${kindName}" kind.`, { issues: zodIssues(parsed.error, [...path, "input"]) });
  }
  const unstorable = unstorableText(parsed.data);
  if (unstorable) {
    throw new InvalidRequest(`The input contains ${unstorable}, which jobs cannot store.`, {
      issues: [{ path: [...path, "input"].join("."), message: `contains ${unstorable}` }],
    });
  }
  const est = await kind.estimate(parsed.data, { userId, services: ctx.services });
  const credits = Math.max(1, Math.ceil(est.credits));
  return { kind, input: parsed.data, estimate: { credits, breakdown: est.breakdown }, creditType: kind.creditType ?? DEFAULT_CREDIT_TYPE };
}

export async function estimate(ctx: AppContext, user: User, kindName: string, input: unknown): Promise<EstimateView> {
  const q = await quote(ctx, user.id, kindName, input);
  return { kind: kindName, credits: q.estimate.credits, credit_type: q.creditType, breakdown: q.estimate.breakdown };
}

/** A lone UTF-16 surrogate: valid in a JavaScript string (and JSON's `\ud800`), not in UTF-8 text. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What PostgreSQL's jsonb cannot store, anywhere in `v` (values and keys):
 * U+0000, or a lone surrogate. Refused here as the user's mistake (400)
 * rather than failing at the database.
 */
function unstorableText(v: unknown): string | null {
  if (typeof v === "string") return v.includes("\0") ? "a NUL character (\\u0000)" : LONE_SURROGATE.test(v) ? "a lone UTF-16 surrogate" : null;
  if (Array.isArray(v)) {
    for (const x of v) {
      const u = unstorableText(x);
      if (u) return u;
    }
    return null;
  }
  if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const u = unstorableText(k) ?? unstorableText(x);
      if (u) return u;
    }
  }
  return null;
}
