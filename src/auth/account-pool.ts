// Several ChatGPT sign-ins behind one relay (SPEC §2 "Accounts"). Each account has its own TokenManager over its
// own store entry (the factory's store for its key), its own installation id and its own rate-limit state. The
// pool decides which account serves a request:
// - a conversation stays on its account (keyed by the session id, which is the prompt_cache_key), so the
//   backend's prompt cache keeps hitting;
// - a new conversation goes to the account with the most headroom by its last known usage windows (ties: the
//   one serving fewer requests right now, then the one given fewer conversations); or, where instances cannot
//   ask each other (Workers), by rendezvous hashing weighted by headroom, which every instance computes alike;
// - a usage limit parks an account until its reset, a sign-in that failed for good parks it until the store holds
//   a new sign-in; when every account is parked, a 429 whose Retry-After is the earliest reset.
// Several instances sharing one store (Redis) also share the pool's state through a PoolSharing: a parking is
// announced to every instance (and applied locally at once), and a conversation's account is claimed in the shared
// store the first time this instance sees the conversation, so every instance sends it to the same account.
// Runtime-agnostic: the stores and the sharing come from the runtime.

import { RelayError } from "../core/errors.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import { RateLimitTracker, type RateLimitSnapshot } from "../upstream/rate-limits.ts";
import { headroomPercent, headroomWeight } from "./headroom.ts";
import { pickWeighted } from "./rendezvous.ts";
import { createTokenManager, type TokenManager, type TokenManagerOptions } from "./token-manager.ts";
import {
  DEFAULT_ACCOUNT_KEY,
  type AuthDocument,
  type Credentials,
  type TokenStatus,
  type TokenStore,
} from "./types.ts";

export interface AccountSource {
  /** The account key in the stores (file name without .json, or "default"). */
  key: string;
  /** Where the tokens live; the pool's TokenManager for the account keeps them fresh. */
  store?: TokenStore;
  /** A TokenManager that lives elsewhere instead (Workers: the account's Durable Object refreshes). */
  tokens?: TokenManager;
  seedLoader?: () => Promise<AuthDocument | null>;
  /** x-codex-installation-id for this account; default a fresh UUID. */
  installationId?: string;
}

export interface PoolAccount {
  key: string;
  tokens: TokenManager;
  rateLimits: RateLimitTracker;
  installationId: string;
}

export type ParkReason = "usage_limit" | "sign_in";

interface Parked extends SharedParking {
  checkedAt: number;
}

/** One account on /health, /debug/auth and `codex-relay status`: no secrets. */
/** A parking as every instance sharing the store sees it. */
export interface SharedParking {
  reason: ParkReason;
  /** ms since the epoch; null: until the account is signed in again. */
  until: number | null;
  message: string;
  /** sign_in: fingerprint of the access token that failed. */
  fingerprint: string | null;
}

/**
 * How the instances sharing a store share the pool's state (Node: redis-pool-state.ts). Both calls may fail (the
 * store is down): the pool then goes on with what this instance knows.
 */
export interface PoolSharing {
  /** Tells the other instances that the account is parked (null: back in service). Fire and forget. */
  announceParking(key: string, parking: SharedParking | null): void;
  /**
   * The account of this conversation for every instance: the one already recorded (unless it is `replacing`),
   * else `proposed`, which is recorded. One round trip. Without it, each instance chooses by itself.
   */
  claimConversation?(sessionId: string, proposed: string, replacing: string | null): Promise<string>;
}

export interface AccountState {
  key: string;
  state: "ready" | "parked" | "sign_in_required";
  parked: { reason: ParkReason; until: string | null; message: string } | null;
  tokens: TokenStatus;
  usage: RateLimitSnapshot | null;
  inflight: number;
  conversations: number;
}

