// One loopback node:http server that plays both chatgpt.com (the Codex backend) and auth.openai.com (the token
// endpoint), for tests, `npm run fake-upstream` and `npm run bench`.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  FakeChatGpt,
  MODELS_PATH,
  RESPONSES_PATH,
  USAGE_PATH,
  type DefaultScenario,
  type FakeChatGptCounters,
  type FakeChatGptOptions,
  type RecordedRequest,
  type Scenario,
} from "./fake-chatgpt.ts";
import { FakeIssuer, type FakeIssuerOptions } from "./fake-oauth.ts";
import { sendJson } from "./http-util.ts";

export interface FakeUpstreamOptions extends Omit<FakeChatGptOptions, "issuer">, FakeIssuerOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface FakeUpstream {
  /** http://127.0.0.1:PORT */
  url: string;
  responsesUrl: string;
  /** The Responses WebSocket: ws://127.0.0.1:PORT/backend-api/codex/responses */
  responsesWebSocketUrl: string;
  modelsUrl: string;
  tokenUrl: string;
  authorizeUrl: string;
  /** The issuer's base URL (CHATGPT_OAUTH_ISSUER). */
  issuerUrl: string;
  usageUrl: string;
  issuer: FakeIssuer;
  backend: FakeChatGpt;
  // The backend's scenario API, flattened for convenience.
  enqueue(...scenarios: Scenario[]): void;
  setDefaultScenario(scenario: DefaultScenario | null): void;
  readonly requests: RecordedRequest[];
  readonly counters: FakeChatGptCounters;
  onRequest: FakeChatGpt["onRequest"];
  waitForClosedEarly(n?: number, timeoutMs?: number): Promise<void>;
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  reset(): void;
  /** The variables that point a relay at this fake, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Stops listening and destroys every connection, stalled streams included. */
  close(): Promise<void>;
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const issuer = new FakeIssuer(options);
  const backend = new FakeChatGpt({ ...options, issuer });
  const sockets = new Set<Socket>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake.local");
    const route = backend.handles(url.pathname)
      ? backend.handle(req, res, url)
      : issuer.handles(req.method ?? "GET", url.pathname)
        ? issuer.handle(req, res, url)
        : Promise.resolve(sendJson(res, 404, { detail: "Not Found" }));
    route.catch((err: unknown) => {
      // A bug in the fake must show up as a 500, never as a hung test.
      if (!res.headersSent) sendJson(res, 500, { detail: `fake upstream error: ${String(err)}` });
      else res.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) =>
    backend.handleUpgrade(req, socket, head),
  );
  // Benchmarks open thousands of concurrent streams.
  server.maxConnections = Infinity;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    responsesUrl: `${url}${RESPONSES_PATH}`,
    responsesWebSocketUrl: `${url.replace(/^http/, "ws")}${RESPONSES_PATH}`,
    modelsUrl: `${url}${MODELS_PATH}`,
    tokenUrl: `${url}/oauth/token`,
    authorizeUrl: `${url}/oauth/authorize`,
    issuerUrl: url,
    usageUrl: `${url}${USAGE_PATH}`,
    issuer,
    backend,
    enqueue: (...scenarios) => backend.enqueue(...scenarios),
    setDefaultScenario: (scenario) => backend.setDefaultScenario(scenario),
    get requests() {
      return backend.requests;
    },
    get counters() {
      return backend.counters;
    },
    get onRequest() {
      return backend.onRequest;
    },
    set onRequest(hook) {
      backend.onRequest = hook;
    },
    waitForClosedEarly: (n, timeoutMs) => backend.waitForClosedEarly(n, timeoutMs),
    waitForRequests: (n, timeoutMs) => backend.waitForRequests(n, timeoutMs),
    reset: () => backend.reset(),
    env: (extra = {}) => ({
      CHATGPT_RESPONSES_URL: `${url}${RESPONSES_PATH}`,
      CHATGPT_OAUTH_TOKEN_URL: `${url}/oauth/token`,
      CHATGPT_OAUTH_ISSUER: url,
      CHATGPT_USAGE_URL: `${url}${USAGE_PATH}`,
      ...extra,
    }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        backend.destroyStreams();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
