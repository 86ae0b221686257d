/** Batches: the caller's batches (status filter, load more) and one batch's page with its jobs and "Cancel batch". */
import { useCallback, useEffect, useRef, useState } from "react";
import { type ApiError, type Batch, type BatchSummary, get, type ListsAll, type Page, post, qs } from "../api";
import { Link } from "../router";
import { dateTime, FilterSelect, fmt, LoadError, Notice, toApiError, useLoad } from "../ui";
import { StatusBadge } from "./Jobs";

const BATCH_STATUSES = ["active", "finished"] as const satisfies readonly Batch["status"][];
type _EveryStatus = ListsAll<(typeof BATCH_STATUSES)[number], Batch["status"]>;

/** Live batches are re-read this often, so counts move as their jobs run (a batch has no event stream). */
const POLL_MS = 3000;

const isActive = (b: BatchSummary) => b.counts.queued + b.counts.running > 0;

function BatchBadge({ status }: { status: Batch["status"] }) {
  return (
    <span className={`badge badge-${status === "active" ? "running" : "finished"}`} data-testid="batch-status">
      {status}
    </span>
  );
}

/** "2 queued · 1 running · 3 canceled": only the statuses some job has. */
function Counts({ counts }: { counts: Batch["counts"] }) {
  const parts = Object.entries(counts).filter(([, n]) => n > 0);
  return <span data-testid="batch-counts">{parts.length ? parts.map(([s, n]) => `${fmt(n)} ${s}`).join(" · ") : "—"}</span>;
}

export function BatchesPage() {
  const [status, setStatus] = useState("");
  const [more, setMore] = useState<{ rows: BatchSummary[]; cursor: string | null } | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const first = useLoad(() => {
    setMore(null);
    setMoreError(null);
    return get<Page<BatchSummary>>(`/batches${qs({ status, limit: 50 })}`);
  }, [status]);
  const rows = [...(first.data?.data ?? []), ...(more?.rows ?? [])];
  const cursor = more ? more.cursor : (first.data?.next_cursor ?? null);

  const loadMore = async () => {
    setMoreError(null);
    try {
      const page = await get<Page<BatchSummary>>(`/batches${qs({ status, limit: 50, cursor })}`);
      setMore({ rows: [...(more?.rows ?? []), ...page.data], cursor: page.next_cursor });
    } catch (err) {
      setMoreError(toApiError(err));
    }
  };

  return (
    <>
      <h1>Batches</h1>
      <p className="muted">
        Jobs submitted together with <code>POST /api/v1/batches</code>. Each job also appears under <Link href="/jobs">Jobs</Link>.
      </p>
      <div className="filters">
        <FilterSelect label="Filter by status" value={status} onChange={setStatus} choices={BATCH_STATUSES} none="all" />
        <button type="button" className="secondary" onClick={first.reload}>
          Refresh
        </button>
      </div>
      {first.error ? <LoadError error={first.error} what="Batches" /> : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Batch</th>
              <th scope="col">Status</th>
              <th scope="col">Jobs</th>
              <th scope="col" className="num">Estimated</th>
              <th scope="col" className="num">Held</th>
              <th scope="col" className="num">Charged</th>
              <th scope="col" className="num">Refunded</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={b.id} data-testid="batch-row" data-batch-id={b.id}>
                <td>
                  <Link href={`/batches/${b.id}`} aria-label={`Batch ${b.id.slice(0, 8)}`}>
                    {b.id.slice(0, 8)}
                  </Link>
                </td>
                <td>
                  <BatchBadge status={b.status} />
                </td>
                <td>
                  <Counts counts={b.counts} />
                </td>
                <td className="num">{fmt(b.credits.estimated)}</td>
                <td className="num" data-testid="batch-held">{fmt(b.credits.held)}</td>
                <td className="num" data-testid="batch-charged">{fmt(b.credits.charged)}</td>
                <td className="num" data-testid="batch-refunded">{fmt(b.credits.refunded)}</td>
                <td>{dateTime(b.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && first.data ? <p className="muted">No batches{status ? ` ${status}` : ""}.</p> : null}
      {moreError ? <LoadError error={moreError} what="More batches" /> : null}
      {cursor ? (
        <button type="button" className="secondary" onClick={() => void loadMore()}>
          Load more
        </button>
      ) : null}
    </>
  );
}

/**
 * One batch, re-read while it is active. Every read (poll or cancel) is
 * numbered when it starts and only a newer one may replace what is shown, so
 * a poll that left before the cancel cannot overwrite the cancel's answer.
 */
function useBatch(id: string) {
  const [batch, setBatch] = useState<Batch | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const seq = useRef({ started: 0, shown: 0 });
  const read = useCallback(async (fn: () => Promise<Batch>) => {
    const n = ++seq.current.started;
    const b = await fn();
    if (n <= seq.current.shown) return;
    seq.current.shown = n;
    setBatch(b);
    setLoadError(null);
  }, []);
  const reload = useCallback(() => read(() => get<Batch>(`/batches/${id}`)).catch((err: unknown) => setLoadError(toApiError(err))), [id, read]);
  useEffect(() => void reload(), [reload]);
  const active = batch ? isActive(batch) : false;
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(t);
  }, [active, reload]);
  return { batch, loadError, read, reload };
}

