// The benchmark's reference: the least a Node relay can do. A bare node:http server that forwards each POST, body
// and auth headers unchanged, to the fake backend and streams the reply back byte for byte — no routing framework,
// no validation, no translation, no token store. By default it calls the backend with the global fetch, as the relay
// does: what the relay costs beyond this is the relay's own work, and what this costs beyond calling the fake
// directly is the price of any fetch-based Node hop on this machine. With CLIENT=http it uses node:http instead
// (`npm run bench -- --bare-client http`), to show what fetch itself costs. Started by bench/run.ts with
// UPSTREAM=<fake origin> and PORT.

import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";

const upstream = process.env.UPSTREAM;
if (!upstream) throw new Error("UPSTREAM is not set");
const useFetch = (process.env.CLIENT ?? "fetch") === "fetch";
const FORWARDED = [
  "authorization",
  "chatgpt-account-id",
  "content-type",
  "accept",
  "session-id",
  "originator",
];
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const origin = new URL(upstream);

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const v = req.headers[name];
    if (typeof v === "string") headers[name] = v;
  }
  return headers;
}

async function viaFetch(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    const reply = await fetch(`${upstream}${req.url ?? "/"}`, {
      method: req.method,
      headers: forwardedHeaders(req),
      // A string, as the relay sends its JSON.
      body: body.toString("utf8"),
      signal: abort.signal,
    });
    res.writeHead(reply.status, {
      "content-type": reply.headers.get("content-type") ?? "application/octet-stream",
    });
    if (!reply.body) return void res.end();
    const reader = reply.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise((r) => {
          res.once("drain", r);
          res.once("close", r);
        });
      }
    }
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  }
}

function viaHttp(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const out = request(
    {
      host: origin.hostname,
      port: origin.port,
      path: req.url ?? "/",
      method: req.method,
      agent,
      headers: { ...forwardedHeaders(req), "content-length": String(body.length) },
    },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, {
        "content-type": reply.headers["content-type"] ?? "application/octet-stream",
      });
      reply.pipe(res);
    },
  );
  out.on("error", () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  res.on("close", () => {
    if (!res.writableFinished) out.destroy();
  });
  out.end(body);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    if (useFetch) void viaFetch(req, res, body);
    else viaHttp(req, res, body);
  });
});
server.maxConnections = Infinity;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ type: "ready", port: typeof address === "object" && address ? address.port : 0 });
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
