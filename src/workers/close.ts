import type { Worker } from "bullmq";
import { within } from "../lib/deadline";

/**
 * Stop a BullMQ worker: it takes no new jobs and its running ones get up to
 * `timeoutMs` to finish. Past that, `onTimeout` runs (abort them, say) and
 * the close is forced; a forced-off job's lock expires and it is retried
 * elsewhere, so nothing is lost. Resolves once the worker is closed.
 */
export async function closeWorker(worker: Worker, timeoutMs: number, onTimeout?: () => void): Promise<void> {
  const closing = worker.close();
  if ((await within(closing, timeoutMs, "timeout")) === "timeout") {
    onTimeout?.();
    await worker.close(true);
    await closing;
  }
}
