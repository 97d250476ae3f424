// The fake ChatGPT Codex backend: POST /backend-api/codex/responses (auth, validation and SSE replies like the
// real service) and GET /backend-api/codex/models. Tests script replies with enqueue()/setDefaultScenario();
// out-of-process users put `[[fake <scenario json>]]` in the last user message.

import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { FakeResponsesWebSocket } from "./fake-websocket.ts";
import { SimulatedLink, type LinkOptions } from "./simulated-link.ts";
import type { Account, FakeIssuer } from "./fake-oauth.ts";
import { BodyError, hexId, readEncodedBody, sendJson, sendText, sleep } from "./http-util.ts";
import { defaultModels, type ModelEntry } from "./models.ts";
import {
  SCENARIO_KINDS,
  streamEvents,
  type HttpScenario,
  type Scenario,
  type SseEvent,
  type StreamContext,
  type StreamScenario,
} from "./scenarios.ts";

export type {
  CutScenario,
  EventsScenario,
  FailedScenario,
  HttpScenario,
  IncompleteScenario,
  ResetScenario,
  Scenario,
  StallScenario,
  StreamOptions,
  StreamScenario,
  TextScenario,
  ToolCallSpec,
  ToolCallsScenario,
  Usage,
  UsageOverride,
} from "./scenarios.ts";
export { splitText, streamEvents, toolRoundTrip } from "./scenarios.ts";
export type { ModelEntry } from "./models.ts";
export { defaultModels } from "./models.ts";

export const RESPONSES_PATH = "/backend-api/codex/responses";
export const MODELS_PATH = "/backend-api/codex/models";
/** The usage endpoint the Codex CLI reads (codex-rs/backend-client `get_rate_limits`). */
export const USAGE_PATH = "/backend-api/wham/usage";

/** Parameters the real backend rejects with "Unsupported parameter: <name>". */
export const UNSUPPORTED_PARAMETERS = [
  "max_output_tokens",
  "temperature",
  "top_p",
  "metadata",
  "user",
  "max_tokens",
  "truncation",
  "prompt_cache_retention",
  "safety_identifier",
  "previous_response_id",
] as const;

export const MESSAGES = {
  tokenExpired: "Provided authentication token is expired. Please try signing in again.",
  tokenInvalidated: "Your authentication token has been invalidated. Please try signing in again.",
  unparsableToken: "Could not parse your authentication token. Please try signing in again.",
  missingAccount: "Missing ChatGPT-Account-ID header.",
  wrongAccount: "The ChatGPT-Account-ID header does not match the account of the authentication token.",
  usageLimit: "The usage limit has been reached",
  overloaded: "Our servers are currently overloaded. Please try again later.",
} as const;

export const modelNotSupported = (model: string) =>
  `The '${model}' model is not supported when using Codex with a ChatGPT account.`;

// ---------------------------------------------------------------------------------------------------------------
// Rate-limit headers and ready-made error replies

export interface RateLimitOptions {
  planType?: string;
  primaryUsedPercent?: number;
  secondaryUsedPercent?: number;
  primaryWindowMinutes?: number;
  secondaryWindowMinutes?: number;
  primaryResetAfterSeconds?: number;
  secondaryResetAfterSeconds?: number;
  creditsHasCredits?: boolean;
  creditsBalance?: number;
  creditsUnlimited?: boolean;
  activeLimit?: string;
}

const pyBool = (b: boolean) => (b ? "True" : "False");

/** The x-codex-* headers of §6, with both `-reset-at` (epoch s) and `-reset-after-seconds`. */
export function rateLimitHeaders(o: RateLimitOptions = {}): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const primaryAfter = o.primaryResetAfterSeconds ?? 9000;
  const secondaryAfter = o.secondaryResetAfterSeconds ?? 302400;
  return {
    "x-codex-active-limit": o.activeLimit ?? "codex",
    "x-codex-plan-type": o.planType ?? "plus",
    "x-codex-primary-used-percent": String(o.primaryUsedPercent ?? 12),
    "x-codex-primary-window-minutes": String(o.primaryWindowMinutes ?? 300),
    "x-codex-primary-reset-after-seconds": String(primaryAfter),
    "x-codex-primary-reset-at": String(now + primaryAfter),
    "x-codex-secondary-used-percent": String(o.secondaryUsedPercent ?? 34),
    "x-codex-secondary-window-minutes": String(o.secondaryWindowMinutes ?? 10080),
    "x-codex-secondary-reset-after-seconds": String(secondaryAfter),
    "x-codex-secondary-reset-at": String(now + secondaryAfter),
    "x-codex-primary-over-secondary-limit-percent": "0",
    "x-codex-credits-has-credits": pyBool(o.creditsHasCredits ?? false),
    "x-codex-credits-balance": String(o.creditsBalance ?? 0),
    "x-codex-credits-unlimited": pyBool(o.creditsUnlimited ?? false),
  };
}

