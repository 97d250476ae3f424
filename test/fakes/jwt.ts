// Unsigned JWTs laid out like the tokens auth.openai.com issues for "Sign in with ChatGPT". Nobody verifies the
// signature (neither Codex nor the relay), so a fixed fake signature keeps the three-part shape.

import { randomBytes } from "node:crypto";

export const ISSUER = "https://auth.openai.com";
export const AUTH_CLAIM = "https://api.openai.com/auth";
export const PROFILE_CLAIM = "https://api.openai.com/profile";
export const DEFAULT_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";

export type JwtPayload = Record<string, unknown>;

export interface TokenClaimsOptions {
  accountId: string;
  planType?: string;
  userId?: string;
  email?: string;
  /** Lifetime from now; negative gives an already expired token. Default 3600. */
  ttlSeconds?: number;
  clientId?: string;
  /** Epoch seconds used as `iat`; default now. */
  now?: number;
}

function b64url(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

export function mintJwt(payload: JwtPayload): string {
  return [
    b64url(JSON.stringify({ alg: "RS256", typ: "JWT" })),
    b64url(JSON.stringify(payload)),
    b64url("fake-signature"),
  ].join(".");
}

/** The payload of a JWT, or null when the string is not one. */
export function decodeJwtPayload(token: string): JwtPayload | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as JwtPayload)
      : null;
  } catch {
    return null;
  }
}

function common(o: TokenClaimsOptions): {
  iat: number;
  exp: number;
  userId: string;
  email: string;
  planType: string;
} {
  const iat = o.now ?? Math.floor(Date.now() / 1000);
  return {
    iat,
    exp: iat + (o.ttlSeconds ?? 3600),
    userId: o.userId ?? `user-${o.accountId.slice(0, 8)}`,
    email: o.email ?? "codex-user@example.com",
    planType: o.planType ?? "plus",
  };
}

function authNamespace(o: TokenClaimsOptions, c: ReturnType<typeof common>): Record<string, unknown> {
  return {
    chatgpt_account_id: o.accountId,
    chatgpt_plan_type: c.planType,
    chatgpt_user_id: c.userId,
    user_id: c.userId,
  };
}

export function accessTokenClaims(o: TokenClaimsOptions): JwtPayload {
  const c = common(o);
  return {
    aud: ["https://api.openai.com/v1"],
    client_id: o.clientId ?? DEFAULT_CLIENT_ID,
    exp: c.exp,
    [AUTH_CLAIM]: authNamespace(o, c),
    [PROFILE_CLAIM]: { email: c.email, email_verified: true },
    iat: c.iat,
    iss: ISSUER,
    // A random jti keeps two tokens minted in the same second distinct.
    jti: randomBytes(8).toString("hex"),
    nbf: c.iat,
    scp: ["openid", "profile", "email", "offline_access"],
    sub: `auth0|${c.userId}`,
  };
}

export function idTokenClaims(o: TokenClaimsOptions): JwtPayload {
  const c = common(o);
  return {
    aud: [o.clientId ?? DEFAULT_CLIENT_ID],
    auth_time: c.iat,
    email: c.email,
    email_verified: true,
    exp: c.exp,
    [AUTH_CLAIM]: { ...authNamespace(o, c), organizations: [] },
    [PROFILE_CLAIM]: { email: c.email, email_verified: true },
    iat: c.iat,
    iss: ISSUER,
    jti: randomBytes(8).toString("hex"),
    sub: `auth0|${c.userId}`,
  };
}
