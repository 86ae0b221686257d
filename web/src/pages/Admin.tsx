/**
 * The admin dashboard: users (search, status filter, balance, lots, history,
 * limits, add/remove credits, pause/resume with a reason), system totals with
 * a chart, alerts, the dispute queue and a link to Bull Board.
 */
import { type FormEvent, useEffect, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import {
  type AdminUserView, type Alert, type ApiSchemas, type Balance, type CreditLot, type CreditRate, type Dispute, get, type Page, post, put, qs,
  type SpendLimits, type SystemSpend, type SystemSummary, type Transaction, type UserView,
} from "../api";
import { Link } from "../router";
import { dateTime, Field, FilterSelect, fmt, LoadError, Notice, shortDate, toApiError, useLoad } from "../ui";
import { DisputeTable } from "./Disputes";
import { TransactionTable } from "./Transactions";
import { COLORS } from "./Usage";

export function AdminApp({ path }: { path: string }) {
  const user = /^\/admin\/users\/([0-9a-f-]{36})$/.exec(path);
  if (user) return <UserDetail id={user[1]!} />;
  if (path === "/admin/system") return <SystemPage />;
  if (path === "/admin/disputes") return <DisputeQueue />;
  return <UsersPage />;
}

function UsersPage() {
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  // The server searches every user (email, name, id prefix); a pause while typing saves a request per key.
  const [q, setQ] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const users = useLoad(() => get<Page<UserView>>(`/admin/users${qs({ status, q: q || undefined, limit: 200 })}`), [status, q]);
  const rows = users.data?.data ?? [];
  return (
    <>
      <h1>Users</h1>
      <div className="filters">
        <Field label="Search">
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="email, name or id" />
        </Field>
        <FilterSelect label="Status" value={status} onChange={setStatus} choices={["active", "paused"]} />
      </div>
      {users.error ? <LoadError error={users.error} what="Users" /> : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((u) => (
              <tr key={u.id} data-testid="user-row" data-user-id={u.id}>
                <td>
                  <Link href={`/admin/users/${u.id}`}>{u.email}</Link>
                </td>
                <td>{u.name ?? ""}</td>
                <td>{u.role}</td>
                <td data-testid="user-status">{u.status}</td>
                <td>{dateTime(u.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {users.data && rows.length === 0 ? <p className="muted">No users match.</p> : null}
    </>
  );
}

function UserDetail({ id }: { id: string }) {
  const user = useLoad(() => get<AdminUserView>(`/admin/users/${id}`), [id]);
  const balance = useLoad(() => get<Balance>(`/admin/users/${id}/balance`), [id]);
  const lots = useLoad(() => get<Page<CreditLot>>(`/admin/users/${id}/lots`), [id]);
  const history = useLoad(() => get<Page<Transaction>>(`/admin/users/${id}/transactions?limit=50`), [id]);
  const [msg, setMsg] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [tick, setTick] = useState(0);
  const refresh = () => {
    user.reload();
    balance.reload();
    lots.reload();
    history.reload();
    setTick((t) => t + 1);
  };
  const act = async (what: string, fn: () => Promise<unknown>) => {
    setMsg(null);
    try {
      await fn();
      setMsg({ kind: "ok", text: what });
      refresh();
    } catch (err) {
      const e = toApiError(err);
      setMsg({ kind: "error", text: e.missing ? "This action is not available on this server yet." : e.message });
    }
  };
  const credits = (dir: "add" | "remove") => (e: FormEvent) => {
    e.preventDefault();
    void act(`Credits ${dir === "add" ? "added" : "removed"}.`, () =>
      // credit_type is left to the server's default ("standard"); the generated type lists defaulted fields as required.
      post(`/admin/credits/${dir}`, { user_id: id, amount: Number(amount), description: reason.trim() || `admin ${dir}` } satisfies Omit<ApiSchemas["AddCreditsRequest"] & ApiSchemas["RemoveCreditsRequest"], "credit_type">, { "Idempotency-Key": crypto.randomUUID() }),
    );
  };
  const u = user.data;
  return (
    <>
      <p>
        <Link href="/admin">← Users</Link>
      </p>
      <h1>{u ? u.email : "User"}</h1>
      {user.error ? <LoadError error={user.error} what="This user" /> : null}
      {u ? (
        <p>
          Role {u.role} · status <strong data-testid="user-status">{u.status}</strong> · since {dateTime(u.created_at)}
        </p>
      ) : null}
      <section className="cards" aria-label="Balance">
        <div className="card">
          <h2>Available</h2>
          <p className="big" data-testid="admin-balance-available">{balance.data ? fmt(balance.data.available) : "…"}</p>
        </div>
        <div className="card">
          <h2>Held</h2>
          <p className="big">{balance.data ? fmt(balance.data.held) : "…"}</p>
        </div>
        <div className="card">
          <h2>Posted</h2>
          <p className="big">{balance.data ? fmt(balance.data.posted) : "…"}</p>
        </div>
      </section>
      <section aria-labelledby="actions-title" className="panel">
        <h2 id="actions-title">Actions</h2>
        <Field label="Reason (goes to the audit log)">
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </Field>
        <form className="inline-form" onSubmit={credits("add")}>
          <Field label="Credits">
            <input type="number" min={1} value={amount} onChange={(e) => setAmount(e.target.value)} required />
          </Field>
          <button type="submit">Add credits</button>
          <button type="button" className="secondary" onClick={(e) => credits("remove")(e as unknown as FormEvent)} disabled={!amount}>
            Remove credits
          </button>
        </form>
        <p>
          {u?.status === "paused" ? (
            <button type="button" onClick={() => void act("Resumed.", () => post("/admin/credits/resume", { user_id: id, ...(reason.trim() ? { reason: reason.trim() } : {}) } satisfies ApiSchemas["CreditStatusRequest"]))}>
              Resume
            </button>
          ) : (
            <button type="button" className="danger" onClick={() => void act("Paused.", () => post("/admin/credits/pause", { user_id: id, ...(reason.trim() ? { reason: reason.trim() } : {}) } satisfies ApiSchemas["CreditStatusRequest"]))}>
              Pause
            </button>
          )}
        </p>
        <CeilingsForm userId={id} reason={reason} act={act} key={tick} />
        {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      </section>
      <section aria-labelledby="lots-title">
        <h2 id="lots-title">Lots</h2>
        {lots.error ? <LoadError error={lots.error} what="Lots" /> : null}
        <ul className="lots">
          {lots.data?.data.map((l) => (
            <li key={l.id}>
              <strong>{fmt(l.remaining)}</strong> {l.category} {l.expires_at ? `expire on ${shortDate(l.expires_at)}` : "never expire"}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        {history.error ? <LoadError error={history.error} what="History" /> : null}
        <TransactionTable rows={history.data?.data ?? []} />
      </section>
    </>
  );
}

/**
 * The user's limit ceilings (the most they may set themselves), from
 * GET /admin/users/:id/limits; saving sends only what changed, so setting one
 * ceiling never clears the other. Empty means no ceiling.
 */
function CeilingsForm({ userId, reason, act }: { userId: string; reason: string; act: (what: string, fn: () => Promise<unknown>) => Promise<void> }) {
  const limits = useLoad(() => get<SpendLimits>(`/admin/users/${userId}/limits`), [userId]);
  const l = limits.data;
  const loaded = { daily: l?.ceiling_daily?.toString() ?? "", monthly: l?.ceiling_monthly?.toString() ?? "" };
  const [form, setForm] = useState<{ daily: string; monthly: string } | null>(null);
  const f = form ?? loaded;
  const toCeiling = (v: string) => (v.trim() === "" ? null : Number(v));
  const save = (e: FormEvent) => {
    e.preventDefault();
    const body: ApiSchemas["UpdateSpendCeilingsRequest"] = {};
    if (f.daily !== loaded.daily) body.ceiling_daily = toCeiling(f.daily);
    if (f.monthly !== loaded.monthly) body.ceiling_monthly = toCeiling(f.monthly);
    if (reason.trim()) body.reason = reason.trim();
    void act("Limit ceilings saved.", () => put(`/admin/users/${userId}/limits`, body));
  };
  return (
    <>
      <h3 className="sub">Spend limit ceilings</h3>
      {limits.error ? <LoadError error={limits.error} what="Limits" /> : null}
      {l ? (
        <p className="muted" data-testid="user-limits">
          In force: daily {l.daily === null ? "none" : fmt(l.daily)} (spent today {fmt(l.spent_today)}), monthly {l.monthly === null ? "none" : fmt(l.monthly)} (spent this month {fmt(l.spent_this_month)}).
        </p>
      ) : null}
      <form className="inline-form" onSubmit={save}>
        <Field label="Daily ceiling (credits)" hint="empty: none">
          <input type="number" min={0} step={1} value={f.daily} onChange={(e) => setForm({ ...f, daily: e.target.value })} placeholder="none" />
        </Field>
        <Field label="Monthly ceiling (credits)" hint="empty: none">
          <input type="number" min={0} step={1} value={f.monthly} onChange={(e) => setForm({ ...f, monthly: e.target.value })} placeholder="none" />
        </Field>
        <button type="submit" className="secondary">
          Save ceilings
        </button>
      </form>
    </>
  );
}

function SystemPage() {
  const sys = useLoad(() => get<SystemSummary>("/admin/credits/system/summary"), []);
  const rate = useLoad(() => get<CreditRate>("/credits/rate"), []);
  const alerts = useLoad(() => get<Page<Alert>>("/admin/alerts"), []);
  const s = sys.data;
  const perCredit = Number(rate.data?.usd_per_credit ?? "0.10");
  const money = (n: number) => `$${((Math.round(perCredit * 100) * n) / 100).toFixed(2)}`;
  const totals = s
    ? [
        ["Issued", s.issued],
        ["Spent", s.spent],
        ["Refunded", s.refunded],
        ["Expired", s.expired],
        ["Outstanding", s.outstanding],
      ] as const
    : [];
  return (
    <>
      <h1>System</h1>
      {sys.error ? <LoadError error={sys.error} what="System totals" /> : null}
      <section className="cards" aria-label="Totals">
        {totals.map(([label, n]) => (
          <div className="card" key={label}>
            <h2>{label}</h2>
            <p className="big" data-testid={`system-${label.toLowerCase()}`}>{fmt(n)}</p>
            <p className="muted">{money(n)}</p>
          </div>
        ))}
        {s ? (
          <div className="card">
            <h2>Users</h2>
            <p className="big">{fmt(s.users.total)}</p>
            <p className="muted">
              {fmt(s.users.active)} active, {fmt(s.users.paused)} paused
            </p>
          </div>
        ) : null}
      </section>
      <SpendChart money={money} />
      <section aria-labelledby="alerts-title">
        <h2 id="alerts-title">Alerts</h2>
        {alerts.error ? <LoadError error={alerts.error} what="Alerts" /> : null}
        {alerts.data && alerts.data.data.length === 0 ? <p className="muted">No alerts.</p> : null}
        <ul>
          {alerts.data?.data.map((a) => (
            <li key={a.id}>
              {dateTime(a.created_at)} — <strong>{a.type}</strong> {a.user_id ? <Link href={`/admin/users/${a.user_id}`}>user {a.user_id.slice(0, 8)}</Link> : null}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="queues-title">
        <h2 id="queues-title">Queues</h2>
        <p>
          <a href="/admin/queues">Open the queue dashboard (Bull Board)</a>
        </p>
      </section>
    </>
  );
}

/** Credits spent per day across all users (GET /admin/credits/system/spend), stacked by job kind like the Usage page. */
function SpendChart({ money }: { money: (n: number) => string }) {
  const spend = useLoad(() => get<SystemSpend>("/admin/credits/system/spend?days=30"), []);
  const s = spend.data;
  const kinds = s ? [...new Set(s.by_day.flatMap((d) => d.by_kind.map((k) => k.kind)))].sort() : [];
  const rows = s?.by_day.map((d) => ({ day: d.date.slice(5), ...Object.fromEntries(d.by_kind.map((k) => [k.kind, k.credits])) })) ?? [];
  return (
    <section aria-labelledby="spend-chart-title">
      <h2 id="spend-chart-title">Credits spent per day, last 30 days</h2>
      {spend.error ? <LoadError error={spend.error} what="System spend" /> : null}
      <p>
        Total: <strong data-testid="system-spend-total">{s ? fmt(s.total) : "…"}</strong> credits{s ? ` (${money(s.total)})` : ""}
      </p>
      <div className="chart" role="img" aria-label={s ? `Bar chart of credits spent per day by job kind, ${s.from} to ${s.to}; ${s.total} credits in all` : "Loading chart"}>
        {s ? (
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" fontSize={11} interval="preserveStartEnd" />
              <YAxis allowDecimals={false} fontSize={11} width={50} />
              <Tooltip cursor={{ fill: "rgba(0, 0, 0, 0.04)" }} />
              <Legend />
              {kinds.map((k, i) => (
                <Bar key={k} dataKey={k} stackId="spend" fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        ) : null}
      </div>
      {s ? (
        <details>
          <summary>The chart's numbers</summary>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Day (UTC)</th>
                  <th scope="col" className="num">Credits</th>
                  <th scope="col" className="num">Dollars</th>
                  <th scope="col">By kind</th>
                </tr>
              </thead>
              <tbody>
                {s.by_day
                  .filter((d) => d.spent > 0)
                  .map((d) => (
                    <tr key={d.date} data-testid="spend-day" data-date={d.date}>
                      <td>{d.date}</td>
                      <td className="num" data-testid="spend-day-credits">{fmt(d.spent)}</td>
                      <td className="num">${d.spent_usd}</td>
                      <td>{d.by_kind.map((k) => `${k.kind} ${fmt(k.credits)}`).join(", ")}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : null}
    </section>
  );
}

function DisputeQueue() {
  const [status, setStatus] = useState("open");
  const list = useLoad(() => get<Page<Dispute>>(`/admin/disputes${qs({ status })}`), [status]);
  const [msg, setMsg] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const act = async (fn: () => Promise<unknown>, text: string) => {
    setMsg(null);
    try {
      await fn();
      setMsg({ kind: "ok", text });
      list.reload();
    } catch (err) {
      setMsg({ kind: "error", text: toApiError(err).message });
    }
  };
  return (
    <>
      <h1>Dispute queue</h1>
      <FilterSelect label="Status" value={status} onChange={setStatus} choices={["open", ["under_review", "under review"], "resolved"]} />
      {list.error ? <LoadError error={list.error} what="The dispute queue" /> : null}
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      <DisputeTable
        rows={list.data?.data ?? []}
        actions={(d) => (d.status === "resolved" ? null : <ResolveForm dispute={d} act={act} />)}
      />
    </>
  );
}

function ResolveForm({ dispute, act }: { dispute: Dispute; act: (fn: () => Promise<unknown>, text: string) => Promise<void> }) {
  const [credits, setCredits] = useState(String(dispute.disputed_credits));
  const [note, setNote] = useState("");
  const base = `/admin/disputes/${dispute.id}`;
  return (
    <div className="resolve">
      {dispute.status === "open" ? (
        <button type="button" className="secondary" onClick={() => void act(() => post(`${base}/review`), "Marked under review.")}>
          Review
        </button>
      ) : null}
      <Field label="Refund credits">
        <input type="number" min={1} max={dispute.disputed_credits} value={credits} onChange={(e) => setCredits(e.target.value)} />
      </Field>
      <Field label="Note">
        <input value={note} onChange={(e) => setNote(e.target.value)} />
      </Field>
      <button type="button" onClick={() => void act(() => post(`${base}/resolve`, { outcome: "refund", credits: Number(credits), note: note || "refunded" } satisfies ApiSchemas["ResolveDisputeRequest"]), "Refunded.")}>
        Refund
      </button>
      <button type="button" className="secondary" onClick={() => void act(() => post(`${base}/resolve`, { outcome: "reject", note: note || "rejected" } satisfies ApiSchemas["ResolveDisputeRequest"]), "Rejected.")}>
        Reject
      </button>
    </div>
  );
}
