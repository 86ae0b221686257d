/** The two-phase, double-entry credit ledger. Knows nothing of HTTP or queues. */
export * from "./accounts";
export * from "./balances";
export * from "./check";
export * from "./lots";
export * from "./plans";
export * from "./spend-limits";
export * from "./transfers";
export * from "./types";
