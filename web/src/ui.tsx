/** Small shared pieces: loading data, notices, numbers and dates. */
import { cloneElement, type ReactElement, type ReactNode, useCallback, useEffect, useId, useState } from "react";
import { ApiError } from "./api";

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Load with `fn` when `deps` change; keeps the last data while reloading. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (err: unknown) => live && setState((s) => ({ data: s.data, error: toApiError(err), loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, "network", err instanceof Error ? err.message : String(err));
}

export function Notice({ kind = "info", children }: { kind?: "info" | "error" | "ok"; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/** What to show for a failed load: an endpoint this server does not have yet gets a calm notice. */
export function LoadError({ error, what }: { error: ApiError; what: string }) {
  if (error.missing) return <Notice>{what}: not available on this server yet.</Notice>;
  if (error.status === 503) return <Notice>{what}: {error.message}</Notice>;
  return <Notice kind="error">{error.message}</Notice>;
}

export const fmt = (n: number) => n.toLocaleString("en-US");
export const dateTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—");
export const shortDate = (iso: string) => new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "short" });
/** Credits → "$1.20" at `usdPerCredit` ("0.10"), in integer cents. */
export function usd(credits: number, usdPerCredit: string): string {
  const cents = Math.round(Number(usdPerCredit) * 100) * credits;
  return `$${(cents / 100).toFixed(2)}`;
}

/**
 * A list page's filter: a labelled select whose first choice (`none`, "any"
 * by default) filters nothing. A choice is its value, or [value, label].
 */
export function FilterSelect({ label, value, onChange, choices, none = "any" }: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  choices: readonly (string | readonly [string, string])[];
  none?: string;
}) {
  return (
    <Field label={label}>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{none}</option>
        {choices.map((c) => {
          const [v, text] = typeof c === "string" ? [c, c] : c;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </Field>
  );
}

export function Field({ label, children, hint }: { label: string; children: ReactElement<{ id?: string; "aria-describedby"?: string }>; hint?: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {cloneElement(children, { id, "aria-describedby": hint ? `${id}-hint` : undefined })}
      {hint ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}
