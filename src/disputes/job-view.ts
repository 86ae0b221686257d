/**
 * A job as API.md shows it, plus its dispute (the newest, if any): what
 * GET /jobs/:id and GET /jobs answer, so a user sees a dispute where they
 * see the charge.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import * as jobs from "../jobs/service";
import type { JobDispute, JobView } from "../jobs/view";
import { toInt } from "../ledger/types";
import type { Page } from "../lib/pagination";
import type { DisputeOutcome, DisputeStatus } from "./view";

async function withDisputes(ctx: AppContext, views: JobView[]): Promise<JobView[]> {
  if (views.length === 0) return views;
  const rows: { job_id: string; id: string; status: DisputeStatus; outcome: DisputeOutcome | null; disputed_credits: string; refunded_credits: string }[] =
    await sql(ctx.ds,
      `SELECT DISTINCT ON (job_id) job_id, id, status, outcome, disputed_credits, refunded_credits
         FROM disputes WHERE job_id = ANY($1::uuid[]) ORDER BY job_id, created_at DESC, id DESC`,
      [views.map((v) => v.id)],
    );
  const byJob = new Map<string, JobDispute>(rows.map((r) => [r.job_id, {
    id: r.id, status: r.status, outcome: r.outcome, disputed_credits: toInt(r.disputed_credits), refunded_credits: toInt(r.refunded_credits),
  }]));
  return views.map((v) => ({ ...v, dispute: byJob.get(v.id) ?? null }));
}

export async function jobWithDispute(ctx: AppContext, user: User, id: string): Promise<JobView> {
  const [view] = await withDisputes(ctx, [await jobs.getJobView(ctx, user, id)]);
  return view!;
}

export async function jobsWithDisputes(ctx: AppContext, user: User, q: jobs.ListQuery): Promise<Page<JobView>> {
  const page = await jobs.listJobs(ctx, user, q);
  return { ...page, data: await withDisputes(ctx, page.data) };
}
