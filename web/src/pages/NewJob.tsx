/**
 * The New job form, built from the pricing catalogue (GET /api/v1/pricing):
 * kind, then the kind's fields; a live estimate (POST /estimates) before
 * submitting; file jobs upload first, with a progress bar.
 */
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { type ApiSchemas, type Catalogue, CSRF, type Estimate, get, type Job, post } from "../api";
import { navigate } from "../router";
import { Field, fmt, Notice, toApiError, useLoad } from "../ui";

const quoted = (item: string) => /"([^"]+)"/.exec(item)?.[1];

/** Upload with XMLHttpRequest: fetch cannot report upload progress. */
function upload(file: File, onProgress: (pct: number) => void): Promise<{ id: string; size_bytes: number }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/files?name=${encodeURIComponent(file.name)}`);
    for (const [k, v] of Object.entries(CSRF)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || "null");
      if (xhr.status === 201) resolve(body);
      else reject(new Error(body?.error?.message ?? `Upload failed (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error("Upload failed: network error."));
    xhr.send(file);
  });
}

export function NewJobForm({ onSubmitted }: { onSubmitted: () => void }) {
  const catalogue = useLoad(() => get<Catalogue>("/pricing"), []);
  const rows = catalogue.data?.rows ?? [];
  const kinds = useMemo(() => [...new Set(rows.map((r) => r.kind))], [rows]);
  const scripts = useMemo(() => ["wordcount", ...rows.filter((r) => r.kind === "script").map((r) => quoted(r.item)).filter((s): s is string => !!s)], [rows]);
  const operations = useMemo(() => rows.filter((r) => r.kind === "file").map((r) => quoted(r.item)).filter((s): s is string => !!s), [rows]);

  const [kind, setKind] = useState("script");
  const [script, setScript] = useState("wordcount");
  const [params, setParams] = useState('{ "text": "hello holdfast" }');
  const [prompt, setPrompt] = useState("");
  const [maxTokens, setMaxTokens] = useState("256");
  const [operation, setOperation] = useState("sha256");
  const [file, setFile] = useState<{ id: string; name: string } | null>(null);
  const [uploadPct, setUploadPct] = useState<number | null>(null);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** The job's input from the form, or a sentence saying what is missing. */
  const input = useMemo((): { input: unknown } | { problem: string } => {
    if (kind === "script") {
      try {
        return { input: { script, parameters: params.trim() ? JSON.parse(params) : {} } };
      } catch {
        return { problem: "Parameters must be JSON, e.g. { \"text\": \"hello\" }." };
      }
    }
    if (kind === "ai") return prompt.trim() ? { input: { prompt, max_tokens: Number(maxTokens) || undefined } } : { problem: "Write a prompt." };
    if (kind === "file") return file ? { input: { file_id: file.id, operation } } : { problem: "Upload a file first." };
    return { problem: "Choose a kind." };
  }, [kind, script, params, prompt, maxTokens, operation, file]);

  useEffect(() => {
    setEstimate(null);
    if ("problem" in input) return setProblem(input.problem);
    setProblem(null);
    let live = true;
    const t = setTimeout(() => {
      post<Estimate>("/estimates", { kind, input: input.input } satisfies ApiSchemas["EstimateRequest"]).then(
        (e) => live && setEstimate(e),
        (err: unknown) => live && setProblem(toApiError(err).message),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [kind, input]);

  const onFile = async (f: File | undefined) => {
    setFile(null);
    if (!f) return;
    setUploadPct(0);
    try {
      const up = await upload(f, setUploadPct);
      setFile({ id: up.id, name: f.name });
    } catch (err) {
      setProblem((err as Error).message);
      setUploadPct(null);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if ("problem" in input) return;
    setBusy(true);
    setSubmitError(null);
    try {
      // One key per click: a retried request after a network error cannot submit twice.
      const job = await post<Job>("/jobs", { kind, input: input.input } satisfies ApiSchemas["SubmitJobRequest"], { "Idempotency-Key": crypto.randomUUID() });
      onSubmitted();
      navigate(`/jobs/${job.id}`);
    } catch (err) {
      setSubmitError(toApiError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="job-form">
      <Field label="Kind">
        <select value={kind} onChange={(e) => setKind(e.target.value)}>
          {(kinds.length ? kinds : ["script"]).map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </Field>
      {kind === "script" ? (
        <>
          <Field label="Script">
            <select value={script} onChange={(e) => setScript(e.target.value)}>
              {[...new Set(scripts)].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </Field>
          <Field label="Parameters (JSON)">
            <textarea rows={3} value={params} onChange={(e) => setParams(e.target.value)} spellCheck={false} />
          </Field>
        </>
      ) : null}
      {kind === "ai" ? (
        <>
          <Field label="Prompt">
            <textarea rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
          </Field>
          <Field label="Max tokens">
            <input type="number" min={1} value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} />
          </Field>
        </>
      ) : null}
      {kind === "file" ? (
        <>
          <Field label="File">
            <input type="file" onChange={(e) => void onFile(e.target.files?.[0])} />
          </Field>
          {uploadPct !== null ? (
            <p>
              <progress max={100} value={uploadPct} aria-label="Upload progress" /> {uploadPct}% {file ? `— ${file.name} uploaded` : ""}
            </p>
          ) : null}
          <Field label="Operation">
            <select value={operation} onChange={(e) => setOperation(e.target.value)}>
              {operations.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </Field>
        </>
      ) : null}
      <p aria-live="polite" className="estimate">
        {estimate ? (
          <>
            Estimate: <strong data-testid="estimate">{fmt(estimate.credits)}</strong> credits ({estimate.breakdown.map((b) => `${b.item}: ${b.credits}`).join("; ")})
          </>
        ) : problem ? (
          <span className="muted">{problem}</span>
        ) : (
          <span className="muted">Estimating…</span>
        )}
      </p>
      <button type="submit" disabled={busy || !estimate}>
        Submit job
      </button>
      {submitError ? <Notice kind="error">{submitError}</Notice> : null}
    </form>
  );
}
