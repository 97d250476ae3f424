// The authorization-code exchange (POST <issuer>/oauth/token, form-encoded, as codex-rs/login/src/server.rs
// `exchange_code_for_tokens`) and the auth.json document built from its reply, in the Codex CLI's layout.

import { decodeJwtClaims } from "./jwt.ts";
import { LoginError, issuerUnreachable } from "./login-error.ts";
import type { AuthDocument } from "./types.ts";

export interface CodeExchange {
  fetch: typeof fetch;
  tokenUrl: string;
  /** For messages only. */
  issuer: string;
  clientId: string;
  code: string;
  redirectUri: string;
  codeVerifier: string;
  timeoutMs?: number;
}

export interface ExchangedTokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
}

export async function exchangeAuthorizationCode(x: CodeExchange): Promise<ExchangedTokens> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: x.code,
    redirect_uri: x.redirectUri,
    client_id: x.clientId,
    code_verifier: x.codeVerifier,
  });
  const doFetch = x.fetch;
  let res: Response;
  try {
    res = await doFetch(x.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: body.toString(),
      signal: AbortSignal.timeout(x.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw issuerUnreachable(x.issuer, err);
  }
  const text = await res.text().catch(() => "");
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: described by status below
  }
  if (!res.ok) {
    throw new LoginError(
      "token_exchange_failed",
      `The sign-in server refused the code exchange (HTTP ${res.status}: ${errorDetail(json)}). Run the login again.`,
    );
  }
  const t = (json ?? {}) as Record<string, unknown>;
  if (
    typeof t.id_token !== "string" ||
    typeof t.access_token !== "string" ||
    typeof t.refresh_token !== "string"
  ) {
    throw new LoginError(
      "token_exchange_failed",
      "The sign-in server's reply to the code exchange has no id_token, access_token and refresh_token.",
    );
  }
  return { id_token: t.id_token, access_token: t.access_token, refresh_token: t.refresh_token };
}

/** `{auth_mode:"chatgpt", OPENAI_API_KEY:null, tokens:{…, account_id}, last_refresh}`, like the CLI writes it. */
export function authDocumentFrom(tokens: ExchangedTokens, now = new Date()): AuthDocument {
  const accountId =
    decodeJwtClaims(tokens.id_token)?.accountId ?? decodeJwtClaims(tokens.access_token)?.accountId ?? null;
  return {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    tokens: {
      id_token: tokens.id_token,
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      account_id: accountId,
    },
    last_refresh: now.toISOString(),
  };
}

/** `error_description`, `error.message`, `error` or `error.code` of an OAuth error body (no token in them). */
export function errorDetail(json: unknown): string {
  if (typeof json !== "object" || json === null) return "no details";
  const b = json as Record<string, unknown>;
  if (typeof b.error_description === "string" && b.error_description) return b.error_description;
  const e = b.error;
  if (typeof e === "object" && e !== null) {
    const o = e as Record<string, unknown>;
    if (typeof o.message === "string" && o.message) return o.message;
    if (typeof o.code === "string") return o.code;
  }
  if (typeof e === "string") return e;
  return "no details";
}
