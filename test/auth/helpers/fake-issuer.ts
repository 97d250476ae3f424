// A minimal OAuth issuer over real HTTP for the auth tests: POST /oauth/token with the refresh_token grant,
// rotating refresh tokens with reuse detection, unsigned JWTs with `exp` and the ChatGPT auth claims.

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { AuthDocument } from "../../../src/auth/types.ts";
import { mintJwt } from "./jwt.ts";

export interface IssuerFailure {
  status: number;
  body: unknown;
}

export interface FakeIssuer {
  tokenUrl: string;
  /** A fresh sign-in: a new token family. */
  login(options?: { expiresInSec?: number; lastRefresh?: string }): AuthDocument;
  /** Every refresh POST, in order. */
  readonly refreshTokensSeen: string[];
  readonly refreshCalls: number;
  /** Refresh tokens handed out, newest last. */
  readonly issued: string[];
  /** Access tokens handed out, newest last. */
  readonly accessIssued: string[];
  /** Requests answered with refresh_token_reused. */
  readonly reuseCount: number;
  /** Answer the next refresh with this error code (a 401 with `error.code`) or an explicit reply. */
  failNextRefresh(failure: string | IssuerFailure): void;
  /** Revoke all refresh tokens issued so far (the next use is refresh_token_invalidated). */
  revokeAll(): void;
  refreshDelayMs: number;
  /** Lifetime of the access tokens a refresh mints. */
  accessTtlSec: number;
  /** When false, the reply keeps the old refresh token (no rotation). */
  rotate: boolean;
  lastBody: Record<string, unknown> | null;
  close(): Promise<void>;
}

export const ACCOUNT_ID = "acct-1111-2222";

export async function startFakeIssuer(): Promise<FakeIssuer> {
  const valid = new Set<string>();
  const used = new Set<string>();
  const failures: IssuerFailure[] = [];
  const seen: string[] = [];
  const issued: string[] = [];
  const accessIssued: string[] = [];
  let reuseCount = 0;

  const mint = (expiresInSec: number) => {
    const exp = Math.floor(Date.now() / 1000) + expiresInSec;
    const claims = { accountId: ACCOUNT_ID, planType: "plus", userId: "user-1" };
    const refresh = `rt_${randomBytes(12).toString("hex")}`;
    const access = mintJwt({ ...claims, exp, extra: { jti: randomBytes(6).toString("hex") } });
    valid.add(refresh);
    issued.push(refresh);
    accessIssued.push(access);
    return {
      id_token: mintJwt({ ...claims, exp, email: "user@example.com" }),
      access_token: access,
      refresh_token: refresh,
    };
  };

  const issuer: FakeIssuer = {
    tokenUrl: "",
    refreshTokensSeen: seen,
    get refreshCalls() {
      return seen.length;
    },
    issued,
    accessIssued,
    get reuseCount() {
      return reuseCount;
    },
    refreshDelayMs: 0,
    accessTtlSec: 3600,
    rotate: true,
    lastBody: null,
    login(options = {}) {
      const t = mint(options.expiresInSec ?? 3600);
      return {
        auth_mode: "chatgpt",
        OPENAI_API_KEY: null,
        tokens: { ...t, account_id: ACCOUNT_ID },
        last_refresh: options.lastRefresh ?? new Date().toISOString(),
      };
    },
    failNextRefresh(failure) {
      failures.push(
        typeof failure === "string"
          ? { status: 401, body: { error: { code: failure, message: failure } } }
          : failure,
      );
    },
    revokeAll() {
      for (const t of valid) used.delete(t);
      valid.clear();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.method !== "POST" || req.url !== "/oauth/token") return send(404, { error: "not_found" });
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        } catch {
          return send(400, { error: "invalid_request" });
        }
        issuer.lastBody = body;
        const rt = typeof body.refresh_token === "string" ? body.refresh_token : "";
        seen.push(rt);
        if (issuer.refreshDelayMs > 0) await new Promise((r) => setTimeout(r, issuer.refreshDelayMs));
        const failure = failures.shift();
        if (failure) return send(failure.status, failure.body);
        if (body.grant_type !== "refresh_token" || !body.client_id)
          return send(400, { error: "invalid_request" });
        if (used.has(rt)) {
          reuseCount += 1;
          return send(401, {
            error: { code: "refresh_token_reused", message: "refresh token already used" },
          });
        }
        if (!valid.has(rt))
          return send(401, { error: { code: "refresh_token_invalidated", message: "invalid" } });
        const t = mint(issuer.accessTtlSec);
        if (issuer.rotate) {
          valid.delete(rt);
          used.add(rt);
          return send(200, t);
        }
        valid.delete(t.refresh_token);
        issued.pop();
        issued.push(rt);
        return send(200, { id_token: t.id_token, access_token: t.access_token });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer.tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  return issuer;
}