export interface AccountPool {
  readonly accounts: readonly PoolAccount[];
  /** A sign-in found while running (a file copied into accounts/, a login); null when the key is known. */
  add(source: AccountSource): PoolAccount | null;
  /**
   * The account for a request of this conversation, skipping `exclude`; throws when none can serve. With a
   * PoolSharing, the first request of a conversation in this instance asks the shared store (one round trip);
   * later ones are answered from memory.
   */
  pick(sessionId: string | null, exclude?: ReadonlySet<string>): Promise<PoolAccount>;
  /**
   * Keeps the account away from new requests: a usage limit for `retryAfterSeconds` (default DEFAULT_PARK_MS), a
   * failed sign-in until the store holds another one.
   */
  park(account: PoolAccount, reason: ParkReason, retryAfterSeconds: number | null, message: string): void;
  /** A parking announced by another instance (null: it ended there); not announced again. */
  applyParking(key: string, parking: SharedParking | null): void;
  /** Usage windows another instance saw for the account; kept when newer than what this instance saw. */
  applyUsage(key: string, snapshot: RateLimitSnapshot): void;
  /** Requests in flight per account (tie-breaker of the choice). */
  begin(account: PoolAccount): void;
  end(account: PoolAccount): void;
  states(): AccountState[];
  /** Re-reads every store, then states(). */
  loadStates(): Promise<AccountState[]>;
  /** The TokenManager face of the whole pool (relay.tokens): credentials of the best account, all refreshes. */
  readonly tokens: TokenManager;
}

export interface AccountPoolOptions {
  config: TokenManagerOptions["config"];
  sources: AccountSource[];
  fetch?: typeof fetch;
  logger?: Logger;
  now?: () => number;
  /** Every record also goes here (the relay-wide latest snapshot). */
  sharedRateLimits?: RateLimitTracker;
  /** How many conversations are remembered for stickiness (least recently used go first). */
  maxConversations?: number;
  /** Handed to every account's TokenManager. */
  secrets?: TokenManagerOptions["secrets"];
  forcedRefreshIntervalMs?: number;
  /** Shares parkings and conversations with the other instances on the same store. */
  sharing?: PoolSharing;
  /**
   * How a conversation new to this instance gets its account: "headroom" (the most headroom; the default) or "hash"
   * (rendezvous hashing of the session id over the accounts that can serve, weighted by their headroom, so every
   * instance that knows the same parkings and usage picks the same account without asking anyone, and accounts get
   * new conversations in proportion to their headroom: Workers, whose isolates share no memory).
   */
  newConversations?: "headroom" | "hash";
}

/** A usage limit without a reset time parks the account this long. */
export const DEFAULT_PARK_MS = 15 * 60_000;
/** A parked sign-in is looked at again (store re-read, no network) at most this often. */
const SIGN_IN_RECHECK_MS = 5_000;

