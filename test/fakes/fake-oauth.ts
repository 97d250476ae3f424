// The fake auth.openai.com: POST /oauth/token (refresh_token and authorization_code grants) with rotating,
// single-use refresh tokens and reuse detection, plus a bare GET /oauth/authorize. It also owns the access
// tokens, so the fake backend asks it whether a bearer token is valid.

import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyError, readBody, sendJson, sleep } from "./http-util.ts";
import { DEFAULT_CLIENT_ID, accessTokenClaims, idTokenClaims, mintJwt } from "./jwt.ts";

export { DEFAULT_CLIENT_ID };

export const DEFAULT_ACCOUNT_ID = "4f8b2c1e-7a3d-4e9f-b6c5-2d1a0e9f8c7b";

export type RefreshFailureCode =
  "refresh_token_expired" | "refresh_token_reused" | "refresh_token_invalidated";

export interface Account {
  accountId: string;
  planType: string;
  userId: string;
  email: string;
}

export interface LoginOptions {
  accountId?: string;
  planType?: string;
  email?: string;
  userId?: string;
  /** Lifetime of the access token (and id_token); negative gives an expired one. Default `accessTokenTtlSeconds`. */
  ttlSeconds?: number;
  /** `last_refresh` of the document; default now. */
  lastRefresh?: string;
}

/** `$CODEX_HOME/auth.json` exactly as the Codex CLI writes it. */
export interface AuthDotJson {
  auth_mode: "chatgpt";
  OPENAI_API_KEY: null;
  tokens: { id_token: string; access_token: string; refresh_token: string; account_id: string };
  last_refresh: string;
}

export interface TokenReply {
  id_token: string;
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

export interface FakeIssuerOptions {
  clientId?: string;
  accessTokenTtlSeconds?: number;
  refreshDelayMs?: number;
}

export type AccessTokenCheck =
  | { ok: true; account: Account; expiresAt: number }
  | { ok: false; reason: "expired" | "invalidated" | "unknown" };

interface AccessRecord {
  account: Account;
  expiresAtMs: number;
  revoked: boolean;
}

interface RefreshRecord {
  account: Account;
  state: "valid" | "used" | "invalidated" | "expired";
}

interface CodeRecord {
  account: Account;
  redirectUri?: string;
  codeChallenge?: string;
  used: boolean;
}

type ScriptedFailure = { code: RefreshFailureCode } | { status: number; body?: unknown };

const REFRESH_MESSAGES: Record<RefreshFailureCode, string> = {
  refresh_token_reused:
    "Your refresh token has already been used to generate a new access token. Please try signing in again.",
  refresh_token_expired: "Your refresh token has expired. Please try signing in again.",
  refresh_token_invalidated: "Your refresh token has been invalidated. Please try signing in again.",
};

/** The body auth.openai.com sends (HTTP 401) for a refresh token it will not accept. */
export function refreshErrorBody(code: RefreshFailureCode): unknown {
  return { error: { message: REFRESH_MESSAGES[code], type: "invalid_request_error", param: null, code } };
}

const SCOPE = "openid profile email offline_access";

export class FakeIssuer {
  clientId: string;
  accessTokenTtlSeconds: number;
  /** Delay before each refresh answer, so concurrent refreshes overlap in tests. */
  refreshDelayMs: number;

  /** Every refresh_token grant request, accepted or not. */
  refreshCalls = 0;
  successfulRefreshes = 0;
  /** Every refresh token presented, in order (tests assert no duplicates). */
  readonly refreshTokensSeen: string[] = [];
  /** Every parsed POST /oauth/token body, in order. */
  readonly tokenRequests: Record<string, string>[] = [];

  private readonly access = new Map<string, AccessRecord>();
  private readonly refresh = new Map<string, RefreshRecord>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly failures: ScriptedFailure[] = [];
  private failAll: RefreshFailureCode | null = null;

  constructor(options: FakeIssuerOptions = {}) {
    this.clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 3600;
    this.refreshDelayMs = options.refreshDelayMs ?? 0;
  }

  /** A fresh sign-in (a new refresh-token family), as the auth.json document the Codex CLI would write. */
  login(options: LoginOptions = {}): AuthDotJson {
    const account = this.account(options);
    const t = this.mintTokens(account, options.ttlSeconds ?? this.accessTokenTtlSeconds);
    return {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: {
        id_token: t.id_token,
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        account_id: account.accountId,
      },
      last_refresh: options.lastRefresh ?? new Date().toISOString(),
    };
  }

