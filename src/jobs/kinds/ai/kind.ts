/**
 * The `ai` kind: a chat completion from an OpenAI-compatible endpoint,
 * priced by characters (see pricing.ts). The hold covers the input plus the
 * longest answer max_tokens allows; the charge counts the characters actually
 * sent and generated.
 *
 * Failure classes: the provider refusing the content (400/413/422, or 404 for
 * a model the user named) is the user's failure, charged the characters sent
 * (policy `measured`); 429, 5xx, network errors and malformed answers are the
 * platform's: retried with backoff, refunded when attempts run out. With no
 * AI_BASE_URL configured, submitting answers 503 and holds nothing.
 */
import type OpenAI from "openai";
import { NotConfigured } from "../../../errors";
import { SystemError, UserError } from "../../run-errors";
import type { JobKind } from "../../kind";
import { aiHold, aiMaxOutputChars, aiPrice, PRICES } from "../../price-list";
import { complete, createAiClient } from "./completion";
import { type AiInput, aiInput, inputChars, toMessages } from "./input";

export interface AiKindOptions {
  /** OpenAI-compatible base URL (e.g. https://api.openai.com/v1); unset → the kind is unavailable. */
  baseURL?: string;
  apiKey?: string;
  /** Model when the input names none. */
  model: string;
  /** Hard limit per attempt, in ms. */
  timeoutMs: number;
}

export interface AiResult {
  text: string;
  model: string;
  finish_reason: string | null;
  characters: { input: number; output: number };
  /** The provider's token counts, when it sent them (informational: the charge is by characters). */
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

export function aiKind(opts: AiKindOptions): JobKind<AiInput, AiResult, "ai"> {
  let client: OpenAI | null = null;
  const getClient = (): OpenAI => {
    if (!opts.baseURL) throw new SystemError("The AI provider is not configured on this worker (AI_BASE_URL is unset).");
    client ??= createAiClient({ baseURL: opts.baseURL, apiKey: opts.apiKey, timeoutMs: opts.timeoutMs });
    return client;
  };

  return {
    name: "ai",
    description: "A chat completion from the configured OpenAI-compatible provider, charged by characters sent and generated.",
    input: aiInput,
    creditType: PRICES.ai.creditType,
    onUserFailure: "measured",
    estimate(input) {
      if (!opts.baseURL) throw new NotConfigured("AI jobs are unavailable: no AI provider is configured (AI_BASE_URL).", "AI_BASE_URL");
      return aiHold(inputChars(input), input.max_tokens);
    },
    timeoutMs: () => opts.timeoutMs,
    async run(input, rc) {
      const sent = inputChars(input);
      const maxChars = aiMaxOutputChars(input.max_tokens);
      try {
        const c = await complete(getClient(), {
          model: input.model ?? opts.model,
          modelFromUser: input.model !== undefined,
          messages: toMessages(input),
          max_tokens: input.max_tokens,
          maxChars,
          signal: rc.signal,
          // Capped below 100: 100 means done, which only the worker says.
          onChars: (n) => rc.progress(Math.min(99, (n / maxChars) * 100)),
        });
        const usage = aiPrice({ input: sent, output: c.outputChars }).credits;
        rc.logger.debug({ sent, generated: c.outputChars, streamed: c.streamed, cut: c.cut }, "ai completion finished");
        return {
          result: { text: c.text, model: c.model, finish_reason: c.finish_reason, characters: { input: sent, output: c.outputChars }, usage: c.usage },
          usage,
        };
      } catch (err) {
        // The provider judged the content: charge what was sent (the measured part), per the policy.
        if (err instanceof UserError) throw new UserError(err.message, { usage: aiPrice({ input: sent, output: 0 }).credits, cause: err.cause });
        throw err;
      }
    },
  };
}
