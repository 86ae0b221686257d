import type { z } from "zod";
import { InvalidRequest } from "../errors";
import { zodIssues } from "../lib/validation";

/** Parse with a zod schema at the boundary; a failure is a 400 listing each field path. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what = "request body"): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    // No parsed body at all: nothing was sent, or it was not sent as JSON (curl -d without a
    // Content-Type sends a form). Say so instead of listing every field as missing.
    if (value === undefined && what === "request body") {
      throw new InvalidRequest("The request body is missing or is not JSON: send a JSON object with `Content-Type: application/json`.", {
        issues: [{ path: "", message: "expected a JSON object" }],
      });
    }
    throw new InvalidRequest(`The ${what} is not valid.`, { issues: zodIssues(r.error) });
  }
  return r.data;
}
