// A `fetch` for the Node runtime built on node:http(s) with keep-alive agents. Node 20's fetch (undici) costs
// 0.5–0.9 ms of CPU and ~25 KB of heap per request more than node:http on the relay's hot path (BENCHMARKS.md);
// the core keeps calling a plain `fetch`, so Workers use theirs and Node uses this one.
// It covers what the relay sends: string or byte (compressed) bodies, header records, an AbortSignal; the reply is a standard Response
// whose body errors when the connection breaks or the signal aborts mid-stream.

import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

// @hono/node-server replaces the global Response (once it serves) with a lightweight one that builds the real one
// the first time its body is read; a reply's body is always read, so the real one is built at once (taken here,
// when this module loads, before any server runs).
const NativeResponse = globalThis.Response;

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: Infinity }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: Infinity }),
};

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error("This operation was aborted");
  err.name = "AbortError";
  return err;
}

/** The relay calls a handful of URLs, again and again: each is parsed once. */
const parsedUrls = new Map<string, URL>();

function parsedUrl(href: string): URL {
  let url = parsedUrls.get(href);
  if (!url) {
    if (parsedUrls.size >= 64) parsedUrls.clear();
    parsedUrls.set(href, (url = new URL(href)));
  }
  return url;
}

/**
 * The request's headers as node:http takes them (names in lower case). A plain record, what the relay passes, is
 * copied as it is: node:http validates names and values itself, so no `Headers` (whose validation of every name and
 * value costs more than the copy) is built for it.
 */
function headerRecord(init: HeadersInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (init === undefined) return headers;
  if (init instanceof Headers || Array.isArray(init)) {
    new Headers(init).forEach((value, name) => (headers[name] = value));
    return headers;
  }
  for (const name of Object.keys(init)) headers[name.toLowerCase()] = init[name]!;
  return headers;
}

export const nodeFetch: typeof fetch = (input, init = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = parsedUrl(input instanceof Request ? input.url : String(input));
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) return reject(new TypeError(`unsupported protocol ${url.protocol}`));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return reject(abortError(signal));
    const headers = headerRecord(init.headers);
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
      return reject(new TypeError("nodeFetch sends string and Uint8Array bodies only"));
    }
    if (typeof body === "string") headers["content-length"] = String(Buffer.byteLength(body));
    else if (body instanceof Uint8Array) headers["content-length"] = String(body.byteLength);
    const module = url.protocol === "https:" ? https : http;
    const req = module.request(url, { method: init.method ?? "GET", headers, agent });
    const onAbort = () => req.destroy(abortError(signal!));
    signal?.addEventListener("abort", onAbort, { once: true });
    req.once("error", (err) => {
      signal?.removeEventListener("abort", onAbort);
      reject(err);
    });
    req.once("response", (res) => {
      res.once("close", () => signal?.removeEventListener("abort", onAbort));
      const replyHeaders = new Headers();
      const raw = res.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) replyHeaders.append(raw[i]!, raw[i + 1]!);
      const status = res.statusCode ?? 502;
      const noBody = status === 204 || status === 304 || init.method === "HEAD";
      if (noBody) res.resume();
      const stream = noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new NativeResponse(stream, { status, statusText: res.statusMessage, headers: replyHeaders }));
    });
    req.end(body ?? undefined);
  });
