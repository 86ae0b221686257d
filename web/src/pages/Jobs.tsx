/** Jobs: the list with live progress and cancel, the New job form, and one job's page. */
import { useEffect, useState } from "react";
import { get, isFinal, type Job, type ListsAll, type Page, post, qs } from "../api";
import { watchJob } from "../events";
import { Link } from "../router";
import { dateTime, Field, FilterSelect, fmt, LoadError, Notice, toApiError, useLoad } from "../ui";
import { NewJobForm } from "./NewJob";

/**
 * Browsers allow ~6 HTTP/1.1 connections per host and every event stream holds
 * one, so the list streams at most this many live jobs; the rest are polled.
 */
const MAX_STREAMS = 3;

const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const satisfies readonly Job["status"][];
type _EveryStatus = ListsAll<(typeof JOB_STATUSES)[number], Job["status"]>;

/** A job kept current by its event stream while it is live. */
export function useLiveJob(initial: Job, stream = true): Job {
  const [job, setJob] = useState(initial);
  useEffect(() => setJob(initial), [initial]);
  useEffect(() => {
    if (!stream || isFinal(initial.status)) return;
    return watchJob(initial.id, (e) => {
      if (e.event === "job") setJob(e.data);
      else if (e.event === "progress") setJob((j) => ({ ...j, progress: e.data.progress }));
      else setJob((j) => ({ ...j, status: e.data.status }));
    });
  }, [initial, stream]);
  return job;
}

export function StatusBadge({ status }: { status: Job["status"] }) {
  return (
    <span className={`badge badge-${status}`} data-testid="job-status">
      {status}
    </span>
  );
}

export function JobsPage() {
  const [status, setStatus] = useState("");
  const [kind, setKind] = useState("");
  const jobs = useLoad(() => get<Page<Job>>(`/jobs${qs({ status, kind, limit: 50 })}`), [status, kind]);
  const liveIds = (jobs.data?.data ?? []).filter((j) => !isFinal(j.status)).map((j) => j.id);
  const streamed = new Set(liveIds.slice(0, MAX_STREAMS));
  const polled = liveIds.length > MAX_STREAMS;
  const { reload } = jobs;
  useEffect(() => {
    if (!polled) return;
    const t = setInterval(reload, 3000);
    return () => clearInterval(t);
  }, [polled, reload]);
  return (
    <>
      <h1>Jobs</h1>
      <section aria-labelledby="new-job-title" className="panel">
        <h2 id="new-job-title">New job</h2>
        <NewJobForm onSubmitted={jobs.reload} />
      </section>
      <section aria-labelledby="jobs-title">
        <h2 id="jobs-title">Your jobs</h2>
        <div className="filters">
          <FilterSelect label="Filter by status" value={status} onChange={setStatus} choices={JOB_STATUSES} />
          <Field label="Filter by kind">
            <input value={kind} onChange={(e) => setKind(e.target.value.trim())} placeholder="any" />
          </Field>
          <button type="button" className="secondary" onClick={jobs.reload}>
            Refresh
          </button>
        </div>
        {jobs.error ? <LoadError error={jobs.error} what="Jobs" /> : null}
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Estimated</th>
                <th scope="col">Charged</th>
                <th scope="col">Refunded</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.data?.data.map((j) => (
                <JobRow key={j.id} initial={j} stream={streamed.has(j.id)} />
              ))}
            </tbody>
          </table>
        </div>
        {jobs.data && jobs.data.data.length === 0 ? <p className="muted">No jobs yet.</p> : null}
      </section>
    </>
  );
}

