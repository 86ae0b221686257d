/** Disputes: open one about a job or a charge, and follow its status (needs the disputes API). */
import { type FormEvent, type ReactNode, useState } from "react";
import { type ApiSchemas, type Dispute, get, type ListsAll, type Page, post } from "../api";
import { dateTime, Field, fmt, LoadError, Notice, toApiError, useLoad } from "../ui";

const REASONS = [
  ["failed_job", "The job failed"],
  ["wrong_charge", "Wrong charge"],
  ["quality", "Poor quality"],
  ["other", "Other"],
] as const satisfies readonly (readonly [Dispute["reason"], string])[];
type _EveryReason = ListsAll<(typeof REASONS)[number][0], Dispute["reason"]>;

export function DisputesPage() {
  const params = new URLSearchParams(location.search);
  const list = useLoad(() => get<Page<Dispute>>("/disputes"), []);
  const [target, setTarget] = useState(params.get("job_id") ?? params.get("transaction_id") ?? "");
  const [targetType, setTargetType] = useState<"job_id" | "transaction_id">(params.get("transaction_id") ? "transaction_id" : "job_id");
  const [reason, setReason] = useState<Dispute["reason"]>("failed_job");
  const [description, setDescription] = useState("");
  const [msg, setMsg] = useState<{ kind: "ok" | "error"; text: string } | null>(null);

  const open = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    try {
      const d = await post<Dispute>("/disputes", { [targetType]: target.trim(), reason, description } satisfies ApiSchemas["OpenDisputeRequest"]);
      setMsg({ kind: "ok", text: `Dispute opened for ${fmt(d.disputed_credits)} credits.` });
      setDescription("");
      list.reload();
    } catch (err) {
      const e2 = toApiError(err);
      setMsg({ kind: "error", text: e2.missing ? "Disputes are not available on this server yet." : e2.message });
    }
  };

  return (
    <>
      <h1>Disputes</h1>
      {list.error ? <LoadError error={list.error} what="Disputes" /> : null}
      <section aria-labelledby="open-title" className="panel">
        <h2 id="open-title">Open a dispute</h2>
        <form onSubmit={(e) => void open(e)} className="inline-form">
          <Field label="About">
            <select value={targetType} onChange={(e) => setTargetType(e.target.value as "job_id" | "transaction_id")}>
              <option value="job_id">a job</option>
              <option value="transaction_id">a charge (transaction)</option>
            </select>
          </Field>
          <Field label={targetType === "job_id" ? "Job id" : "Transaction id"}>
            <input value={target} onChange={(e) => setTarget(e.target.value)} required />
          </Field>
          <Field label="Reason">
            <select value={reason} onChange={(e) => setReason(e.target.value as Dispute["reason"])}>
              {REASONS.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </Field>
          <Field label="What happened">
            <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} required />
          </Field>
          <button type="submit">Open dispute</button>
        </form>
        {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      </section>
      <section aria-labelledby="mine-title">
        <h2 id="mine-title">Your disputes</h2>
        <DisputeTable rows={list.data?.data ?? []} />
      </section>
    </>
  );
}

export function DisputeTable({ rows, actions }: { rows: Dispute[]; actions?: (d: Dispute) => ReactNode }) {
  if (rows.length === 0) return <p className="muted">No disputes.</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Opened</th>
            <th scope="col">About</th>
            <th scope="col">Reason</th>
            <th scope="col">Credits</th>
            <th scope="col">Status</th>
            <th scope="col">Outcome</th>
            {actions ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id} data-testid="dispute-row">
              <td>{dateTime(d.created_at)}</td>
              <td>
                <code>{(d.job_id ?? d.transaction_id ?? "").slice(0, 8)}</code>
              </td>
              <td>{d.reason}</td>
              <td>{fmt(d.disputed_credits)}</td>
              <td data-testid="dispute-status">{d.status}</td>
              <td>{d.outcome ? `${d.outcome}${d.outcome === "refunded" ? ` (${fmt(d.refunded_credits)})` : ""}` : "—"}</td>
              {actions ? <td>{actions(d)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
