// The TokenManager of a Worker isolate. It never refreshes: it uses the access token KV holds while that token is
// good for more than the refresh window, and otherwise asks the account's Durable Object (TokenRefresher), which
// refreshes once for every isolate and writes the new document to KV. Each request asks the object itself (no
// promise shared between requests: Workers tie I/O to the request that started it).

import { ConfigError, type Config } from "../config.ts";
import { RelayError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { accountIdOf, isNewer, parseAuthJson } from "../auth/document.ts";
import { readCachedDocument, type DocumentSealer } from "../auth/durable-object-store.ts";
import { decodeJwtClaims } from "../auth/jwt.ts";
import { REFRESH_WINDOW_MS, type TokenManager } from "../auth/token-manager.ts";
import type { AuthDocument, Credentials, TokenStatus } from "../auth/types.ts";
import type { WorkerEnv } from "./env.ts";
import type { IssuedCredentials } from "./token-refresher.ts";
import { configurationError, fromWire, type Wire } from "./wire.ts";

export interface RemoteTokensOptions {
  config: Pick<Config, "codexAuthJson">;
  env: WorkerEnv;
  accountKey: string;
  sealer: DocumentSealer;
  logger: Logger;
  now?: () => number;
}

interface Held {
  credentials: Credentials;
  /** From then on, the Durable Object is asked again. */
  untilMs: number;
}

export function createRemoteTokens(options: RemoteTokensOptions): TokenManager {
  const { env, accountKey, sealer, logger } = options;
  const now = options.now ?? Date.now;
  const envDoc = options.config.codexAuthJson
    ? parseAuthJson(options.config.codexAuthJson, "OPENAI_CODEX_AUTH")
    : null;
  let held: Held | null = null;
  let lastStatus: TokenStatus | null = null;
  const location = `Durable Object "${accountKey}" (KV cache)`;

  const refresher = () => env.TOKEN_REFRESHER.get(env.TOKEN_REFRESHER.idFromName(accountKey));

  /** One RPC to the account's Durable Object; a failed call (not an answer) is a 503, never a bare 500. */
  async function ask<T>(call: (stub: ReturnType<typeof refresher>) => Promise<Wire<T>>): Promise<T> {
    let wire: Wire<T>;
    try {
      wire = await call(refresher());
    } catch (err) {
      logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        "the token refresher could not be reached",
      );
      throw new RelayError(
        503,
        "The token refresher (a Durable Object) could not be reached; try again shortly.",
        {
          code: "token_store_unreachable",
          headers: { "retry-after": "5" },
        },
      );
    }
    return fromWire(wire);
  }

  function hold(issued: IssuedCredentials): Credentials {
    const exp = issued.expiresAt === null ? NaN : Date.parse(issued.expiresAt);
    // Without a readable expiry the object decides every time.
    held = Number.isNaN(exp) ? null : { credentials: issued.credentials, untilMs: exp - REFRESH_WINDOW_MS };
    return issued.credentials;
  }

  /** Credentials from KV's copy, when it is the document to use and good for more than the refresh window. */
  async function fromCache(): Promise<Credentials | null> {
    let doc: AuthDocument | null;
    try {
      doc = await readCachedDocument(env.KV, accountKey, sealer);
    } catch (err) {
      if (err instanceof ConfigError) throw configurationError(err);
      // Not the truth anyway: the Durable Object answers instead.
      logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not read the KV token cache",
      );
      return null;
    }
    if (!doc || (envDoc && !isNewer(doc, envDoc))) return null;
    const exp = decodeJwtClaims(doc.tokens.access_token)?.exp;
    const accountId = accountIdOf(doc);
    if (exp == null || !accountId) return null;
    const untilMs = exp * 1000 - REFRESH_WINDOW_MS;
    if (untilMs <= now()) return null;
    held = { credentials: { accessToken: doc.tokens.access_token, accountId }, untilMs };
    return held.credentials;
  }

  async function getCredentials(): Promise<Credentials> {
    if (held && held.untilMs > now()) return held.credentials;
    held = null;
    const cached = await fromCache();
    if (cached) return cached;
    return hold(await ask((r) => r.getCredentials(accountKey)));
  }

  async function handleUnauthorized(rejected: Credentials): Promise<Credentials> {
    held = null;
    return hold(await ask((r) => r.handleUnauthorized(accountKey, rejected)));
  }

  async function forceRefresh(): Promise<TokenStatus> {
    held = null;
    lastStatus = await ask((r) => r.forceRefresh(accountKey));
    return lastStatus;
  }

  async function loadStatus(): Promise<TokenStatus> {
    try {
      lastStatus = await ask((r) => r.loadStatus(accountKey));
    } catch (err) {
      const e = err instanceof RelayError ? err : null;
      logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not read the token status",
      );
      lastStatus = {
        ...status(),
        lastError: {
          message: e?.message ?? "The token refresher could not be reached.",
          code: e?.code ?? null,
          at: new Date(now()).toISOString(),
          needsSignIn: false,
        },
      };
    }
    return lastStatus;
  }

  function status(): TokenStatus {
    return (
      lastStatus ?? {
        source: "none",
        store: { kind: "durable-object", location },
        accountId: held?.credentials.accountId ?? null,
        planType: null,
        email: null,
        accessTokenFingerprint: null,
        expiresAt: null,
        expiresInSeconds: null,
        lastRefresh: null,
        refreshable: false,
        lastError: null,
        refreshCount: 0,
      }
    );
  }

  return { getCredentials, handleUnauthorized, forceRefresh, status, loadStatus, settle: async () => {} };
}