function JobRow({ initial, stream }: { initial: Job; stream: boolean }) {
  const live = useLiveJob(initial, stream);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const j = job && job.id === live.id && isFinal(job.status) ? job : live;
  const cancel = async () => {
    setError(null);
    try {
      setJob(await post<Job>(`/jobs/${j.id}/cancel`));
    } catch (err) {
      setError(toApiError(err).message);
    }
  };
  return (
    <tr data-testid="job-row" data-job-id={j.id}>
      <td>
        <Link href={`/jobs/${j.id}`}>{j.id.slice(0, 8)}</Link>
      </td>
      <td>{j.kind}</td>
      <td>
        <StatusBadge status={j.status} />
        {error ? <span className="error-text" role="alert"> {error}</span> : null}
      </td>
      <td>
        <progress max={100} value={j.progress} aria-label={`Progress of job ${j.id.slice(0, 8)}`} /> {j.progress}%
      </td>
      <td>{fmt(j.credits.estimated)}</td>
      <td data-testid="job-charged">{fmt(j.credits.charged)}</td>
      <td data-testid="job-refunded">{fmt(j.credits.refunded)}</td>
      <td>{dateTime(j.created_at)}</td>
      <td>
        {!isFinal(j.status) ? (
          <button type="button" className="secondary" onClick={() => void cancel()} aria-label={`Cancel job ${j.id.slice(0, 8)}`}>
            Cancel
          </button>
        ) : null}
      </td>
    </tr>
  );
}

interface FileOutput {
  file_id: string;
  name: string;
  size_bytes: number;
}

/** Download through fetch (the session needs the CSRF header a plain link cannot send), then save the blob. */
async function download(file: FileOutput): Promise<void> {
  const res = await fetch(`/api/v1/files/${file.file_id}/content`, { headers: { "X-Holdfast-CSRF": "1" } });
  if (!res.ok) throw new Error(`Download failed (${res.status}).`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = file.name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function JobPage({ id }: { id: string }) {
  const loaded = useLoad(() => get<Job>(`/jobs/${id}`), [id]);
  if (loaded.error) return loaded.error.status === 404 ? <Notice kind="error">Job not found.</Notice> : <LoadError error={loaded.error} what="This job" />;
  if (!loaded.data) return <p className="loading">Loading…</p>;
  return <JobDetail initial={loaded.data} />;
}

function JobDetail({ initial }: { initial: Job }) {
  const j = useLiveJob(initial);
  const [error, setError] = useState<string | null>(null);
  const output = (j.result as { output?: FileOutput } | null)?.output;
  return (
    <>
      <h1>
        Job <code>{j.id.slice(0, 8)}</code> — {j.kind}
      </h1>
      <p>
        <StatusBadge status={j.status} /> <progress max={100} value={j.progress} aria-label="Progress" /> {j.progress}%
      </p>
      <dl className="facts">
        <dt>Estimated (held)</dt>
        <dd>{fmt(j.credits.estimated)}</dd>
        <dt>Held now</dt>
        <dd>{fmt(j.credits.held)}</dd>
        <dt>Charged</dt>
        <dd data-testid="job-charged">{fmt(j.credits.charged)}</dd>
        <dt>Refunded</dt>
        <dd data-testid="job-refunded">{fmt(j.credits.refunded)}</dd>
        <dt>Attempts</dt>
        <dd>{j.attempts}</dd>
        <dt>Created</dt>
        <dd>{dateTime(j.created_at)}</dd>
        <dt>Started</dt>
        <dd>{dateTime(j.started_at)}</dd>
        <dt>Finished</dt>
        <dd>{dateTime(j.finished_at)}</dd>
      </dl>
      {j.error ? (
        <Notice kind="error">
          {j.error.type === "system" ? "The platform failed (refunded): " : "The job failed: "}
          {j.error.message}
        </Notice>
      ) : null}
      {output ? (
        <p>
          <button type="button" onClick={() => download(output).catch((e: Error) => setError(e.message))}>
            Download {output.name} ({fmt(output.size_bytes)} bytes)
          </button>
        </p>
      ) : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <h2>Input</h2>
      <pre>{JSON.stringify(j.input, null, 2)}</pre>
      <h2>Result</h2>
      <pre data-testid="job-result">{j.result === null ? "—" : JSON.stringify(j.result, null, 2)}</pre>
      <p>
        <Link href="/jobs">Back to jobs</Link> · <Link href={`/disputes?job_id=${j.id}`}>Dispute this job</Link>
      </p>
    </>
  );
}
