// The fake auth.openai.com: POST /oauth/token (refresh_token and authorization_code grants, PKCE checked) with
// rotating, single-use refresh tokens and reuse detection; GET /oauth/authorize (a test plays the browser: it
// follows the URL and is redirected to the callback with code+state, or with error=access_denied); the
// device-code endpoints (POST /api/accounts/deviceauth/usercode and /token, as codex-rs/login's
// device_code_auth.rs calls them); POST /oauth/revoke. It also owns the access tokens, so the fake backend asks it
// whether a bearer token is valid.

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
  /** The polling interval the device-code reply asks for, in seconds (sent as a string, like the real one). */
  deviceIntervalSeconds?: number;
}

/** A device code waiting for the user to enter it. */
export interface DeviceAuthorization {
  deviceAuthId: string;
  userCode: string;
  state: "pending" | "approved" | "denied" | "used";
  login: LoginOptions;
  /** Set once approved: what the poll hands out. */
  grant?: { authorization_code: string; code_challenge: string; code_verifier: string };
  polls: number;
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

export const DEVICE_USERCODE_PATH = "/api/accounts/deviceauth/usercode";
export const DEVICE_TOKEN_PATH = "/api/accounts/deviceauth/token";
const ISSUER_POST_PATHS = new Set(["/oauth/token", "/oauth/revoke", DEVICE_USERCODE_PATH, DEVICE_TOKEN_PATH]);

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

  /** Every GET /oauth/authorize query, in order (tests check the parameters). */
  readonly authorizeRequests: URLSearchParams[] = [];
  /** Device codes handed out, by user code. */
  readonly deviceAuthorizations = new Map<string, DeviceAuthorization>();
  /** Every POST /oauth/revoke body. */
  readonly revocations: Record<string, string>[] = [];
  deviceIntervalSeconds: number;
  /** Who signs in at the next authorizations (the "browser" session). */
  private nextLogin: LoginOptions = {};
  private denial: string | null = null;

  constructor(options: FakeIssuerOptions = {}) {
    this.clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 3600;
    this.refreshDelayMs = options.refreshDelayMs ?? 0;
    this.deviceIntervalSeconds = options.deviceIntervalSeconds ?? 5;
  }

  /** The account that signs in when a test follows an authorize URL (or approves a device code without one). */
  signInAs(options: LoginOptions): void {
    this.nextLogin = options;
  }

  /** The next authorization is refused: the browser is sent back with error=access_denied. */
  denyNextAuthorization(description = "The user denied access"): void {
    this.denial = description;
  }

  /** The user entered this device code and allowed access (as `options`, default the signInAs account). */
  approveDevice(userCode: string, options?: LoginOptions): void {
    const d = this.deviceAuthorizations.get(userCode);
    if (!d || d.state !== "pending") throw new Error(`fake issuer: no pending device code ${userCode}`);
    d.state = "approved";
    d.login = options ?? this.nextLogin;
  }

  /** The user refused access for this device code. */
  denyDevice(userCode: string): void {
    const d = this.deviceAuthorizations.get(userCode);
    if (!d) throw new Error(`fake issuer: no device code ${userCode}`);
    d.state = "denied";
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

  /** The issuer's routes; false when the path is not the issuer's. */
  handles(method: string, path: string): boolean {
    return (
      (method === "POST" && ISSUER_POST_PATHS.has(path)) || (method === "GET" && path === "/oauth/authorize")
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
    if (url.pathname === DEVICE_USERCODE_PATH) return this.deviceUserCode(params, res);
    if (url.pathname === DEVICE_TOKEN_PATH) return this.deviceToken(params, req, res);
    if (url.pathname === "/oauth/revoke") return this.revoke(params, res);
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

  // The browser step, as far as a test can play it: the parameters the real issuer needs are checked, the user is
  // the signInAs account and consents at once (or refuses, after denyNextAuthorization), and the browser is sent
  // back to redirect_uri with code and state (or error).
  private authorize(res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    this.authorizeRequests.push(new URLSearchParams(q));
    const redirect = q.get("redirect_uri");
    const scope = (q.get("scope") ?? "").split(" ");
    const problem =
      q.get("client_id") !== this.clientId
        ? "Unknown client_id"
        : !redirect
          ? "Missing redirect_uri"
          : q.get("response_type") !== "code"
            ? "response_type must be code"
            : !q.get("code_challenge") || q.get("code_challenge_method") !== "S256"
              ? "PKCE with code_challenge_method=S256 is required"
              : !scope.includes("openid") || !scope.includes("offline_access")
                ? "scope must include openid and offline_access"
                : !q.get("state")
                  ? "Missing state"
                  : null;
    if (problem) return sendJson(res, 400, { error: "invalid_request", error_description: problem });
    const target = new URL(redirect!);
    if (this.denial !== null) {
      target.searchParams.set("error", "access_denied");
      target.searchParams.set("error_description", this.denial);
      this.denial = null;
    } else {
      const code = this.mintAuthorizationCode({
        ...this.nextLogin,
        redirectUri: redirect!,
        codeChallenge: q.get("code_challenge")!,
      });
      target.searchParams.set("code", code);
    }
    target.searchParams.set("state", q.get("state")!);
    res.writeHead(302, { location: target.toString(), "content-length": 0 });
    res.end();
  }

  private deviceUserCode(params: Record<string, string>, res: ServerResponse): void {
    if (params.client_id !== this.clientId) return invalidClient(res);
    const userCode = `${randomBytes(2).toString("hex").toUpperCase()}-${randomBytes(3).toString("hex").toUpperCase()}`;
    const deviceAuthId = `deviceauth_${randomBytes(12).toString("hex")}`;
    this.deviceAuthorizations.set(userCode, {
      deviceAuthId,
      userCode,
      state: "pending",
      login: this.nextLogin,
      polls: 0,
    });
    sendJson(res, 200, {
      device_auth_id: deviceAuthId,
      user_code: userCode,
      interval: String(this.deviceIntervalSeconds),
    });
  }

  // 403 while the user has not entered the code yet (the CLI keeps polling on 403/404).
  private deviceToken(params: Record<string, string>, req: IncomingMessage, res: ServerResponse): void {
    const d = params.user_code ? this.deviceAuthorizations.get(params.user_code) : undefined;
    if (!d || d.deviceAuthId !== params.device_auth_id) {
      return sendJson(res, 404, { error: { code: "deviceauth_not_found", message: "Unknown device code" } });
    }
    d.polls++;
    if (d.state === "pending") {
      return sendJson(res, 403, { error: { code: "deviceauth_pending", message: "Authorization pending" } });
    }
    if (d.state === "denied") {
      return sendJson(res, 400, { error: { code: "access_denied", message: "The user denied access" } });
    }
    if (d.state === "used") {
      return sendJson(res, 400, { error: { code: "deviceauth_used", message: "Device code already used" } });
    }
    const verifier = randomBytes(64).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const host = req.headers.host ?? "localhost";
    const code = this.mintAuthorizationCode({
      ...d.login,
      redirectUri: `http://${host}/deviceauth/callback`,
      codeChallenge: challenge,
    });
    d.state = "used";
    d.grant = { authorization_code: code, code_challenge: challenge, code_verifier: verifier };
    sendJson(res, 200, d.grant);
  }

  private revoke(params: Record<string, string>, res: ServerResponse): void {
    this.revocations.push(params);
    const rec = params.token ? this.refresh.get(params.token) : undefined;
    if (rec && rec.state === "valid") rec.state = "invalidated";
    sendJson(res, 200, {});
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