export function createAccountPool(o: AccountPoolOptions): AccountPool {
  if (o.sources.length === 0) throw new Error("an account pool needs at least one account");
  const now = o.now ?? Date.now;
  const log = o.logger ?? silentLogger;
  const maxConversations = o.maxConversations ?? 10_000;
  const makeAccount = (s: AccountSource): PoolAccount => {
    const rateLimits = new AccountRateLimits(o.sharedRateLimits);
    return {
      key: s.key,
      tokens:
        s.tokens ??
        createTokenManager({
          config: o.config,
          store: storeOf(s),
          seedLoader: s.seedLoader,
          fetch: o.fetch,
          secrets: o.secrets,
          forcedRefreshIntervalMs: o.forcedRefreshIntervalMs,
          logger: s.key === DEFAULT_ACCOUNT_KEY ? log : childLogger(log, s.key),
        }),
      rateLimits,
      installationId: s.installationId ?? crypto.randomUUID(),
    };
  };
  const accounts: PoolAccount[] = o.sources.map(makeAccount);
  const byKey = new Map(accounts.map((a) => [a.key, a]));
  const parked = new Map<string, Parked>();
  const inflight = new Map<string, number>();
  const conversations = new Map<string, number>();
  const sticky = new Map<string, string>();

  function isEligible(a: PoolAccount): boolean {
    const p = parked.get(a.key);
    if (!p) return true;
    const t = now();
    if (p.until !== null) {
      if (t < p.until) return false;
      parked.delete(a.key);
      log.info({ account: a.key }, "account back from its usage limit");
      return true;
    }
    // Signed in again? The store is re-read now and then (a cheap stat for files); a new token ends the parking.
    if (t - p.checkedAt >= SIGN_IN_RECHECK_MS) {
      p.checkedAt = t;
      void a.tokens
        .loadStatus()
        .then((s) => {
          if (s.accessTokenFingerprint !== p.fingerprint && parked.get(a.key) === p) {
            parked.delete(a.key);
            log.info({ account: a.key }, "account signed in again");
            o.sharing?.announceParking(a.key, null);
          }
        })
        .catch(() => undefined);
    }
    return false;
  }

  const headroom = (a: PoolAccount) => headroomPercent(a.rateLimits.latest, now());

  function better(a: PoolAccount, b: PoolAccount): boolean {
    const ha = headroom(a);
    const hb = headroom(b);
    if (ha !== hb) return ha > hb;
    const ia = inflight.get(a.key) ?? 0;
    const ib = inflight.get(b.key) ?? 0;
    if (ia !== ib) return ia < ib;
    return (conversations.get(a.key) ?? 0) < (conversations.get(b.key) ?? 0);
  }

  function best(exclude?: ReadonlySet<string>): PoolAccount | null {
    let chosen: PoolAccount | null = null;
    for (const a of accounts) {
      if (exclude?.has(a.key) || !isEligible(a)) continue;
      if (!chosen || better(a, chosen)) chosen = a;
    }
    return chosen;
  }

  /** Weighted rendezvous hashing over the accounts that can serve, each weighted by its headroom (headroom.ts). */
  function hashed(sessionId: string, exclude?: ReadonlySet<string>): PoolAccount | null {
    const candidates = accounts
      .filter((a) => !exclude?.has(a.key) && isEligible(a))
      .map((a) => ({ key: a.key, weight: headroomWeight(headroom(a)), value: a }));
    return pickWeighted(sessionId, candidates);
  }

  /** The account this instance would give the request, and whether the conversation is new to this instance. */
  function choose(
    sessionId: string | null,
    exclude?: ReadonlySet<string>,
  ): { account: PoolAccount; claim: boolean; replacing: string | null } {
    if (accounts.length === 1 && !exclude?.size) {
      // One account: nothing to choose; a parked one still gets the request (its own error is the answer).
      const only = accounts[0]!;
      if (isEligible(only)) return { account: only, claim: false, replacing: null };
      throw unavailable();
    }
    const key = sessionId === null ? undefined : sticky.get(sessionId);
    if (sessionId !== null && key !== undefined) {
      const a = byKey.get(key);
      if (a && !exclude?.has(a.key) && isEligible(a)) {
        remember(sessionId, a, false);
        return { account: a, claim: false, replacing: null };
      }
    }
    const chosen =
      o.newConversations === "hash" && sessionId !== null ? hashed(sessionId, exclude) : best(exclude);
    if (!chosen) throw unavailable();
    return { account: chosen, claim: sessionId !== null, replacing: key ?? null };
  }

  /** Most recently used last, so the oldest conversation is forgotten first. */
  function remember(sessionId: string, a: PoolAccount, isNew: boolean): void {
    sticky.delete(sessionId);
    sticky.set(sessionId, a.key);
    if (isNew) conversations.set(a.key, (conversations.get(a.key) ?? 0) + 1);
    if (sticky.size > maxConversations) sticky.delete(sticky.keys().next().value as string);
  }

  async function pick(sessionId: string | null, exclude?: ReadonlySet<string>): Promise<PoolAccount> {
    const { account, claim, replacing } = choose(sessionId, exclude);
    if (!claim || sessionId === null) return account;
    // Counted at once: concurrent new conversations must see it while the claim is on its way.
    remember(sessionId, account, true);
    if (!o.sharing?.claimConversation) return account;
    const chosen = await claimShared(sessionId, account, replacing, exclude);
    if (chosen !== account) {
      conversations.set(account.key, Math.max(0, (conversations.get(account.key) ?? 1) - 1));
      remember(sessionId, chosen, true);
    }
    return chosen;
  }

  /**
   * The conversation's account as every instance sees it: the one another instance recorded when it can serve
   * here, else ours (recorded in its place). The store being down is no reason to fail a request.
   */
  async function claimShared(
    sessionId: string,
    proposed: PoolAccount,
    replacing: string | null,
    exclude?: ReadonlySet<string>,
  ): Promise<PoolAccount> {
    // At most twice: the recorded account may be parked or unknown here, then ours replaces it.
    for (let attempt = 0; attempt < 2; attempt++) {
      let holder: string;
      try {
        holder = await o.sharing!.claimConversation!(sessionId, proposed.key, replacing);
      } catch (err) {
        log.debug({ err: err instanceof Error ? err.message : String(err) }, "conversation claim failed");
        return proposed;
      }
      if (holder === proposed.key) return proposed;
      const a = byKey.get(holder);
      if (a && !exclude?.has(a.key) && isEligible(a)) return a;
      replacing = holder;
    }
    return proposed;
  }

  /** Every account parked: a 429 with the earliest reset, or the sign-in error when none will reset by itself. */
  function unavailable(): RelayError {
    let earliest: number | null = null;
    let signIn: Parked | null = null;
    for (const p of parked.values()) {
      if (p.until !== null) earliest = earliest === null ? p.until : Math.min(earliest, p.until);
      else signIn ??= p;
    }
    if (earliest !== null) {
      const seconds = Math.max(1, Math.ceil((earliest - now()) / 1000));
      const when = new Date(earliest).toISOString().replace(/\.\d{3}Z$/, "Z");
      const what =
        accounts.length > 1 ? `All ${accounts.length} ChatGPT accounts are` : "The ChatGPT account is";
      return new RelayError(
        429,
        `${what} at their usage limit (or unavailable). The earliest resets at ${when}; try again then, or add an account with \`codex-relay login\`.`,
        {
          type: "usage_limit_reached",
          code: "usage_limit_reached",
          headers: { "retry-after": String(seconds) },
        },
      );
    }
    return new RelayError(
      401,
      `${signIn?.message ?? "No ChatGPT account can serve requests."} Sign in again with \`codex-relay login\`.`,
      { code: "sign_in_again" },
    );
  }

  function park(
    account: PoolAccount,
    reason: ParkReason,
    retryAfterSeconds: number | null,
    message: string,
  ): void {
    const until =
      reason !== "usage_limit"
        ? null
        : retryAfterSeconds !== null && Number.isFinite(retryAfterSeconds)
          ? now() + retryAfterSeconds * 1000
          : now() + DEFAULT_PARK_MS;
    const parking: SharedParking = {
      reason,
      until,
      message,
      fingerprint: account.tokens.status().accessTokenFingerprint,
    };
    parked.set(account.key, { ...parking, checkedAt: now() });
    o.sharing?.announceParking(account.key, parking);
    log.warn(
      { account: account.key, reason, until: until === null ? null : new Date(until).toISOString() },
      reason === "usage_limit"
        ? "account parked until its usage limit resets"
        : "account parked until signed in again",
    );
  }

  function applyParking(key: string, parking: SharedParking | null): void {
    if (!byKey.has(key)) return; // not known here yet: the next scan adds it, with the store's parkings
    if (parking === null) {
      if (parked.delete(key)) log.info({ account: key }, "account back in service (another instance)");
      return;
    }
    if (parking.until !== null && parking.until <= now()) return;
    parked.set(key, { ...parking, checkedAt: now() });
    log.info(
      {
        account: key,
        reason: parking.reason,
        until: parking.until === null ? null : new Date(parking.until).toISOString(),
      },
      "account parked by another instance",
    );
  }

  function applyUsage(key: string, snapshot: RateLimitSnapshot): void {
    const a = byKey.get(key);
    if (!a) return;
    const mine = a.rateLimits.latest;
    if (mine && Date.parse(mine.observedAt) >= Date.parse(snapshot.observedAt)) return;
    a.rateLimits.latest = snapshot;
  }

  function stateOf(a: PoolAccount): AccountState {
    isEligible(a); // lets an expired parking go
    const p = parked.get(a.key) ?? null;
    const tokens = a.tokens.status();
    const needsSignIn = tokens.source === "none" || tokens.lastError?.needsSignIn === true;
    return {
      key: a.key,
      state: p?.reason === "sign_in" || needsSignIn ? "sign_in_required" : p ? "parked" : "ready",
      parked: p
        ? {
            reason: p.reason,
            until: p.until === null ? null : new Date(p.until).toISOString(),
            message: p.message,
          }
        : null,
      tokens,
      usage: a.rateLimits.latest,
      inflight: inflight.get(a.key) ?? 0,
      conversations: conversations.get(a.key) ?? 0,
    };
  }

  const states = () => accounts.map(stateOf);

  async function loadStates(): Promise<AccountState[]> {
    await Promise.all(accounts.map((a) => a.tokens.loadStatus()));
    return states();
  }

  // Which account issued an access token: a 401 for it goes back to that account's TokenManager.
  const issuedBy = new Map<string, PoolAccount>();
  const tokens: TokenManager = {
    async getCredentials(): Promise<Credentials> {
      const tried = new Set<string>();
      for (;;) {
        const a = choose(null, tried).account;
        try {
          const c = await a.tokens.getCredentials();
          if (issuedBy.size > 256) issuedBy.clear();
          issuedBy.set(c.accessToken, a);
          return c;
        } catch (err) {
          if (!(err instanceof RelayError) || err.status !== 401 || accounts.length === 1) throw err;
          park(a, "sign_in", null, err.message);
          tried.add(a.key);
        }
      }
    },
    handleUnauthorized(rejected) {
      const a = issuedBy.get(rejected.accessToken) ?? accounts[0]!;
      return a.tokens.handleUnauthorized(rejected);
    },
    async forceRefresh() {
      const results = await Promise.allSettled(accounts.map((a) => a.tokens.forceRefresh()));
      const failed = results.find((r) => r.status === "rejected");
      if (failed && accounts.length === 1) throw (failed as PromiseRejectedResult).reason;
      return primary().tokens.status();
    },
    status: () => primary().tokens.status(),
    async loadStatus() {
      await Promise.all(accounts.map((a) => a.tokens.loadStatus()));
      return primary().tokens.status();
    },
    async settle() {
      await Promise.all(accounts.map((a) => a.tokens.settle()));
    },
  };

  /** The account whose token state /health's single `tokens` field shows: the best ready one, else the first. */
  function primary(): PoolAccount {
    if (accounts.length === 1) return accounts[0]!;
    return best() ?? accounts[0]!;
  }

  function add(source: AccountSource): PoolAccount | null {
    if (byKey.has(source.key)) return null;
    const a = makeAccount(source);
    accounts.push(a);
    byKey.set(a.key, a);
    log.info({ account: a.key }, "account added to the pool");
    return a;
  }

  return {
    accounts,
    add,
    pick,
    park,
    applyParking,
    applyUsage,
    begin: (a) => inflight.set(a.key, (inflight.get(a.key) ?? 0) + 1),
    end: (a) => inflight.set(a.key, Math.max(0, (inflight.get(a.key) ?? 0) - 1)),
    states,
    loadStates,
    tokens,
  };
}