/** The body of GET /backend-api/wham/usage for these limits (the windows of the x-codex-* headers). */
export function usagePayload(o: RateLimitOptions = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const window = (used: number, minutes: number, after: number) => ({
    used_percent: used,
    limit_window_seconds: minutes * 60,
    reset_after_seconds: after,
    reset_at: now + after,
  });
  const primaryUsed = o.primaryUsedPercent ?? 12;
  return {
    plan_type: o.planType ?? "plus",
    rate_limit: {
      allowed: primaryUsed < 100,
      limit_reached: primaryUsed >= 100,
      primary_window: window(primaryUsed, o.primaryWindowMinutes ?? 300, o.primaryResetAfterSeconds ?? 9000),
      secondary_window: window(
        o.secondaryUsedPercent ?? 34,
        o.secondaryWindowMinutes ?? 10080,
        o.secondaryResetAfterSeconds ?? 302400,
      ),
    },
    credits: {
      has_credits: o.creditsHasCredits ?? false,
      unlimited: o.creditsUnlimited ?? false,
      balance: String(o.creditsBalance ?? 0),
    },
    additional_rate_limits: null,
    rate_limit_reached_type: null,
  };
}

/** 429 usage_limit_reached with the rate-limit headers (primary window 100% used). */
export function usageLimitReached(o: { resetsInSeconds?: number; planType?: string } = {}): HttpScenario {
  const resetsIn = o.resetsInSeconds ?? 3600;
  const planType = o.planType ?? "plus";
  return {
    kind: "http",
    status: 429,
    body: {
      error: {
        type: "usage_limit_reached",
        message: MESSAGES.usageLimit,
        plan_type: planType,
        resets_at: Math.floor(Date.now() / 1000) + resetsIn,
        eligible_promo: null,
        resets_in_seconds: resetsIn,
      },
    },
    headers: {
      ...rateLimitHeaders({
        planType,
        primaryUsedPercent: 100,
        primaryResetAfterSeconds: resetsIn,
        activeLimit: "premium",
      }),
      "x-codex-rate-limit-reached-type": "primary",
    },
  };
}

/** 429 usage_not_included (the plan has no Codex access). */
export function usageNotIncluded(planType = "free"): HttpScenario {
  return {
    kind: "http",
    status: 429,
    body: {
      error: {
        type: "usage_not_included",
        message: "Codex is not included in your ChatGPT plan.",
        plan_type: planType,
      },
    },
    headers: rateLimitHeaders({ planType }),
  };
}

/** 503 server_is_overloaded. */
export function overloaded(
  code: "server_is_overloaded" | "slow_down" = "server_is_overloaded",
): HttpScenario {
  return { kind: "http", status: 503, body: { error: { code, message: MESSAGES.overloaded } } };
}

/** A plain 5xx (retryable). */
export function serverError(status = 500): HttpScenario {
  return { kind: "http", status, body: { detail: "Internal Server Error" } };
}

/** The Cloudflare challenge page (403 text/html). */
export function cloudflare403(): HttpScenario {
  return {
    kind: "http",
    status: 403,
    headers: {
      "content-type": "text/html; charset=UTF-8",
      server: "cloudflare",
      "cf-mitigated": "challenge",
      "cf-ray": `${randomBytes(8).toString("hex")}-AMS`,
    },
    body:
      '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head>' +
      "<body><noscript>Enable JavaScript and cookies to continue</noscript></body></html>",
  };
}

export function tokenInvalidatedBody(): Record<string, unknown> {
  return {
    error: {
      message: MESSAGES.tokenInvalidated,
      type: "invalid_request_error",
      code: "token_invalidated",
      param: null,
    },
    status: 401,
  };
}

export function tokenExpiredBody(): Record<string, unknown> {
  return {
    error: {
      message: MESSAGES.tokenExpired,
      type: "invalid_request_error",
      code: "token_expired",
      param: null,
    },
    status: 401,
  };
}

/** 401 token_invalidated regardless of the token. */
export function tokenInvalidated(): HttpScenario {
  return { kind: "http", status: 401, body: tokenInvalidatedBody() };
}

