/**
 * One chat completion from an OpenAI-compatible endpoint, through the real
 * `openai` client. We always ask for a stream (with usage in the last chunk)
 * and read it as it arrives, for progress; a provider that answers with a
 * plain JSON completion instead is read as such.
 *
 * The client's own retries are off (maxRetries 0): BullMQ owns retries, so a
 * 429 or 5xx becomes a platform failure the worker retries with backoff.
 */
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from "openai";
import { Stream } from "openai/core/streaming";
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import { SystemError, UserError } from "../../run-errors";
import { countChars } from "./input";

export interface CompletionRequest {
  model: string;
  /** The user named the model (so a 404 for it is the user's mistake, not the operator's). */
  modelFromUser: boolean;
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  max_tokens: number;
  /** Stop reading (and cut the text) at this many generated characters: the hold pays for no more. */
  maxChars: number;
  signal: AbortSignal;
  onChars(generated: number): void;
}

export interface Completion {
  text: string;
  model: string;
  finish_reason: string | null;
  /** Characters generated (after any cut). */
  outputChars: number;
  /** True when the answer was cut at maxChars. */
  cut: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  streamed: boolean;
}

export function createAiClient(opts: { baseURL: string; apiKey?: string; timeoutMs: number }): OpenAI {
  return new OpenAI({
    baseURL: opts.baseURL,
    // Local OpenAI-compatible servers often need no key; the client insists on one.
    apiKey: opts.apiKey ?? "not-needed",
    maxRetries: 0,
    timeout: opts.timeoutMs,
    logLevel: "off",
  });
}

class Collector {
  text = "";
  chars = 0;
  cut = false;
  model = "";
  finish: string | null = null;
  usage: Completion["usage"] = null;
  sawChoice = false;

  constructor(private readonly req: CompletionRequest) {}

  /** Add generated text; false once the budget is used up. */
  add(piece: string): boolean {
    const n = countChars(piece);
    if (this.chars + n > this.req.maxChars) {
      const room = this.req.maxChars - this.chars;
      this.text += Array.from(piece).slice(0, room).join("");
      this.chars += room;
      this.cut = true;
    } else {
      this.text += piece;
      this.chars += n;
    }
    this.req.onChars(this.chars);
    return !this.cut;
  }
}

export async function complete(client: OpenAI, req: CompletionRequest): Promise<Completion> {
  const c = new Collector(req);
  let streamed = false;
  try {
    const response = await client.chat.completions
      .create(
        { model: req.model, messages: req.messages, max_tokens: req.max_tokens, stream: true, stream_options: { include_usage: true } },
        { signal: req.signal },
      )
      .asResponse();
    streamed = /text\/event-stream/i.test(response.headers.get("content-type") ?? "");
    if (streamed) await readStream(client, response, c);
    else readJson((await response.json()) as ChatCompletion, c);
  } catch (err) {
    throw classify(err, req.signal, req.modelFromUser);
  }
  if (!c.sawChoice) throw new SystemError("The AI provider's answer had no choices.");
  return {
    text: c.text.replaceAll("\u0000", "\uFFFD"), model: c.model || req.model, finish_reason: c.cut ? "length" : c.finish,
    outputChars: c.chars, cut: c.cut, usage: c.usage, streamed,
  };
}

async function readStream(client: OpenAI, response: Response, c: Collector): Promise<void> {
  // The client is passed for its logger (level off): the stream logs malformed chunks, we classify them.
  const stream = Stream.fromSSEResponse<ChatCompletionChunk>(response, new AbortController(), client);
  for await (const chunk of stream) {
    c.model ||= chunk.model ?? "";
    if (chunk.usage) c.usage = pickUsage(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    c.sawChoice = true;
    if (choice.finish_reason) c.finish = choice.finish_reason;
    // Budget spent: stop reading (leaving the loop cancels the response body).
    if (choice.delta?.content && !c.add(choice.delta.content)) break;
  }
}

function readJson(body: ChatCompletion, c: Collector): void {
  if (!body || !Array.isArray(body.choices)) throw new SyntaxError("the completion has no choices array");
  c.model = body.model ?? "";
  c.usage = body.usage ? pickUsage(body.usage) : null;
  const choice = body.choices[0];
  if (!choice) return;
  c.sawChoice = true;
  c.finish = choice.finish_reason ?? null;
  if (choice.message?.content) c.add(choice.message.content);
}

function pickUsage(u: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number }): Completion["usage"] {
  return { prompt_tokens: u.prompt_tokens ?? 0, completion_tokens: u.completion_tokens ?? 0, total_tokens: u.total_tokens ?? 0 };
}

/**
 * Whose fault: a request the provider judged and refused (400, 413, 422; 404
 * for a model the user named) is the user's; throttling, outages, auth,
 * network and malformed answers are the platform's. The caller charges a
 * user failure per the kind's policy; UserError.usage is filled in there.
 */
export function classify(err: unknown, signal: AbortSignal, modelFromUser: boolean): Error {
  if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
  if (err instanceof APIUserAbortError) return err;
  if (err instanceof APIConnectionError) return new SystemError(`The AI provider could not be reached: ${err.message}`, { cause: err });
  if (err instanceof APIError) {
    const s = err.status;
    if (s === 400 || s === 413 || s === 422 || (s === 404 && modelFromUser)) {
      return new UserError(`The AI provider refused the request (${s}): ${providerMessage(err)}`, { cause: err });
    }
    return new SystemError(`The AI provider failed (${s ?? "stream error"}): ${providerMessage(err)}`, { cause: err });
  }
  if (err instanceof SyntaxError) return new SystemError(`The AI provider sent a malformed answer: ${err.message}`, { cause: err });
  return err instanceof Error ? err : new SystemError(String(err));
}

function providerMessage(err: APIError): string {
  const e = err.error as { message?: unknown } | undefined;
  return (typeof e?.message === "string" ? e.message : err.message).slice(0, 500);
}
