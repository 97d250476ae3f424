// Streams must reach the client as they are produced. Cloudflare (and miniflare under `wrangler dev`) compresses
// responses of "compressible" types when the client accepts gzip, and miniflare's gzip flushes only at the end:
// a stream would arrive in one piece. A stream therefore says `content-encoding: identity` (nothing to compress)
// and `no-transform`; `transfer-encoding` is the runtime's business on Workers.

const STREAM_TYPES = /^(text\/event-stream|application\/x-ndjson)\b/i;

export function isStream(res: Response): boolean {
  return (
    res.body !== null &&
    (STREAM_TYPES.test(res.headers.get("content-type") ?? "") || res.headers.has("transfer-encoding"))
  );
}

export function unbufferedStream(res: Response): Response {
  if (!isStream(res)) return res;
  const headers = new Headers(res.headers);
  headers.delete("transfer-encoding");
  if (!headers.has("content-encoding")) headers.set("content-encoding", "identity");
  headers.set("cache-control", "no-cache, no-transform");
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
