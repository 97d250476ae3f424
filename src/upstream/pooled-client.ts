// The backend client over an account pool: each request goes to the account the pool picks, through that
// account's own client (its tokens, installation id and rate-limit state). A usage limit or a sign-in that failed
// for good parks the account and the request moves on to the next one; all of this happens before the first
// byte reaches the client, since a reply is only handed on once the backend accepted it.

import { RelayError } from "../core/errors.ts";
import { fingerprint, type Logger } from "../core/logger.ts";
import type { AccountPool, PoolAccount } from "../auth/account-pool.ts";
import type { ResponsesRequestBody } from "../responses/types.ts";
import type { CodexClient, UpstreamReply, UpstreamRequestOptions } from "./codex-client.ts";

export interface PooledClientDeps {
  pool: AccountPool;
  /** The backend client of each account. */
  clientOf: (account: PoolAccount) => CodexClient;
  logger: Logger;
}

const USAGE_CODES = new Set(["usage_limit_reached", "usage_not_included"]);

export function createPooledClient(deps: PooledClientDeps): CodexClient {
  const { pool, logger } = deps;
  const clients = new Map<string, CodexClient>();
  const clientFor = (a: PoolAccount): CodexClient => {
    let c = clients.get(a.key);
    if (!c) clients.set(a.key, (c = deps.clientOf(a)));
    return c;
  };

  async function stream(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<UpstreamReply> {
    // One account (the usual set-up): its client as it is, nothing to route or count on the hot path.
    if (pool.accounts.length === 1) return clientFor(pool.accounts[0]!).stream(body, options);
    // Credentials read ahead were for the one account there was; here each attempt's account reads its own.
    if (options.credentials) options = { ...options, credentials: undefined };
    // The client fills in client_metadata with its account's installation id; a failover must not carry it over.
    const ownMetadata = body.client_metadata === undefined;
    const tried = new Set<string>();
    for (;;) {
      const account = await pool.pick(options.sessionId, tried);
      tried.add(account.key);
      if (ownMetadata) body.client_metadata = undefined;
      pool.begin(account);
      let reply: UpstreamReply;
      try {
        reply = await clientFor(account).stream(body, options);
      } catch (err) {
        pool.end(account);
        const reason = parkReason(err);
        if (!reason || pool.accounts.length === 1) throw err;
        const e = err as RelayError;
        const retryAfter = e.headers["retry-after"];
        pool.park(account, reason, retryAfter === undefined ? null : Number(retryAfter), e.message);
        logger.info({ account: account.key, reason }, "request moves to another account");
        continue;
      }
      return {
        headers: reply.headers,
        events: counted(reply.events, () => pool.end(account)),
        account: fingerprint(account.tokens.status().accountId),
      };
    }
  }

  /** Opens the conversation's connection on the account its turns will go to (the pool remembers the choice). */
  async function preconnect(body: ResponsesRequestBody, options: UpstreamRequestOptions): Promise<void> {
    const account = pool.accounts.length === 1 ? pool.accounts[0]! : await pool.pick(options.sessionId);
    await clientFor(account).preconnect?.(body, options);
  }

  return {
    stream,
    preconnect,
    credentialsAhead: () =>
      pool.accounts.length === 1 ? clientFor(pool.accounts[0]!).credentialsAhead?.() : undefined,
  };
}

function parkReason(err: unknown): "usage_limit" | "sign_in" | null {
  if (!(err instanceof RelayError)) return null;
  if (err.status === 429 && err.code !== null && USAGE_CODES.has(err.code)) return "usage_limit";
  if (err.status === 401) return "sign_in";
  return null;
}

/** The same events; `done` runs once the stream ends, fails or is left early. */
async function* counted<T>(events: AsyncIterable<T>, done: () => void): AsyncGenerator<T> {
  try {
    yield* events;
  } finally {
    done();
  }
}
