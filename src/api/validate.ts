import type { z } from "zod";
import { InvalidRequest } from "../errors";
import { zodIssues } from "../lib/validation";

/** Parse with a zod schema at the boundary; a failure is a 400 listing each field path. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what = "request body"): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidRequest(`The ${what} is not valid.`, { issues: zodIssues(r.error) });
  return r.data;
}
