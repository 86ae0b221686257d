/** Email: templates, queueing with a dedupe key, the mail worker and its transports. */
export * from "./notifications";
export * from "./templates";
export * from "./transport";
export * from "./worker";