// ---------------------------------------------------------------------------------------------------------------
// Directive and request helpers

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** The text of the last user message in `input` (input_text parts joined by newlines). */
export function lastUserText(input: unknown): string {
  if (!Array.isArray(input)) return typeof input === "string" ? input : "";
  for (let i = input.length - 1; i >= 0; i--) {
    const item: unknown = input[i];
    if (!isObject(item) || item.role !== "user" || (item.type !== undefined && item.type !== "message"))
      continue;
    const c = item.content;
    if (typeof c === "string") return c;
    if (!Array.isArray(c)) return "";
    const texts: string[] = [];
    for (const p of c as unknown[]) {
      if (isObject(p) && (p.type === "input_text" || p.type === "text") && typeof p.text === "string")
        texts.push(p.text);
    }
    return texts.join("\n");
  }
  return "";
}

function checkScenario(v: unknown, path = "scenario"): Scenario {
  if (!isObject(v) || typeof v.kind !== "string" || !SCENARIO_KINDS.has(v.kind)) {
    throw new Error(`${path}.kind must be one of ${[...SCENARIO_KINDS].join(", ")}`);
  }
  const need = (field: string, type: "string" | "number" | "array") => {
    const value = v[field];
    const ok = type === "array" ? Array.isArray(value) : typeof value === type;
    if (!ok) throw new Error(`${path}.${field} must be a ${type}`);
  };
  switch (v.kind) {
    case "tool_calls":
      need("calls", "array");
      break;
    case "failed":
      need("code", "string");
      need("message", "string");
      break;
    case "incomplete":
      need("reason", "string");
      break;
    case "events":
      need("events", "array");
      break;
    case "http":
      need("status", "number");
      break;
    case "cut":
    case "stall":
      need("afterEvents", "number");
      if (v.of !== undefined) {
        const inner = checkScenario(v.of, `${path}.of`);
        if (!isStreamScenario(inner)) throw new Error(`${path}.of must be a streamed scenario`);
      }
      break;
  }
  return v as unknown as Scenario;
}

/**
 * The scenario of a `[[fake <json>]]` directive in `text`: null when there is none; throws when it is malformed.
 * The JSON may itself contain "]]": the first closing "]]" after which the text parses wins.
 */
export function parseDirective(text: string): Scenario | null {
  const start = text.indexOf("[[fake");
  if (start < 0) return null;
  const from = start + "[[fake".length;
  for (let end = text.indexOf("]]", from); end >= 0; end = text.indexOf("]]", end + 1)) {
    let value: unknown;
    try {
      value = JSON.parse(text.slice(from, end));
    } catch {
      continue;
    }
    return checkScenario(value);
  }
  throw new Error('expected [[fake {"kind":…}]] with a JSON object');
}

const isStreamScenario = (s: Scenario): s is StreamScenario =>
  s.kind === "text" ||
  s.kind === "tool_calls" ||
  s.kind === "failed" ||
  s.kind === "incomplete" ||
  s.kind === "events";

/** The reply when nothing is queued: an echo of the last user text, with reasoning when the request asks for it. */
export function defaultScenarioFor(body: Record<string, unknown>): StreamScenario {
  const text = lastUserText(body.input);
  const reasoning = body.reasoning;
  if (!isObject(reasoning)) return { kind: "text", text: `Echo: ${text}` };
  // Like the real service: summaries only when a summary mode is asked for, else a bare reasoning item.
  const summary = reasoning.summary;
  const wantsSummary = typeof summary === "string" && summary !== "none";
  return {
    kind: "text",
    text: `Echo: ${text}`,
    reasoning: wantsSummary ? [`Thinking about the request: ${text.slice(0, 60)}`] : [],
  };
}