  /** A single-use authorization code for the authorization_code grant. */
  mintAuthorizationCode(
    options: LoginOptions & { redirectUri?: string; codeChallenge?: string } = {},
  ): string {
    const code = `ac_${randomBytes(24).toString("base64url")}`;
    this.codes.set(code, {
      account: this.account(options),
      redirectUri: options.redirectUri,
      codeChallenge: options.codeChallenge,
      used: false,
    });
    return code;
  }

  checkAccessToken(token: string): AccessTokenCheck {
    const rec = this.access.get(token);
    if (!rec) return { ok: false, reason: "unknown" };
    if (rec.revoked) return { ok: false, reason: "invalidated" };
    if (rec.expiresAtMs <= Date.now()) return { ok: false, reason: "expired" };
    return { ok: true, account: rec.account, expiresAt: rec.expiresAtMs };
  }

  /** Known, not revoked, not expired. */
  isAccessTokenValid(token: string): boolean {
    return this.checkAccessToken(token).ok;
  }

  /** Every access token issued so far becomes invalid (the backend answers 401 token_invalidated). */
  revokeAccessTokens(): void {
    for (const rec of this.access.values()) rec.revoked = true;
  }

  /** Every access token issued so far is treated as expired (the backend answers 401 token_expired). */
  expireAccessTokens(): void {
    const past = Date.now() - 1000;
    for (const rec of this.access.values()) rec.expiresAtMs = Math.min(rec.expiresAtMs, past);
  }

  /** Every unused refresh token issued so far becomes permanently invalid with this code. */
  revokeRefreshTokens(
    code: "refresh_token_invalidated" | "refresh_token_expired" = "refresh_token_invalidated",
  ): void {
    const state = code === "refresh_token_expired" ? "expired" : "invalidated";
    for (const rec of this.refresh.values()) if (rec.state === "valid") rec.state = state;
  }

  /** The next refresh request fails with this code (HTTP 401); the presented token stays usable. */
  failNextRefresh(code: RefreshFailureCode): void {
    this.failures.push({ code });
  }

  /** Every refresh fails with this code until called with null. */
  failAllRefreshes(code: RefreshFailureCode | null): void {
    this.failAll = code;
  }

  /** The next refresh request gets this status (e.g. 500, a transient failure); the token stays usable. */
  failNextRefreshWithStatus(status: number, body?: unknown): void {
    this.failures.push({ status, body });
  }

  /** Handles POST /oauth/token and GET /oauth/authorize; false when the path is not the issuer's. */
  handles(method: string, path: string): boolean {
    return (
      (method === "POST" && path === "/oauth/token") || (method === "GET" && path === "/oauth/authorize")
    );
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === "GET" && url.pathname === "/oauth/authorize") return this.authorize(res, url);
    let params: Record<string, string>;
    try {
      params = parseParams(await readBody(req), req.headers["content-type"]);
    } catch (err) {
      const status = err instanceof BodyError ? err.status : 400;
      return sendJson(res, status, { error: "invalid_request", error_description: (err as Error).message });
    }
    this.tokenRequests.push(params);
    const grant = params.grant_type;
    if (grant === "refresh_token") return this.refreshGrant(params, res);
    if (grant === "authorization_code") return this.codeGrant(params, res);
    sendJson(res, 400, {
      error: "unsupported_grant_type",
      error_description: `Unsupported grant_type: ${grant ?? "(missing)"}`,
    });
  }

