/** What an ai job accepts, and how its characters are counted for pricing. */
import { z } from "zod";

/** max_tokens when the input names none. */
export const DEFAULT_MAX_TOKENS = 512;
/** The largest max_tokens a job may ask for (bounds the hold). */
export const MAX_TOKENS_LIMIT = 16_384;
/** Most characters one job may send, over all messages. */
export const MAX_INPUT_CHARS = 200_000;

const message = z
  .object({
    role: z.enum(["system", "user", "assistant"]),
    content: z.string().min(1, "must not be empty").max(MAX_INPUT_CHARS),
  })
  .strict();

export interface AiInput {
  prompt?: string;
  messages?: { role: "system" | "user" | "assistant"; content: string }[];
  model?: string;
  /** Always set after parsing (DEFAULT_MAX_TOKENS when omitted), so the hold is reproducible. */
  max_tokens: number;
}

/** Characters as people count them (Unicode code points, not UTF-16 units). */
export function countChars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function toMessages(i: AiInput): { role: "system" | "user" | "assistant"; content: string }[] {
  return i.messages ?? [{ role: "user", content: i.prompt ?? "" }];
}

/** Characters sent: the content of every message (roles and framing are free). */
export function inputChars(i: AiInput): number {
  return toMessages(i).reduce((n, m) => n + countChars(m.content), 0);
}

export const aiInput: z.ZodType<AiInput> = z
  .object({
    prompt: z.string().min(1, "must not be empty").max(MAX_INPUT_CHARS).optional(),
    messages: z.array(message).min(1, "needs at least one message").max(100).optional(),
    model: z
      .string()
      .regex(/^[A-Za-z0-9._:/-]{1,100}$/, "letters, digits and . _ : / - only (at most 100)")
      .optional(),
    max_tokens: z.number().int("must be a whole number").min(1).max(MAX_TOKENS_LIMIT, `at most ${MAX_TOKENS_LIMIT}`).default(DEFAULT_MAX_TOKENS),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.prompt === undefined) === (v.messages === undefined)) {
      ctx.addIssue({ code: "custom", path: ["prompt"], message: "send either prompt or messages, not both and not neither" });
    } else if (inputChars(v) > MAX_INPUT_CHARS) {
      ctx.addIssue({ code: "custom", path: [v.prompt === undefined ? "messages" : "prompt"], message: `at most ${MAX_INPUT_CHARS} characters in all` });
    }
  });