/** A parking as a shared store keeps it (JSON), or null when it is not one. */
export function parseSharedParking(text: string): SharedParking | null {
  try {
    const p = JSON.parse(text) as Partial<SharedParking>;
    if (p.reason !== "usage_limit" && p.reason !== "sign_in") return null;
    return {
      reason: p.reason,
      until: typeof p.until === "number" ? p.until : null,
      message: typeof p.message === "string" ? p.message : "",
      fingerprint: typeof p.fingerprint === "string" ? p.fingerprint : null,
    };
  } catch {
    return null;
  }
}

function storeOf(s: AccountSource): TokenStore {
  if (!s.store) throw new Error(`account ${s.key}: a store or a TokenManager is needed`);
  return s.store;
}

/** An account's own rate-limit state; every record also reaches the relay-wide tracker. */
class AccountRateLimits extends RateLimitTracker {
  constructor(private readonly shared?: RateLimitTracker) {
    super();
  }
  override record(h: Headers): void {
    super.record(h);
    this.shared?.record(h);
  }
}

/** Every line of an account's TokenManager names the account (its key, never a token). */
function childLogger(log: Logger, account: string): Logger {
  return {
    debug: (obj, msg) => log.debug({ account, ...obj }, msg),
    info: (obj, msg) => log.info({ account, ...obj }, msg),
    warn: (obj, msg) => log.warn({ account, ...obj }, msg),
    error: (obj, msg) => log.error({ account, ...obj }, msg),
  };
}