  private async refreshGrant(params: Record<string, string>, res: ServerResponse): Promise<void> {
    this.refreshCalls++;
    const token = params.refresh_token;
    if (token !== undefined) this.refreshTokensSeen.push(token);
    if (params.client_id !== this.clientId) return invalidClient(res);
    if (!token) {
      return sendJson(res, 400, { error: "invalid_request", error_description: "Missing refresh_token" });
    }
    // Decide (and spend the token) at arrival, so an overlapping second use is detected as reuse.
    const scripted = this.failures.shift();
    let reply: { status: number; body: unknown };
    if (scripted && "code" in scripted) {
      reply = { status: 401, body: refreshErrorBody(scripted.code) };
    } else if (scripted) {
      reply = {
        status: scripted.status,
        body: scripted.body ?? {
          error: { message: "Internal server error", type: "server_error", param: null, code: null },
        },
      };
    } else if (this.failAll) {
      reply = { status: 401, body: refreshErrorBody(this.failAll) };
    } else {
      const rec = this.refresh.get(token);
      if (!rec) reply = { status: 401, body: refreshErrorBody("refresh_token_invalidated") };
      else if (rec.state === "used") reply = { status: 401, body: refreshErrorBody("refresh_token_reused") };
      else if (rec.state === "expired")
        reply = { status: 401, body: refreshErrorBody("refresh_token_expired") };
      else if (rec.state === "invalidated") {
        reply = { status: 401, body: refreshErrorBody("refresh_token_invalidated") };
      } else {
        rec.state = "used";
        this.successfulRefreshes++;
        reply = { status: 200, body: this.mintTokens(rec.account, this.accessTokenTtlSeconds) };
      }
    }
    if (this.refreshDelayMs > 0) await sleep(this.refreshDelayMs);
    sendJson(res, reply.status, reply.body, { "cache-control": "no-store" });
  }

  private codeGrant(params: Record<string, string>, res: ServerResponse): void {
    if (params.client_id !== this.clientId) return invalidClient(res);
    const rec = params.code ? this.codes.get(params.code) : undefined;
    const bad = (description: string) =>
      sendJson(res, 400, { error: "invalid_grant", error_description: description });
    if (!rec || rec.used) return bad("Invalid authorization code");
    if (rec.redirectUri !== undefined && rec.redirectUri !== params.redirect_uri)
      return bad("redirect_uri mismatch");
    if (rec.codeChallenge !== undefined) {
      const verifier = params.code_verifier ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (challenge !== rec.codeChallenge) return bad("Invalid code_verifier");
    }
    rec.used = true;
    sendJson(res, 200, this.mintTokens(rec.account, this.accessTokenTtlSeconds), {
      "cache-control": "no-store",
    });
  }

  // Just enough of the browser step for a login test: redirect straight back with a fresh code.
  private authorize(res: ServerResponse, url: URL): void {
    const redirect = url.searchParams.get("redirect_uri");
    if (url.searchParams.get("client_id") !== this.clientId || !redirect) {
      return sendJson(res, 400, {
        error: "invalid_request",
        error_description: "Missing client_id or redirect_uri",
      });
    }
    const code = this.mintAuthorizationCode({
      redirectUri: redirect,
      codeChallenge: url.searchParams.get("code_challenge") ?? undefined,
    });
    const target = new URL(redirect);
    target.searchParams.set("code", code);
    const state = url.searchParams.get("state");
    if (state !== null) target.searchParams.set("state", state);
    res.writeHead(302, { location: target.toString(), "content-length": 0 });
    res.end();
  }

  private account(o: LoginOptions): Account {
    const accountId = o.accountId ?? DEFAULT_ACCOUNT_ID;
    return {
      accountId,
      planType: o.planType ?? "plus",
      userId: o.userId ?? `user-${accountId.slice(0, 8)}`,
      email: o.email ?? "codex-user@example.com",
    };
  }

  private mintTokens(account: Account, ttlSeconds: number): TokenReply {
    const claims = { ...account, ttlSeconds, clientId: this.clientId };
    const access_token = mintJwt(accessTokenClaims(claims));
    const refresh_token = `rt_${randomUUID().replaceAll("-", "")}${randomBytes(8).toString("hex")}`;
    this.access.set(access_token, { account, expiresAtMs: Date.now() + ttlSeconds * 1000, revoked: false });
    this.refresh.set(refresh_token, { account, state: "valid" });
    return {
      id_token: mintJwt(idTokenClaims(claims)),
      access_token,
      refresh_token,
      token_type: "Bearer",
      expires_in: ttlSeconds,
      scope: SCOPE,
    };
  }
}

function invalidClient(res: ServerResponse): void {
  sendJson(res, 401, { error: "invalid_client", error_description: "Unknown or invalid client_id" });
}

// Codex sends JSON, ChatMock and the authorization_code exchange send a form; accept both.
function parseParams(body: Buffer, contentType: string | undefined): Record<string, string> {
  const text = body.toString("utf8");
  const looksJson = contentType?.includes("json") ?? text.trimStart().startsWith("{");
  const out: Record<string, string> = {};
  if (looksJson) {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new Error("Body must be an object");
    for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  } else {
    for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  }
  return out;
}

export function createFakeIssuer(options?: FakeIssuerOptions): FakeIssuer {
  return new FakeIssuer(options);
}
