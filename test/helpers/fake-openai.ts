/**
 * A fake OpenAI-compatible chat completions server on loopback, so the real
 * `openai` client runs in tests. It answers like the real API: SSE chunks
 * (`chat.completion.chunk`, a final usage chunk, `[DONE]`), plain JSON
 * completions, and errors in OpenAI's `{ error: { message, type, code } }`.
 *
 * The behaviour is chosen per request by a directive in the last message,
 * so tests can run side by side: `[fake:MODE]`, optionally `[len:N]` for the
 * answer's length in characters (default 120), `[ignore-max]` to answer past
 * max_tokens (as a misbehaving provider might). Modes:
 *   ok · json (non-streaming) · slow (a chunk every 150 ms) · 429 · 500 ·
 *   500-once (500 the first time this prompt is seen, then ok) · malformed
 *   (broken SSE JSON) · malformed-json (broken non-stream body) ·
 *   content-policy (400) · stream-error (an error event mid-stream)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    max_tokens?: number;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
  };
}

export interface FakeOpenAI {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose last message contains `needle`. */
  requestsFor(needle: string): RecordedRequest[];
  close(): Promise<void>;
}

const WORDS = "Holdfast keeps every credit accounted for while the work runs. ";

/** The deterministic answer of `len` characters (ASCII, so characters = bytes = code points). */
export function fakeAnswer(len: number): string {
  return WORDS.repeat(Math.ceil(len / WORDS.length) + 1).slice(0, len);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function openAiError(res: ServerResponse, status: number, message: string, type: string, code: string | null, headers: Record<string, string> = {}) {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const seen = new Map<string, number>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) return openAiError(res, 404, "Unknown route", "invalid_request_error", null);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RecordedRequest["body"];
    requests.push({ path: req.url, authorization: req.headers.authorization, body });
    const last = body.messages[body.messages.length - 1]?.content ?? "";
    const mode = /\[fake:([a-z0-9-]+)\]/.exec(last)?.[1] ?? "ok";
    const len = Number(/\[len:(\d+)\]/.exec(last)?.[1] ?? 120);
    const count = (seen.get(last) ?? 0) + 1;
    seen.set(last, count);

    const promptChars = body.messages.reduce((n, m) => n + m.content.length, 0);
    const maxChars = last.includes("[ignore-max]") ? Number.POSITIVE_INFINITY : (body.max_tokens ?? 4096) * 4;
    const full = fakeAnswer(len);
    const text = full.slice(0, maxChars);
    const finish = text.length < full.length ? "length" : "stop";
    const usage = { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(text.length / 4), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const base = { id: `chatcmpl-${requests.length}`, created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: "fp_fake" };

    switch (mode) {
      case "429":
        return openAiError(res, 429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded", { "retry-after": "1" });
      case "500":
        return openAiError(res, 500, "The server had an error while processing your request.", "server_error", null);
      case "500-once":
        if (count === 1) return openAiError(res, 500, "The server had an error while processing your request.", "server_error", null);
        break;
      case "content-policy":
        return openAiError(res, 400, "Your request was rejected as a result of our safety system.", "invalid_request_error", "content_policy_violation");
      case "malformed-json":
        res.writeHead(200, { "content-type": "application/json" });
        return res.end('{"id": "chatcmpl-x", "choices": [ {"message": ');
      case "malformed":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] })}\n\n`);
        return res.end('data: {"id": "chatcmpl-x", "choices": [{"delta": \n\n');
      case "json":
        return sendJson(res, 200, {
          ...base, object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason: finish }],
          usage,
        });
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...extra })}\n\n`);
    chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
    const step = mode === "slow" ? 15 : 40;
    for (let i = 0; i < text.length; i += step) {
      if (res.destroyed) return;
      if (mode === "slow") await sleep(150);
      chunk([{ index: 0, delta: { content: text.slice(i, i + step) }, logprobs: null, finish_reason: null }]);
      if (mode === "stream-error" && i >= step) {
        res.write(`data: ${JSON.stringify({ error: { message: "The model is overloaded.", type: "server_error", code: null } })}\n\n`);
        return res.end();
      }
    }
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]);
    if (body.stream_options?.include_usage) chunk([], { usage });
    res.end("data: [DONE]\n\n");
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) openAiError(res, 500, `fake server bug: ${String(err)}`, "server_error", null);
      else res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    requests,
    requestsFor: (needle) => requests.filter((r) => (r.body.messages[r.body.messages.length - 1]?.content ?? "").includes(needle)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
