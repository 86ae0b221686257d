import type { z } from "zod";

/** Turn zod issues into API.md's `details.issues` (field paths + messages). */
export function zodIssues(err: z.ZodError, prefix: (string | number)[] = []): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join("."), message: i.message }));
}
