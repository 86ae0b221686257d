/** Email: templates, queueing with a dedupe key, sending, and transports (the worker is src/workers/mail-worker.ts). */
export * from "./notifications";
export * from "./send";
export * from "./templates";
export * from "./transport";
