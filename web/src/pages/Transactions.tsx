/** The caller's credit history: filter by type or job, page through, export CSV. */
import { useState } from "react";
import { get, type ListsAll, type Page, qs, type Transaction } from "../api";
import { dateTime, Field, FilterSelect, fmt, LoadError, Notice, useLoad } from "../ui";

export const TRANSACTION_TYPES = ["grant", "purchase", "subscription", "hold", "charge", "release", "refund", "expire", "adjustment", "dispute_refund", "clawback", "capture", "consume"] as const satisfies readonly Transaction["type"][];
type _EveryType = ListsAll<(typeof TRANSACTION_TYPES)[number], Transaction["type"]>;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  // Quote always; neutralise spreadsheet formulas (=, +, -, @ at the start).
  return `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
};

export function toCsv(rows: Transaction[]): string {
  const cols = ["id", "created_at", "type", "amount", "credit_type", "description", "job_id"] as const;
  return [cols.join(","), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(","))].join("\r\n") + "\r\n";
}

export function TransactionTable({ rows }: { rows: Transaction[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Type</th>
            <th scope="col">Credits</th>
            <th scope="col">Description</th>
            <th scope="col">Job</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.id} data-testid="transaction-row">
              <td>{dateTime(t.created_at)}</td>
              <td>{t.type}</td>
              <td className="num">{fmt(t.amount)}</td>
              <td>{t.description ?? ""}</td>
              <td>{t.job_id ? <code>{t.job_id.slice(0, 8)}</code> : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TransactionsPage() {
  const [type, setType] = useState("");
  const [jobId, setJobId] = useState("");
  const [more, setMore] = useState<{ rows: Transaction[]; cursor: string | null } | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const filter = { type, job_id: /^[0-9a-f-]{36}$/.test(jobId) ? jobId : undefined };
  const first = useLoad(() => {
    setMore(null);
    return get<Page<Transaction>>(`/credits/transactions${qs({ ...filter, limit: 50 })}`);
  }, [type, filter.job_id]);
  const rows = [...(first.data?.data ?? []), ...(more?.rows ?? [])];
  const cursor = more ? more.cursor : (first.data?.next_cursor ?? null);

  const loadMore = async () => {
    const page = await get<Page<Transaction>>(`/credits/transactions${qs({ ...filter, limit: 200, cursor })}`);
    setMore({ rows: [...(more?.rows ?? []), ...page.data], cursor: page.next_cursor });
  };

  const exportCsv = async () => {
    setExportError(null);
    try {
      const all: Transaction[] = [];
      let c: string | null = null;
      do {
        const page: Page<Transaction> = await get<Page<Transaction>>(`/credits/transactions${qs({ ...filter, limit: 200, cursor: c })}`);
        all.push(...page.data);
        c = page.next_cursor;
      } while (c && all.length < 50_000);
      const url = URL.createObjectURL(new Blob([toCsv(all)], { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = "holdfast-transactions.csv";
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setExportError((err as Error).message);
    }
  };

  return (
    <>
      <h1>Transactions</h1>
      <div className="filters">
        <FilterSelect label="Type" value={type} onChange={setType} choices={TRANSACTION_TYPES} />
        <Field label="Job id">
          <input value={jobId} onChange={(e) => setJobId(e.target.value.trim())} placeholder="any job" />
        </Field>
        <button type="button" className="secondary" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </div>
      {exportError ? <Notice kind="error">{exportError}</Notice> : null}
      {first.error ? <LoadError error={first.error} what="Transactions" /> : null}
      <TransactionTable rows={rows} />
      {rows.length === 0 && first.data ? <p className="muted">No transactions.</p> : null}
      {cursor ? (
        <button type="button" className="secondary" onClick={() => void loadMore()}>
          Load more
        </button>
      ) : null}
    </>
  );
}
