import type { z } from "zod";

/** Turn zod issues into API.md's `details.issues` (field paths + messages). */
export function zodIssues(err: z.ZodError, prefix: (string | number)[] = []): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join("."), message: readable(i) }));
}

/**
 * zod's default message for a missing field ("Invalid input: expected nonoptional, received
 * undefined") reads like a type error; say that the field is required. Messages a schema set
 * itself are kept as they are.
 */
function readable(i: z.core.$ZodIssue): string {
  const missing = i.code === "invalid_type" && /^Invalid input: expected \w+, received undefined$/.test(i.message);
  if (!missing) return i.message;
  return i.expected === "nonoptional" ? "is required" : `is required (${i.expected})`;
}
