/**
 * Credits spent per day over the last 30 days, stacked by job kind, from the
 * caller's `charge` transactions (each names its job; the job names its
 * kind), and this month's table by kind from GET /credits/summary.
 */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { get, type Job, type Page, qs, type Summary, type Transaction } from "../api";
import { fmt, LoadError, useLoad } from "../ui";

const DAYS = 30;
export const COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"];

/** Every page of `path` until an item is older than `since` (lists are newest first). */
export async function fetchSince<T extends { created_at: string }>(path: string, since: Date, params: Record<string, string> = {}, max = 5000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await get<Page<T>>(`${path}${qs({ ...params, limit: 200, cursor })}`);
    for (const item of page.data) {
      if (new Date(item.created_at) < since) return out;
      out.push(item);
    }
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

export interface DaySeries {
  days: Record<string, number | string>[];
  kinds: string[];
  total: number;
}

export function spendByDay(charges: Transaction[], kindOf: Map<string, string>, now = new Date()): DaySeries {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (DAYS - 1)));
  const days: Record<string, number | string>[] = [];
  const index = new Map<string, Record<string, number | string>>();
  for (let i = 0; i < DAYS; i++) {
    const d = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    const row = { day: d.slice(5) };
    days.push(row);
    index.set(d, row);
  }
  const kinds = new Set<string>();
  let total = 0;
  for (const t of charges) {
    const row = index.get(t.created_at.slice(0, 10));
    if (!row) continue;
    const kind = (t.job_id && kindOf.get(t.job_id)) || "other";
    kinds.add(kind);
    row[kind] = Number(row[kind] ?? 0) + t.amount;
    total += t.amount;
  }
  return { days, kinds: [...kinds].sort(), total };
}

async function loadSeries(): Promise<DaySeries> {
  const now = new Date();
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (DAYS - 1)));
  const [charges, jobs] = await Promise.all([
    fetchSince<Transaction>("/credits/transactions", since, { type: "charge" }),
    // Jobs are created before they are charged, so a few days' margin finds the kind of every charge.
    fetchSince<Job>("/jobs", new Date(since.getTime() - 7 * 86_400_000)),
  ]);
  return spendByDay(charges, new Map(jobs.map((j) => [j.id, j.kind])), now);
}

export function UsagePage() {
  const series = useLoad(loadSeries, []);
  const summary = useLoad(() => get<Summary>("/credits/summary"), []);
  const s = series.data;
  return (
    <>
      <h1>Usage</h1>
      <section aria-labelledby="chart-title">
        <h2 id="chart-title">Credits spent per day, last {DAYS} days</h2>
        {series.error ? <LoadError error={series.error} what="Usage" /> : null}
        <p>
          Total: <strong data-testid="usage-total">{s ? fmt(s.total) : "…"}</strong> credits
        </p>
        <div className="chart" role="img" aria-label={s ? `Bar chart of credits spent per day by job kind; ${s.total} credits in ${DAYS} days` : "Loading chart"}>
          {s ? (
            <ResponsiveContainer width="100%" height={280}>
              <BarChart data={s.days} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="day" fontSize={11} interval="preserveStartEnd" />
                <YAxis allowDecimals={false} fontSize={11} width={40} />
                <Tooltip cursor={{ fill: "rgba(0, 0, 0, 0.04)" }} />
                <Legend />
                {s.kinds.map((k, i) => (
                  <Bar key={k} dataKey={k} stackId="spend" fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          ) : null}
        </div>
      </section>
      <section aria-labelledby="kinds-title">
        <h2 id="kinds-title">This month by kind</h2>
        {summary.error ? <LoadError error={summary.error} what="The monthly summary" /> : null}
        {summary.data ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Jobs</th>
                  <th scope="col">Credits</th>
                  <th scope="col">Dollars</th>
                </tr>
              </thead>
              <tbody>
                {summary.data.spend_by_kind.map((k) => (
                  <tr key={k.kind} data-testid="kind-row">
                    <td>{k.kind}</td>
                    <td>{fmt(k.jobs)}</td>
                    <td>{fmt(k.credits)}</td>
                    <td>${k.usd}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td />
                  <td data-testid="month-spent-total">{fmt(summary.data.spent)}</td>
                  <td>${summary.data.spent_usd}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
