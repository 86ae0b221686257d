/**
 * A job's event stream (GET /api/v1/jobs/:id/events) read with fetch, not
 * EventSource: EventSource cannot send the CSRF header that cookie sessions
 * need. Parses the text/event-stream format; reconnects while the job is live.
 */
import { CSRF, type Job } from "./api";

export type JobStreamEvent = { event: "job"; data: Job } | { event: "progress"; data: { progress: number } } | { event: "status"; data: { status: Job["status"] } };

export function watchJob(id: string, onEvent: (e: JobStreamEvent) => void): () => void {
  const ctrl = new AbortController();
  let done = false;
  const run = async () => {
    while (!done && !ctrl.signal.aborted) {
      try {
        const res = await fetch(`/api/v1/jobs/${encodeURIComponent(id)}/events`, { headers: CSRF, signal: ctrl.signal });
        if (!res.ok || !res.body) return;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done: end } = await reader.read();
          if (end) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const name = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!name || !data) continue;
            const ev = { event: name, data: JSON.parse(data) } as JobStreamEvent;
            if (ev.event === "job" && ["succeeded", "failed", "canceled"].includes(ev.data.status)) done = true;
            onEvent(ev);
          }
        }
      } catch {
        if (ctrl.signal.aborted) return;
      }
      if (!done) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => ctrl.abort();
}
