/**
 * The dashboard's only way to the platform: the public /api/v1, with the
 * session cookie (sent by the browser, unreadable to scripts) and the CSRF
 * header the API requires for cookie sessions. No key is ever stored here.
 */
export const CSRF = { "X-Holdfast-CSRF": "1" };

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
  /** The endpoint does not exist on this server (yet): pages show a notice instead of failing. */
  get missing(): boolean {
    return this.status === 404 && this.code === "not_found" && this.details.route !== undefined;
  }
}

export async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: "same-origin",
    headers: { ...CSRF, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json as { error?: ApiErrorBody } | null)?.error;
    throw new ApiError(res.status, e?.code ?? "http_error", e?.message ?? `The server answered ${res.status}.`, { ...(e?.details ?? {}), ...(res.status === 404 && e?.message?.startsWith("No route") ? { route: path } : {}) });
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>("GET", path);
export const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) => api<T>("POST", path, body ?? {}, headers);
export const put = <T>(path: string, body?: unknown) => api<T>("PUT", path, body ?? {});

export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

// ------------------------------------------------------------ shapes (API.md)

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
export interface UserView {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin" | "service";
  status: "active" | "paused";
  created_at: string;
}
export interface Balance {
  credit_type: string;
  available: number;
  held: number;
  posted: number;
  status: "active" | "paused";
  by_type: { credit_type: string; available: number; held: number; posted: number }[];
  /** Credits owed after a Stripe refund or lost chargeback; while > 0 new work is refused. */
  debt: number;
  /** Purchased credits frozen by an open chargeback. */
  frozen: number;
}
export interface Transaction {
  id: string;
  type: string;
  amount: number;
  credit_type: string;
  description: string | null;
  job_id: string | null;
  created_at: string;
}
export interface Summary {
  period: { month: string; start: string; end: string };
  granted: number;
  spent: number;
  refunded: number;
  released: number;
  expired: number;
  held: number;
  spent_usd: string;
  usd_per_credit: string;
  spend_by_kind: { kind: string; jobs: number; credits: number; usd: string }[];
}
export interface Job {
  id: string;
  kind: string;
  status: "queued" | "running" | "succeeded" | "failed" | "canceled";
  progress: number;
  input: unknown;
  credits: { estimated: number; held: number; charged: number; refunded: number };
  result: unknown;
  error: { type: "user" | "system"; message: string } | null;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}
export interface Catalogue {
  min_job_credits: number;
  rows: { kind: string; item: string; unit: string; credits: number; credit_type: string }[];
}
export interface Estimate {
  kind: string;
  credits: number;
  credit_type: string;
  breakdown: { item: string; credits: number }[];
}
export interface Dispute {
  id: string;
  user_id: string;
  status: "open" | "under_review" | "resolved";
  job_id: string | null;
  transaction_id: string | null;
  disputed_credits: number;
  reason: string;
  description: string;
  outcome: "refunded" | "rejected" | null;
  refunded_credits: number;
  admin_note: string | null;
  created_at: string;
}

export const isFinal = (s: Job["status"]) => s === "succeeded" || s === "failed" || s === "canceled";
