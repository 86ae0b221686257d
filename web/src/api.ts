/**
 * The dashboard's only way to the platform: the public /api/v1, with the
 * session cookie (sent by the browser, unreadable to scripts) and the CSRF
 * header the API requires for cookie sessions. No key is ever stored here.
 */
import type { components, Page, paths } from "../../sdk/src/types";

export const CSRF = { "X-Holdfast-CSRF": "1" };

/** The `error` object of every error answer. */
export type ApiErrorBody = components["schemas"]["Error"]["error"];

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

// ------------------------------------------------------------ shapes
// The API's shapes come from the SDK's types, generated from the OpenAPI
// document the server serves (sdk/src/generated/openapi.ts; a drift test keeps
// it current), so the dashboard cannot silently disagree with the API. Only
// sdk/src/types.ts is imported: it is types only (the SDK's index pulls in its
// Node client), and `import type` leaves nothing in the bundle.

/** Every schema of the document; pages check their request bodies with `satisfies ApiSchemas["…Request"]`. */
export type ApiSchemas = components["schemas"];
/** The JSON body of a route's `status` answer, as the OpenAPI document declares it. */
type JsonBody<P extends keyof paths, M extends "get" | "post" | "put", Status extends number> =
  paths[P][M] extends { responses: { [S in Status]: { content: { "application/json": infer B } } } } ? B : never;

export type { Page };
export type UserView = ApiSchemas["User"];
/** GET /admin/users/:id: a user with what an admin needs to see (pause reason, debt, frozen credits). */
export type AdminUserView = ApiSchemas["AdminUser"];
export type DashboardSession = ApiSchemas["DashboardSession"];
export type Balance = ApiSchemas["Balance"];
export type Transaction = ApiSchemas["Transaction"];
export type Summary = ApiSchemas["CreditSummary"];
export type CreditRate = ApiSchemas["CreditRate"];
export type CreditLot = ApiSchemas["CreditLot"];
export type SpendLimits = ApiSchemas["SpendLimits"];
export type Job = ApiSchemas["Job"];
export type Batch = ApiSchemas["Batch"];
/** GET /batches items: a batch without its `jobs`. */
export type BatchSummary = ApiSchemas["BatchSummary"];
export type Catalogue = ApiSchemas["PricingCatalogue"];
export type Estimate = ApiSchemas["Estimate"];
export type Dispute = ApiSchemas["Dispute"];
export type SystemSummary = ApiSchemas["SystemCreditSummary"];
export type SystemSpend = ApiSchemas["SystemSpendByDay"];
export type Alert = ApiSchemas["Alert"];
export type PortalSession = JsonBody<"/api/v1/billing/portal", "post", 200>;

/**
 * For the dashboard's lists of an API enum (filters, choices): `type _All = ListsAll<(typeof LIST)[number], Enum>`
 * fails to compile, naming the value, when the API gains a value the list lacks (`satisfies readonly Enum[]`
 * on the list catches the other way round).
 */
export type ListsAll<Listed, Enum extends Listed> = Enum;

export const isFinal = (s: Job["status"]) => s === "succeeded" || s === "failed" || s === "canceled";