function frame(e: SseEvent): string {
  const data = JSON.stringify(e);
  return typeof e.type === "string" ? `event: ${e.type}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

function flattenHeaders(h: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

const lower = (h: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

// ---------------------------------------------------------------------------------------------------------------
// The backend

export interface RecordedRequest {
  /** "POST" for HTTP; "WS" for a `response.create` frame on a WebSocket. */
  method: string;
  /** Path and query. */
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  /** The body's size in bytes (HTTP: decoded; WebSocket: the frame's text). */
  bytes: number;
  /** Bytes on the wire: the (compressed) HTTP body; a WebSocket frame with its framing and permessage-deflate. */
  wireBytes?: number;
  at: number;
  /** Status answered (set once known; 200 for streams). */
  status?: number;
  /** Kind of the scenario that answered it. */
  scenario?: Scenario["kind"];
  /** WebSocket frames: the whole input the turn stood for (previous turn's input and output + the new items). */
  resolvedInput?: unknown[];
  /** WebSocket frames: which connection of the fake carried it (1, 2, …). */
  connection?: number;
  /** The body's Content-Encoding (HTTP), when one was sent. */
  contentEncoding?: string;
}

export interface FakeChatGptCounters {
  /** POST /responses requests received (including rejected ones). */
  responses: number;
  models: number;
  /** Responses the client closed before they ended (an aborted stream). */
  closedEarly: number;
  /** Streams currently open. */
  streamsOpen: number;
  websocketAttempts: number;
}

export type DefaultScenario = Scenario | ((body: Record<string, unknown>) => Scenario);

export interface FakeChatGptOptions {
  issuer: FakeIssuer;
  /** Check Authorization and ChatGPT-Account-ID (default true). */
  requireAuth?: boolean;
  /** Answer "Instructions are required" when `instructions` is missing (default false). */
  requireInstructions?: boolean;
  /** `response.completed.response.output`: "empty" like the real service with store:false (default). */
  completedOutput?: "empty" | "full";
  models?: ModelEntry[];
  /** Answer GET /models with this status instead of the catalogue (e.g. 500). */
  modelsStatus?: number;
  /** Models accepted by /responses (default: the catalogue's slugs). */
  acceptedModels?: string[];
  rateLimits?: RateLimitOptions;
  /** Keep at most this many recorded requests (default 1000; the oldest go first). */
  maxRecordedRequests?: number;
  /** Serve the Responses WebSocket (default true); false answers every upgrade with 426. */
  websockets?: boolean;
  /** A WebSocket connection's lifetime before `websocket_connection_limit_reached` (default 60 min). */
  websocketConnectionLimitMs?: number;
  /** A simulated link between the client and the fake: round-trip delay and uplink bandwidth. */
  link?: LinkOptions;
}

interface StreamState {
  closed: boolean;
  selfClosed: boolean;
  onClose: (() => void)[];
}

export class FakeChatGpt {
  readonly issuer: FakeIssuer;
  requireAuth: boolean;
  requireInstructions: boolean;
  completedOutput: "empty" | "full";
  modelsStatus: number | undefined;
  acceptedModels: string[] | undefined;
  rateLimits: RateLimitOptions;
  /** Per account id, on top of `rateLimits` (headers of /responses and the usage endpoint). */
  readonly accountRateLimits = new Map<string, RateLimitOptions>();
  /** GET /wham/usage requests received. */
  usageRequests = 0;
  maxRecordedRequests: number;
  /** Called for each /responses request after recording; a returned scenario answers it (after auth/validation). */
  onRequest: ((request: RecordedRequest) => Scenario | void) | undefined;
  /** Called for each WebSocket upgrade: an `http` scenario answers it instead (426, 503…), "reset" drops it. */
  onUpgrade: ((req: IncomingMessage) => HttpScenario | "reset" | void) | undefined;
  websockets: boolean;
  websocketConnectionLimitMs: number;
  /** While set, WebSocket upgrades are counted as they arrive and answered only once it resolves (holdUpgrades). */
  private upgradeHold: Promise<void> | null = null;
  /** The simulated link, when there is one (its byte counts are the bytes the client uploaded). */
  link: SimulatedLink | null;
  readonly socketServer: FakeResponsesWebSocket;

  readonly requests: RecordedRequest[] = [];
  readonly modelsRequests: RecordedRequest[] = [];
  readonly counters: FakeChatGptCounters = {
    responses: 0,
    models: 0,
    closedEarly: 0,
    streamsOpen: 0,
    websocketAttempts: 0,
  };

  private queue: Scenario[] = [];
  private fallback: DefaultScenario | null = null;
  private modelList: ModelEntry[];
  private modelsJson = "";
  private etag = "";
  private readonly open = new Set<ServerResponse>();
  private readonly closedEarlyWaiters = new Set<() => void>();
  private shuttingDown = false;

  constructor(options: FakeChatGptOptions) {
    this.issuer = options.issuer;
    this.requireAuth = options.requireAuth ?? true;
    this.requireInstructions = options.requireInstructions ?? false;
    this.completedOutput = options.completedOutput ?? "empty";
    this.modelsStatus = options.modelsStatus;
    this.acceptedModels = options.acceptedModels;
    this.rateLimits = options.rateLimits ?? {};
    this.maxRecordedRequests = options.maxRecordedRequests ?? 1000;
    this.websockets = options.websockets ?? true;
    this.websocketConnectionLimitMs = options.websocketConnectionLimitMs ?? 60 * 60_000;
    this.link = options.link ? new SimulatedLink(options.link) : null;
    this.socketServer = new FakeResponsesWebSocket(this);
    this.modelList = [];
    this.models = options.models ?? defaultModels();
  }

  get models(): ModelEntry[] {
    return this.modelList;
  }

  set models(list: ModelEntry[]) {
    this.modelList = list;
    this.modelsJson = JSON.stringify({ models: list });
    this.etag = `"${createHash("sha1").update(this.modelsJson).digest("hex").slice(0, 20)}"`;
  }

  get modelsEtag(): string {
    return this.etag;
  }

  /** Scripts the next /responses replies, first in first out. */
  enqueue(...scenarios: Scenario[]): void {
    this.queue.push(...scenarios);
  }

  /** The reply when nothing is queued; null restores the echo. */
  setDefaultScenario(scenario: DefaultScenario | null): void {
    this.fallback = scenario;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Clears the queue, the default scenario, the recordings and the counters (open streams stay counted). */
  reset(): void {
    this.queue = [];
    this.fallback = null;
    this.requests.length = 0;
    this.modelsRequests.length = 0;
    Object.assign(this.counters, { responses: 0, models: 0, closedEarly: 0, websocketAttempts: 0 });
  }

  /** Resolves once `closedEarly` reaches `n` (default 1); rejects after `timeoutMs`. */
  waitForClosedEarly(n = 1, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.counters.closedEarly >= n, timeoutMs, `closedEarly >= ${n}`);
  }

  /** Resolves once `counters.responses` reaches `n`; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.counters.responses >= n, timeoutMs, `responses >= ${n}`);
  }

  private waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.closedEarlyWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.closedEarlyWaiters.delete(check);
        reject(
          new Error(
            `fake backend: timed out after ${timeoutMs} ms waiting for ${what} (${JSON.stringify(this.counters)})`,
          ),
        );
      }, timeoutMs);
      this.closedEarlyWaiters.add(check);
    });
  }

  private notify(): void {
    for (const check of [...this.closedEarlyWaiters]) check();
  }

  /** Ends every open stream (stalled ones included) so a server can close. */
  destroyStreams(): void {
    this.shuttingDown = true;
    for (const res of this.open) res.destroy();
    this.open.clear();
    this.socketServer.closeAll();
  }

  handles(path: string): boolean {
    return path === RESPONSES_PATH || path === MODELS_PATH || path === USAGE_PATH;
  }

  /** The limits reported for an account: `rateLimits` with that account's overrides. */
  rateLimitsOf(account: Account | undefined): RateLimitOptions {
    const own = account ? this.accountRateLimits.get(account.accountId) : undefined;
    return { planType: account?.planType, ...this.rateLimits, ...own };
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === MODELS_PATH) return this.handleModels(req, res, url);
    if (url.pathname === USAGE_PATH) return this.handleUsage(req, res);
    if (req.method !== "POST") return sendJson(res, 405, { detail: "Method Not Allowed" });
    const state = this.track(res);

    let raw: Buffer;
    let wireBytes: number;
    let encoding: string | undefined;
    try {
      ({ body: raw, wireBytes, encoding } = await readEncodedBody(req));
    } catch (err) {
      const status = err instanceof BodyError ? err.status : 400;
      return sendJson(res, status, { detail: (err as Error).message });
    }
    if (this.link) await this.link.upload(wireBytes);
    let body: unknown;
    let isJson = true;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      isJson = false;
      body = raw.toString("utf8");
    }
    const record: RecordedRequest = {
      method: "POST",
      url: req.url ?? url.pathname,
      headers: flattenHeaders(req.headers),
      body,
      bytes: raw.length,
      wireBytes,
      at: Date.now(),
    };
    if (encoding !== undefined) record.contentEncoding = encoding;
    this.record(record);
    const hooked = this.onRequest?.(record) ?? undefined;

    const reject = (status: number, payload: unknown) => {
      record.status = status;
      sendJson(res, status, payload, { "x-request-id": requestId() });
    };

    let account: Account | undefined;
    if (this.requireAuth) {
      const auth = this.authenticate(req);
      if ("status" in auth) return reject(auth.status, auth.body);
      account = auth.account;
    }
    if (!isJson) return reject(400, { detail: "Request body is not valid JSON" });
    const invalid = this.validate(body);
    if (invalid) return reject(400, { detail: invalid });
    const request = body as Record<string, unknown>;

    let scenario: Scenario;
    try {
      scenario = this.pickScenario(request, hooked);
    } catch (err) {
      return reject(400, { detail: `Invalid [[fake …]] directive: ${(err as Error).message}` });
    }
    record.scenario = scenario.kind;
    await this.answer(req, res, request, raw.length, scenario, record, state, account);
  }

  /** The scenario answering `request`: a directive, then the hook's, the queue, the default. Throws on a bad directive. */
  pickScenario(request: Record<string, unknown>, hooked?: Scenario): Scenario {
    return (
      parseDirective(lastUserText(request.input)) ?? hooked ?? this.queue.shift() ?? this.fallbackFor(request)
    );
  }

  /** Records a request (HTTP or WebSocket frame) and counts it. */
  record(record: RecordedRequest): void {
    this.counters.responses++;
    this.remember(this.requests, record);
    this.notify();
  }

  /**
   * Holds every WebSocket upgrade from now on (counted in `websocketAttempts` as it arrives, answered as usual once
   * released) until the returned function is called: a slow handshake, for as long as a test needs it.
   */
  holdUpgrades(): () => void {
    let release!: () => void;
    this.upgradeHold = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.upgradeHold = null;
      release();
    };
  }

  /** Answers a WebSocket upgrade: the Responses WebSocket, or 426 when `websockets` is off (clients use HTTP). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer = Buffer.alloc(0)): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== RESPONSES_PATH) return rawReply(socket, 404, { detail: "Not Found" });
    this.counters.websocketAttempts++;
    const hold = this.upgradeHold;
    if (hold) {
      // The client may give up meanwhile: a socket it closed gets no answer.
      void hold.then(() => {
        if (!socket.destroyed) this.answerUpgrade(req, socket, head);
      });
      return;
    }
    this.answerUpgrade(req, socket, head);
  }

  private answerUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const hooked = this.onUpgrade?.(req);
    if (hooked === "reset") {
      socket.destroy();
      return;
    }
    if (hooked) return rawReply(socket, hooked.status, hooked.body ?? "", lower(hooked.headers));
    if (!this.websockets) return rawReply(socket, 426, { detail: "WebSocket transport is not available" });
    if (this.requireAuth) {
      const auth = this.authenticate(req);
      if ("status" in auth) return rawReply(socket, auth.status, auth.body);
      this.socketServer.accept(req, socket, head, auth.account);
      return;
    }
    this.socketServer.accept(req, socket, head, undefined);
  }

  /** The default reply headers of a turn (rate limits, model, catalogue etag). */
  replyHeaders(account: Account | undefined, model: string): Record<string, string> {
    return {
      "x-request-id": requestId(),
      "openai-model": model,
      "x-models-etag": this.etag,
      ...rateLimitHeaders(this.rateLimitsOf(account)),
    };
  }

  private fallbackFor(body: Record<string, unknown>): Scenario {
    const f = this.fallback;
    if (f === null) return defaultScenarioFor(body);
    return typeof f === "function" ? f(body) : f;
  }

  private remember(list: RecordedRequest[], r: RecordedRequest): void {
    list.push(r);
    if (list.length > this.maxRecordedRequests) list.splice(0, list.length - this.maxRecordedRequests);
  }

  private track(res: ServerResponse): StreamState {
    const state: StreamState = { closed: false, selfClosed: false, onClose: [] };
    res.once("close", () => {
      state.closed = true;
      this.open.delete(res);
      if (!res.writableFinished && !state.selfClosed && !this.shuttingDown) {
        this.counters.closedEarly++;
        this.notify();
      }
      for (const f of state.onClose) f();
    });
    return state;
  }

  authenticate(req: IncomingMessage): { account: Account } | { status: number; body: unknown } {
    const header = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return { status: 401, body: { detail: MESSAGES.unparsableToken } };
    const check = this.issuer.checkAccessToken(m[1]!);
    if (!check.ok) {
      return { status: 401, body: check.reason === "expired" ? tokenExpiredBody() : tokenInvalidatedBody() };
    }
    const accountHeader = req.headers["chatgpt-account-id"];
    const accountId = Array.isArray(accountHeader) ? accountHeader[0] : accountHeader;
    if (!accountId) return { status: 403, body: { detail: MESSAGES.missingAccount } };
    if (accountId !== check.account.accountId)
      return { status: 403, body: { detail: MESSAGES.wrongAccount } };
    return { account: check.account };
  }

  /** The real service's 400 `detail` for a body it rejects, or null. */
  validate(body: unknown): string | null {
    if (!isObject(body)) return "Request body must be a JSON object";
    if (body.store !== false) return "Store must be set to false";
    if (body.stream !== true) return "Stream must be set to true";
    for (const name of UNSUPPORTED_PARAMETERS) if (name in body) return `Unsupported parameter: ${name}`;
    if (typeof body.model !== "string" || body.model === "") return "Missing required parameter: 'model'.";
    const accepted = this.acceptedModels ?? this.modelList.map((m) => m.slug);
    if (!accepted.includes(body.model)) return modelNotSupported(body.model);
    if (body.instructions === undefined || body.instructions === null) {
      if (this.requireInstructions) return "Instructions are required";
    } else if (typeof body.instructions !== "string") {
      return "Invalid type for 'instructions': expected a string.";
    }
    if (!Array.isArray(body.input)) return "Input must be a list";
    for (let i = 0; i < body.input.length; i++) {
      const item: unknown = body.input[i];
      if (!isObject(item)) return `Invalid type for 'input[${i}]': expected an object.`;
      if (item.type === "item_reference") {
        return `Item with id '${String(item.id)}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`;
      }
    }
    if (body.tools !== undefined && body.tools !== null) {
      if (!Array.isArray(body.tools)) return "Invalid type for 'tools': expected an array.";
      for (let i = 0; i < body.tools.length; i++) {
        const tool: unknown = body.tools[i];
        if (!isObject(tool) || typeof tool.type !== "string")
          return `Missing required parameter: 'tools[${i}].type'.`;
        const named = tool.type === "function" || tool.type === "custom";
        if (named && (typeof tool.name !== "string" || tool.name === "")) {
          return `Missing required parameter: 'tools[${i}].name'.`;
        }
      }
    }
    if (body.reasoning !== undefined && body.reasoning !== null && !isObject(body.reasoning)) {
      return "Invalid type for 'reasoning': expected an object.";
    }
    return null;
  }

  private async answer(
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown>,
    bytes: number,
    scenario: Scenario,
    record: RecordedRequest,
    state: StreamState,
    account: Account | undefined,
  ): Promise<void> {
    switch (scenario.kind) {
      case "http": {
        record.status = scenario.status;
        const headers = { "x-request-id": requestId(), ...lower(scenario.headers) };
        const b = scenario.body;
        if (b === undefined) {
          res.writeHead(scenario.status, { ...headers, "content-length": 0 });
          res.end();
        } else if (typeof b === "string") sendText(res, scenario.status, b, headers);
        else sendJson(res, scenario.status, b, headers);
        return;
      }
      case "reset":
        state.selfClosed = true;
        req.socket.destroy();
        return;
      case "cut":
      case "stall": {
        const inner =
          scenario.of ??
          (scenario.text !== undefined ? { kind: "text", text: scenario.text } : this.streamFallback(body));
        return this.stream(res, body, bytes, inner, record, state, account, scenario);
      }
      default:
        return this.stream(res, body, bytes, scenario, record, state, account, undefined);
    }
  }

  private streamFallback(body: Record<string, unknown>): StreamScenario {
    const s = this.fallbackFor(body);
    return isStreamScenario(s) ? s : defaultScenarioFor(body);
  }

  private async stream(
    res: ServerResponse,
    body: Record<string, unknown>,
    bytes: number,
    s: StreamScenario,
    record: RecordedRequest,
    state: StreamState,
    account: Account | undefined,
    limit:
      | { kind: "cut" | "stall"; afterEvents: number; beforeHeaders?: boolean; keepAliveMs?: number }
      | undefined,
  ): Promise<void> {
    const closed = () =>
      new Promise<void>((resolve) => (state.closed ? resolve() : state.onClose.push(resolve)));
    this.open.add(res);
    if (limit?.kind === "stall" && limit.beforeHeaders) return closed();
    if (s.headersDelayMs) await sleep(s.headersDelayMs);
    if (state.closed) return;

    const model = s.model ?? String(body.model);
    record.status = 200;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...this.replyHeaders(account, model),
      ...lower(s.headers),
    });
    this.counters.streamsOpen++;
    res.once("close", () => this.counters.streamsOpen--);

    const ctx = this.streamContext(model, body, bytes);
    const delay = s.delayMs ?? 0;
    const write = async (chunk: string) => {
      if (!res.write(chunk) && !state.closed) {
        await new Promise<void>((resolve) => {
          res.once("drain", resolve);
          state.onClose.push(resolve);
        });
      }
    };

    // Headers go out with the first frames (one packet), unless the stream waits first.
    if (delay > 0 || limit?.afterEvents === 0) res.flushHeaders();
    let sent = 0;
    let pending = "";
    for (const e of streamEvents(s, ctx)) {
      if (limit && sent >= limit.afterEvents) break;
      if (state.closed) return;
      pending += frame(e);
      sent++;
      if (delay > 0) {
        await write(pending);
        pending = "";
        await sleep(delay);
      } else if (pending.length >= 16384) {
        // Without a delay, frames are batched into ~16 KB writes: fewer syscalls for the benchmark.
        await write(pending);
        pending = "";
      }
    }
    if (state.closed) return;
    if (!limit) {
      res.end(pending);
      return;
    }
    if (pending) await write(pending);
    if (state.closed) return;
    if (limit.kind === "stall") {
      if (limit.keepAliveMs) {
        const ticker = setInterval(() => {
          if (!state.closed) res.write(": keep-alive\n\n");
        }, limit.keepAliveMs);
        state.onClose.push(() => clearInterval(ticker));
      }
      return closed();
    }
    // A cut: close the connection after the data already written, without the chunked terminator.
    state.selfClosed = true;
    res.socket?.destroySoon();
  }

  private handleUsage(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET") return sendJson(res, 405, { detail: "Method Not Allowed" });
    this.usageRequests++;
    let account: Account | undefined;
    if (this.requireAuth) {
      const auth = this.authenticate(req);
      if ("status" in auth) return sendJson(res, auth.status, auth.body);
      account = auth.account;
    }
    sendJson(res, 200, usagePayload(this.rateLimitsOf(account)), { "x-request-id": requestId() });
  }

  /** What the event generator needs to know about a request. */
  streamContext(model: string, body: Record<string, unknown>, bytes: number): StreamContext {
    const include = body.include;
    return {
      model,
      body,
      includeEncrypted: Array.isArray(include) && include.includes("reasoning.encrypted_content"),
      inputTokens: Math.ceil(bytes / 4),
      completedOutput: this.completedOutput,
      defaultText: `Echo: ${lastUserText(body.input)}`,
    };
  }

  /** A streamed scenario for `cut`/`stall` without their own. */
  innerScenario(
    scenario: { of?: StreamScenario; text?: string },
    body: Record<string, unknown>,
  ): StreamScenario {
    return (
      scenario.of ??
      (scenario.text !== undefined ? { kind: "text", text: scenario.text } : this.streamFallback(body))
    );
  }

  private handleModels(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== "GET") return sendJson(res, 405, { detail: "Method Not Allowed" });
    this.counters.models++;
    const record: RecordedRequest = {
      method: "GET",
      url: req.url ?? url.pathname,
      headers: flattenHeaders(req.headers),
      body: null,
      bytes: 0,
      at: Date.now(),
    };
    this.remember(this.modelsRequests, record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      sendJson(res, status, payload, { "x-request-id": requestId(), ...headers });
    };
    if (this.requireAuth) {
      const auth = this.authenticate(req);
      if ("status" in auth) return send(auth.status, auth.body);
    }
    if (!url.searchParams.get("client_version")) {
      return send(400, { detail: "Missing required query parameter: client_version" });
    }
    if (this.modelsStatus !== undefined && this.modelsStatus !== 200) {
      return send(this.modelsStatus, { detail: "Internal Server Error" });
    }
    if (req.headers["if-none-match"] === this.etag) {
      record.status = 304;
      res.writeHead(304, { etag: this.etag });
      res.end();
      return;
    }
    record.status = 200;
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(this.modelsJson),
      etag: this.etag,
      "x-request-id": requestId(),
    });
    res.end(this.modelsJson);
  }
}

/** An HTTP answer written straight to an upgrade request's socket. */
function rawReply(socket: Duplex, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const extra = Object.entries(headers)
    .filter(([k]) => k !== "content-length" && k !== "connection")
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  const type = "content-type" in headers ? "" : "Content-Type: application/json\r\n";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n${type}${extra}Content-Length: ${Buffer.byteLength(text)}\r\n` +
      `Connection: close\r\n\r\n${text}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

function requestId(): string {
  return `req_${hexId(32)}`;
}

export function createFakeChatGpt(options: FakeChatGptOptions): FakeChatGpt {
  return new FakeChatGpt(options);
}