export function BatchPage({ id }: { id: string }) {
  const { batch, loadError, read, reload } = useBatch(id);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  if (!batch) {
    if (loadError) return loadError.status === 404 ? <Notice kind="error">Batch not found.</Notice> : <LoadError error={loadError} what="This batch" />;
    return <p className="loading">Loading…</p>;
  }

  const cancel = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await read(() => post<Batch>(`/batches/${batch.id}/cancel`));
      setDone("Batch canceled: its queued jobs ended with their holds released; running jobs were asked to stop.");
    } catch (err) {
      setError(toApiError(err));
      void reload(); // a 409 means it finished meanwhile: show how
    } finally {
      setBusy(false);
      setConfirm(false);
    }
  };
  const open = batch.counts.queued + batch.counts.running;

  return (
    <>
      <h1>
        Batch <code>{batch.id.slice(0, 8)}</code>
      </h1>
      <p>
        <BatchBadge status={batch.status} /> <Counts counts={batch.counts} />
      </p>
      <dl className="facts">
        <dt>Estimated (held at submission)</dt>
        <dd>{fmt(batch.credits.estimated)}</dd>
        <dt>Held now</dt>
        <dd data-testid="batch-held">{fmt(batch.credits.held)}</dd>
        <dt>Charged</dt>
        <dd data-testid="batch-charged">{fmt(batch.credits.charged)}</dd>
        <dt>Refunded</dt>
        <dd data-testid="batch-refunded">{fmt(batch.credits.refunded)}</dd>
        <dt>Credit type</dt>
        <dd>{batch.credit_type}</dd>
        <dt>Created</dt>
        <dd>{dateTime(batch.created_at)}</dd>
      </dl>
      {open > 0 ? (
        confirm ? (
          <p className="inline-form">
            <span>
              Cancel the {fmt(open)} job{open === 1 ? "" : "s"} of this batch that {open === 1 ? "has" : "have"} not finished? Finished jobs keep their result and charge.
            </span>
            <button type="button" className="danger" disabled={busy} onClick={() => void cancel()}>
              Yes, cancel batch
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => setConfirm(false)}>
              Keep it
            </button>
          </p>
        ) : (
          <p>
            <button type="button" className="secondary" onClick={() => setConfirm(true)}>
              Cancel batch
            </button>
          </p>
        )
      ) : null}
      <div aria-live="polite">
        {error ? <Notice kind="error">{error.message}</Notice> : null}
        {done ? <Notice kind="ok">{done}</Notice> : null}
      </div>
      <h2>Jobs</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col" className="num">Estimated</th>
              <th scope="col" className="num">Charged</th>
              <th scope="col" className="num">Refunded</th>
            </tr>
          </thead>
          <tbody>
            {batch.jobs.map((j) => (
              <tr key={j.id} data-testid="job-row" data-job-id={j.id}>
                <td>
                  <Link href={`/jobs/${j.id}`}>{j.id.slice(0, 8)}</Link>
                </td>
                <td>{j.kind}</td>
                <td>
                  <StatusBadge status={j.status} />
                </td>
                <td>
                  <progress max={100} value={j.progress} aria-label={`Progress of job ${j.id.slice(0, 8)}`} /> {j.progress}%
                </td>
                <td className="num">{fmt(j.credits.estimated)}</td>
                <td className="num" data-testid="job-charged">{fmt(j.credits.charged)}</td>
                <td className="num" data-testid="job-refunded">{fmt(j.credits.refunded)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        <Link href="/batches">Back to batches</Link>
      </p>
    </>
  );
}
