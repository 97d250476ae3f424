// Decides which tokens an upstream request uses and keeps them fresh (SPEC §2). Runtime-agnostic: the store, the
// fetch and the optional seed loader come from the runtime adapter.
//
// Refresh tokens rotate and are single-use, so three rules hold everywhere below: one refresh at a time (a
// promise per process, the store's lock across processes), the new document is saved before it is used, and a
// refresh token that was exchanged once is never sent again.

import type { Config } from "../config.ts";
import { RelayError } from "../core/errors.ts";
import { fingerprint, silentLogger } from "../core/logger.ts";
import type { Logger } from "../core/logger.ts";
import type { SecretScrubber } from "../core/secret-scrubber.ts";
import { AuthFileProblem, accountIdOf, isNewer, parseAuthJson } from "./document.ts";
import { decodeJwtClaims } from "./jwt.ts";
import type { TokenClaims } from "./jwt.ts";
import { RefreshError, refreshTokens } from "./oauth-client.ts";
import type { RefreshReply } from "./oauth-client.ts";
import type { AuthDocument, Credentials, TokenSourceKind, TokenStatus, TokenStore } from "./types.ts";

/** Refresh when the access token expires within this window (Codex: 5 min). */
export const REFRESH_WINDOW_MS = 5 * 60_000;
/** Without a readable `exp`, refresh when last_refresh is older than this (Codex: 8 days). */
export const REFRESH_INTERVAL_MS = 8 * 24 * 60 * 60_000;
/** After a transient refresh failure, requests wait this long before the token endpoint is tried again. */
export const TRANSIENT_BACKOFF_MS = 15_000;
/**
 * Tokens this process refreshed are not refreshed again proactively for this long, even when they look expiring:
 * a clock that is ahead, or an issuer handing out short-lived tokens, must not cause a refresh per request (each
 * one rotating the refresh token). A 401 from the backend still refreshes at once.
 */
export const MIN_REFRESH_INTERVAL_MS = 60_000;
/** A rotated pair the store could not take is written again at most this often (driven by requests). */
export const SAVE_RETRY_MS = 5_000;
/** A local clock further than this from the issuer's is corrected for (and warned about). */
export const CLOCK_SKEW_TOLERANCE_MS = 30_000;

export interface TokenManager {
  /** Credentials for an upstream request; refreshes first when the access token expires within 5 min (or, exp unreadable, last_refresh older than 8 days). */
  getCredentials(): Promise<Credentials>;
  /** The backend said 401 for `rejected`: refresh once (unless someone already did) and return new credentials; throws RelayError 401 if that is impossible. */
  handleUnauthorized(rejected: Credentials): Promise<Credentials>;
  /** Force a refresh now (POST /debug/refresh). Also retries after a permanent failure. */
  forceRefresh(): Promise<TokenStatus>;
  /** Sync, from cached state; for /health. */
  status(): TokenStatus;
  /** Re-read the store (no refresh, no network call to the issuer), then status(). */
  loadStatus(): Promise<TokenStatus>;
  /**
   * Resolves once no refresh is running (at once when none is), whatever its outcome. Shutdown waits for it, so a
   * rotated refresh token is always saved before the process exits.
   */
  settle(): Promise<void>;
}

export interface TokenManagerOptions {
  config: Pick<
    Config,
    "chatgptAccessToken" | "chatgptAccountId" | "codexAuthJson" | "clientId" | "oauthTokenUrl"
  >;
  store: TokenStore;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
  /**
   * Read `$CODEX_HOME/auth.json` for a store that is not that file (memory, redis): used once the store is empty
   * and there is no OPENAI_CODEX_AUTH. The file is only read, never written.
   */
  seedLoader?: () => Promise<AuthDocument | null>;
  refreshTimeoutMs?: number;
  /** Learns every token the manager holds, so that echoes of them are scrubbed from messages and logs. */
  secrets?: SecretScrubber;
  /** At most one forceRefresh per this many ms (later callers get a 429 with Retry-After); 0: no limit. */
  forcedRefreshIntervalMs?: number;
}

type DocSource = Exclude<TokenSourceKind, "env-access-token">;

interface Resolved {
  doc: AuthDocument;
  source: DocSource;
}

/** A refresh that failed for this exact document; cleared when the store holds another one. */
interface Failure {
  accessToken: string;
  refreshToken: string;
  permanent: boolean;
  /** Transient only: no new attempt before this time. */
  until: number;
  error: RelayError;
}

const SIGN_IN_HINT = "Sign in again with `codex-relay login`, then retry.";
const STATIC_HINT =
  "CHATGPT_ACCESS_TOKEN is used as it is and never refreshed: set a new CHATGPT_ACCESS_TOKEN, or unset it to use " +
  "refreshable tokens (`codex-relay login`).";

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { config, store } = options;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const staticToken = config.chatgptAccessToken;
  const envDoc = config.codexAuthJson ? parseAuthJson(config.codexAuthJson, "OPENAI_CODEX_AUTH") : null;

  let current: Resolved | null = null;
  let inflight: Promise<AuthDocument> | null = null;
  let seeding: Promise<AuthDocument | null> | null = null;
  let failure: Failure | null = null;
  let lastError: TokenStatus["lastError"] = null;
  let refreshCount = 0;
  let lastRefreshAt: string | null = null;
  // The store's trouble (cannot read, write or lock), for /health; requests keep being served while the tokens
  // in memory are valid.
  let storeProblem: StoreProblem | null = null;
  // The seed file's read problem, logged once per distinct message (not once per request).
  let seedProblem: string | null = null;
  /** No refresh attempt before this time after the store failed us (the tokens in memory are still usable). */
  let storeBackoffUntil = 0;
  // A rotated pair the store did not take: it is the only valid one now, so it is served from memory and saved again
  // until the store takes it. `expected` is the refresh token the store still holds (the compare-and-set value).
  let unsaved: { doc: AuthDocument; expected: string | null; lastTry: number } | null = null;
  /** Issuer clock minus ours, once a refresh reply showed it is off by more than the tolerance; else 0. */
  let skewMs = 0;
  /** Our clock when this process last refreshed, and the access token it got. */
  let lastRefreshed: { at: number; accessToken: string } | null = null;
  let lastForcedAt: number | null = null;
  let forcing: Promise<TokenStatus> | null = null;
  const forcedIntervalMs = options.forcedRefreshIntervalMs ?? 0;
  // Refresh tokens this process exchanged (or was told are spent): never sent again, never preferred.
  const spent = new Set<string>();

  const claimsMemo = new Map<string, TokenClaims | null>();
  function claims(token: string | null | undefined): TokenClaims | null {
    if (!token) return null;
    let c = claimsMemo.get(token);
    if (c === undefined) {
      if (claimsMemo.size >= 16) claimsMemo.clear();
      c = decodeJwtClaims(token);
      claimsMemo.set(token, c);
    }
    return c;
  }

  function expMs(doc: AuthDocument): number | null {
    const exp = claims(doc.tokens.access_token)?.exp;
    return exp == null ? null : exp * 1000;
  }

  /** The issuer's time as best known: expiry is judged by its clock, not a skewed local one. */
  function issuerNow(): number {
    return now() + skewMs;
  }

  function isExpired(doc: AuthDocument): boolean {
    const exp = expMs(doc);
    return exp !== null && exp <= issuerNow();
  }

  function needsRefresh(doc: AuthDocument): boolean {
    // Refreshed moments ago: refreshing again would give the same kind of token (see MIN_REFRESH_INTERVAL_MS).
    if (
      lastRefreshed !== null &&
      lastRefreshed.accessToken === doc.tokens.access_token &&
      now() - lastRefreshed.at < MIN_REFRESH_INTERVAL_MS
    ) {
      return false;
    }
    const exp = expMs(doc);
    if (exp !== null) return exp - issuerNow() <= REFRESH_WINDOW_MS;
    const last = doc.last_refresh ? Date.parse(doc.last_refresh) : NaN;
    return Number.isNaN(last) || now() - last >= REFRESH_INTERVAL_MS;
  }

  // OPENAI_CODEX_AUTH wins unless the store holds a newer document (refreshed tokens are saved there) or its
  // refresh token is known to be spent.
  function choose(stored: AuthDocument | null): Resolved | null {
    if (envDoc && (!stored || (!isNewer(stored, envDoc) && !spent.has(envDoc.tokens.refresh_token)))) {
      return { doc: envDoc, source: "env-auth-json" };
    }
    return stored ? { doc: stored, source: "store" } : null;
  }

  /** What the store holds now (without our unsaved pair). */
  async function loadRaw(): Promise<AuthDocument | null> {
    let doc: AuthDocument | null;
    try {
      doc = await store.load();
    } catch (err) {
      throw noteStoreProblem("read", storeError("read", err));
    }
    clearStoreProblem("read");
    return doc;
  }

  async function loadStore(): Promise<AuthDocument | null> {
    return withUnsaved(await loadRaw());
  }

  /**
   * The stored document, or our unsaved rotated pair while the store still holds the pair it replaced (or
   * nothing). A store that holds another pair was written by someone else (a new sign-in): theirs wins.
   */
  function withUnsaved(stored: AuthDocument | null): AuthDocument | null {
    if (!unsaved) return stored;
    const onDisk = stored?.tokens.refresh_token || null;
    if (onDisk === unsaved.doc.tokens.refresh_token) {
      unsaved = null;
      clearStoreProblem("write");
      return stored;
    }
    if (stored === null || onDisk === unsaved.expected) return unsaved.doc;
    log.warn(
      { store: store.kind },
      "the token store holds other tokens now; the unsaved refreshed tokens are dropped",
    );
    unsaved = null;
    clearStoreProblem("write");
    return stored;
  }

  /** Writes the unsaved rotated pair again (at most every SAVE_RETRY_MS). */
  async function retryUnsaved(storeEmpty: boolean): Promise<void> {
    if (!unsaved || now() - unsaved.lastTry < SAVE_RETRY_MS) return;
    const pending = unsaved;
    pending.lastTry = now();
    try {
      if (await store.save(pending.doc, storeEmpty ? null : pending.expected)) {
        if (unsaved === pending) unsaved = null;
        clearStoreProblem("write");
        log.info(
          { store: store.kind, refreshToken: fingerprint(pending.doc.tokens.refresh_token) },
          "saved the refreshed tokens that the token store had refused before",
        );
      }
    } catch (err) {
      noteStoreProblem("write", storeError("write", err));
    }
  }

  function track(doc: AuthDocument | null | undefined): void {
    if (!doc || !options.secrets) return;
    options.secrets.addToken(doc.tokens.access_token);
    options.secrets.addToken(doc.tokens.refresh_token);
    options.secrets.addToken(doc.tokens.id_token);
  }

  function noteStoreProblem(kind: StoreProblem["kind"], error: RelayError): RelayError {
    if (storeProblem?.message !== error.message && lastError?.message !== error.message) {
      log.warn({ store: store.kind, kind, err: error.message }, "token store problem");
    }
    if (error.code === "auth_file_unusable") {
      // Damaged, or an API key only: the store works, the sign-in in it does not (/health: sign in).
      lastError = {
        message: error.message,
        code: error.code,
        at: new Date(now()).toISOString(),
        needsSignIn: true,
      };
      return error;
    }
    storeProblem = {
      kind,
      message: error.message,
      code: error.code ?? "token_store_error",
      at: new Date(now()).toISOString(),
    };
    return error;
  }

  function clearStoreProblem(kind: StoreProblem["kind"]): void {
    if (kind === "read" && lastError?.code === "auth_file_unusable") lastError = null;
    if (storeProblem?.kind !== kind) return;
    if (kind === "write" && unsaved) return;
    log.info({ store: store.kind, kind }, "token store works again");
    storeProblem = null;
  }

  async function resolve(): Promise<Resolved | null> {
    let raw: AuthDocument | null;
    try {
      raw = await loadRaw();
    } catch (err) {
      // Keep serving with what is in memory while it is valid: an unreadable store must not fail good requests.
      const held = unsaved ? { doc: unsaved.doc, source: "store" as const } : current;
      if (held && !isExpired(held.doc)) return held;
      throw err;
    }
    let stored = withUnsaved(raw);
    if (unsaved) {
      const pending = unsaved.doc;
      await retryUnsaved(raw === null);
      if (!unsaved) stored = pending;
    }
    if (!stored && !envDoc && options.seedLoader) {
      // One read of the seed file for all concurrent callers.
      seeding ??= seed(options.seedLoader).finally(() => {
        seeding = null;
      });
      stored = await seeding;
    }
    const chosen = choose(stored);
    current = chosen;
    track(chosen?.doc);
    return chosen;
  }

  async function seed(loader: () => Promise<AuthDocument | null>): Promise<AuthDocument | null> {
    let doc: AuthDocument | null;
    try {
      doc = await loader();
    } catch (err) {
      const message = errorText(err);
      if (message !== seedProblem)
        log.warn({ err: message }, "could not read auth.json to seed the token store");
      seedProblem = message;
      return null;
    }
    seedProblem = null;
    if (!doc) return null;
    try {
      if (await store.save(doc, null)) {
        log.info(
          { store: store.kind, accessToken: fingerprint(doc.tokens.access_token) },
          "token store seeded from auth.json",
        );
        return doc;
      }
    } catch (err) {
      throw storeError("write", err);
    }
    return loadStore(); // another instance seeded it first
  }

  /** Throws the remembered error while the failed document is still the current one; forgets it otherwise. */
  function checkFailure(doc: AuthDocument): void {
    forgetFailureIfChanged(doc);
    if (failure?.permanent) throw failure.error;
  }

  function forgetFailureIfChanged(doc: AuthDocument): void {
    if (!failure) return;
    if (
      failure.accessToken !== doc.tokens.access_token ||
      failure.refreshToken !== doc.tokens.refresh_token
    ) {
      // The store changed (another instance refreshed, or the user signed in again): start afresh.
      failure = null;
      lastError = null;
    }
  }

  function inBackoff(): boolean {
    return failure !== null && !failure.permanent && now() < failure.until;
  }

  /** Single flight: every caller while a refresh runs gets that refresh's result. */
  function refresh(start: AuthDocument, reason: string): Promise<AuthDocument> {
    inflight ??= runRefresh(start, reason).finally(() => {
      inflight = null;
    });
    return inflight;
  }

  async function runRefresh(start: AuthDocument, reason: string): Promise<AuthDocument> {
    let lockTaken = false;
    try {
      return await store.withRefreshLock((locked) => {
        lockTaken = true;
        clearStoreProblem("lock");
        return refreshLocked(start, locked, reason);
      });
    } catch (err) {
      if (err instanceof RelayError) throw err;
      storeBackoffUntil = now() + TRANSIENT_BACKOFF_MS;
      if (!lockTaken) throw noteStoreProblem("lock", lockError(err));
      throw noteStoreProblem("read", storeError("read", err));
    }
  }

  async function refreshLocked(
    start: AuthDocument,
    locked: AuthDocument | null,
    reason: string,
  ): Promise<AuthDocument> {
    const chosen = choose(withUnsaved(locked));
    if (!chosen) throw noCredentials();
    const base = chosen.doc;
    if (base.tokens.access_token !== start.tokens.access_token && !needsRefresh(base)) {
      adopt(chosen, "another process refreshed the tokens");
      return base;
    }
    const used = base.tokens.refresh_token;
    if (!used) {
      throw remember(base, true, signInError("no_refresh_token", "The ChatGPT tokens have no refresh token"));
    }
    if (spent.has(used)) {
      // Sending it again would be answered with refresh_token_reused and could revoke the whole token family.
      return onPermanentFailure(
        base,
        new RefreshError("refresh token already used", { permanent: true, code: "refresh_token_reused" }),
      );
    }

    log.info(
      { reason, accessToken: fingerprint(base.tokens.access_token), refreshToken: fingerprint(used) },
      "refreshing the ChatGPT tokens",
    );
    let reply: RefreshReply;
    try {
      reply = await refreshTokens({
        fetch: doFetch,
        tokenUrl: config.oauthTokenUrl,
        clientId: config.clientId,
        refreshToken: used,
        timeoutMs: options.refreshTimeoutMs,
        scrub: options.secrets ? (text) => options.secrets!.scrub(text) : undefined,
      });
    } catch (err) {
      if (!(err instanceof RefreshError)) throw err;
      if (err.permanent) return onPermanentFailure(base, err);
      log.warn(
        { code: err.code, status: err.status, refreshToken: fingerprint(used) },
        "token refresh failed (transient)",
      );
      throw remember(base, false, transientError(err));
    }

    const next = merge(base, reply);
    track(next);
    noteClock(reply);
    if (reply.refresh_token && reply.refresh_token !== used) rememberSpent(used);
    // Persist before use. If the store refuses (disk full, a damaged file), the new pair is still the only valid one:
    // it is kept in memory and served, and saved again until the store takes it.
    const onDisk = locked?.tokens.refresh_token || null;
    let saved: boolean;
    try {
      saved = await store.save(next, onDisk);
    } catch (err) {
      log.error(
        { err: errorText(err), store: store.kind },
        "refreshed tokens could not be saved; serving them from memory and saving them again later",
      );
      unsaved = { doc: next, expected: onDisk, lastTry: now() };
      noteStoreProblem("write", storeError("write", err));
      saved = true;
    }
    if (saved && unsaved?.doc !== next) {
      unsaved = null;
      clearStoreProblem("write");
    }
    if (!saved) {
      // Someone wrote the store between our read and our write (e.g. the Codex CLI): theirs wins.
      const chosenNow = choose(await loadStore());
      if (!chosenNow) throw noCredentials();
      adopt(chosenNow, "the store changed during the refresh");
      return chosenNow.doc;
    }
    refreshCount += 1;
    lastRefreshAt = new Date(now()).toISOString();
    lastRefreshed = { at: now(), accessToken: next.tokens.access_token };
    failure = null;
    lastError = null;
    current = { doc: next, source: "store" };
    log.info(
      {
        accessToken: fingerprint(next.tokens.access_token),
        refreshToken: fingerprint(next.tokens.refresh_token),
        expiresAt: isoOrNull(expMs(next)),
      },
      "ChatGPT tokens refreshed",
    );
    return next;
  }

  async function onPermanentFailure(base: AuthDocument, err: RefreshError): Promise<AuthDocument> {
    if (err.code === "refresh_token_reused") {
      rememberSpent(base.tokens.refresh_token);
      // Another instance (or the Codex CLI) may have refreshed and stored the new token after our read.
      const chosen = choose(await loadStore());
      if (chosen && chosen.doc.tokens.refresh_token !== base.tokens.refresh_token) {
        adopt(chosen, "refresh token was reused; the store holds a newer one");
        return chosen.doc;
      }
    }
    log.error(
      { code: err.code, status: err.status, refreshToken: fingerprint(base.tokens.refresh_token) },
      "token refresh failed; sign in again",
    );
    throw remember(base, true, signInError(err.code ?? "unauthorized"));
  }

  /** Learns the issuer's clock from a refresh reply; warns when ours is off. */
  function noteClock(reply: RefreshReply): void {
    if (reply.issuerTimeMs === undefined) return;
    const measured = reply.issuerTimeMs - now();
    const next = Math.abs(measured) > CLOCK_SKEW_TOLERANCE_MS ? measured : 0;
    if (next !== 0 && Math.abs(next - skewMs) > CLOCK_SKEW_TOLERANCE_MS) {
      log.warn(
        { skewSeconds: Math.round(-next / 1000) },
        `the system clock is ${Math.round(Math.abs(next) / 1000)} s ${next < 0 ? "ahead of" : "behind"} the token issuer's: token expiry is judged by the issuer's clock; fix the system clock (NTP)`,
      );
    }
    skewMs = next;
  }

  function rememberSpent(token: string): void {
    spent.add(token);
    // Bounded; the oldest go first (a Set iterates in insertion order).
    if (spent.size > 64) spent.delete(spent.values().next().value as string);
  }

  function merge(base: AuthDocument, reply: RefreshReply): AuthDocument {
    const tokens = {
      ...base.tokens,
      id_token: reply.id_token ?? base.tokens.id_token,
      access_token: reply.access_token ?? base.tokens.access_token,
      refresh_token: reply.refresh_token ?? base.tokens.refresh_token,
    };
    const derived = claims(reply.id_token)?.accountId ?? claims(reply.access_token)?.accountId;
    if (derived) tokens.account_id = derived;
    return { ...base, tokens, last_refresh: new Date(now()).toISOString() };
  }

  function adopt(chosen: Resolved, why: string): void {
    current = chosen;
    track(chosen.doc);
    failure = null;
    lastError = null;
    log.info(
      { accessToken: fingerprint(chosen.doc.tokens.access_token), source: chosen.source },
      `adopted stored tokens: ${why}`,
    );
  }

  function remember(doc: AuthDocument, permanent: boolean, error: RelayError): RelayError {
    failure = {
      accessToken: doc.tokens.access_token,
      refreshToken: doc.tokens.refresh_token,
      permanent,
      until: now() + TRANSIENT_BACKOFF_MS,
      error,
    };
    lastError = {
      message: error.message,
      code: error.code,
      at: new Date(now()).toISOString(),
      needsSignIn: permanent,
    };
    return error;
  }

  function credentialsOf(doc: AuthDocument): Credentials {
    const accountId = accountIdOf(doc);
    if (!accountId) {
      throw new RelayError(401, `The ChatGPT tokens carry no account id. ${SIGN_IN_HINT}`, {
        code: "no_account_id",
      });
    }
    return { accessToken: doc.tokens.access_token, accountId };
  }

  function staticCredentials(token: string): Credentials {
    const exp = claims(token)?.exp;
    if (exp != null && exp * 1000 <= now()) {
      throw new RelayError(
        401,
        `CHATGPT_ACCESS_TOKEN expired at ${new Date(exp * 1000).toISOString()}. ${STATIC_HINT}`,
        {
          code: "access_token_expired",
        },
      );
    }
    const accountId = config.chatgptAccountId ?? claims(token)?.accountId;
    if (!accountId) {
      throw new RelayError(
        401,
        "CHATGPT_ACCESS_TOKEN carries no chatgpt_account_id claim: set CHATGPT_ACCOUNT_ID as well.",
        { code: "no_account_id" },
      );
    }
    return { accessToken: token, accountId };
  }

  function noCredentials(): RelayError {
    return new RelayError(
      401,
      `No ChatGPT sign-in found (looked in ${store.location}). Run \`codex-relay login\`, ` +
        "or set CHATGPT_ACCESS_TOKEN or OPENAI_CODEX_AUTH.",
      { code: "no_credentials" },
    );
  }

  async function getCredentials(): Promise<Credentials> {
    if (staticToken) return staticCredentials(staticToken);
    const chosen = await resolve();
    if (!chosen) throw noCredentials();
    const doc = chosen.doc;
    // A fresh access token keeps working after its refresh token failed (e.g. a forced refresh): /health shows
    // the error, requests fail only once a refresh is really needed.
    if (!needsRefresh(doc)) {
      forgetFailureIfChanged(doc);
      // A refresh lock that failed earlier (the store was down) no longer matters once the store is read again
      // and holds a token that needs none (another instance refreshed): /health must not keep reporting it.
      clearStoreProblem("lock");
      return credentialsOf(doc);
    }
    checkFailure(doc);

    const usable = !isExpired(doc);
    const storeResting = now() < storeBackoffUntil;
    if (usable && (inBackoff() || storeResting || !doc.tokens.refresh_token)) return credentialsOf(doc);
    if (inBackoff()) throw failure!.error;
    try {
      return credentialsOf(await refresh(doc, "access token expires soon"));
    } catch (err) {
      if (usable && err instanceof RelayError && KEEP_SERVING_CODES.has(err.code ?? "")) {
        log.warn(
          { accessToken: fingerprint(doc.tokens.access_token) },
          "token refresh failed; using the current access token until it expires",
        );
        return credentialsOf(doc);
      }
      throw err;
    }
  }

  async function handleUnauthorized(rejected: Credentials): Promise<Credentials> {
    if (staticToken) {
      throw new RelayError(
        401,
        `The ChatGPT backend rejected CHATGPT_ACCESS_TOKEN (expired or revoked). ${STATIC_HINT}`,
        {
          code: "access_token_rejected",
        },
      );
    }
    // Like Codex: look at the store first, someone may have refreshed (or signed in) already.
    const chosen = await resolve();
    if (!chosen) throw noCredentials();
    if (chosen.doc.tokens.access_token !== rejected.accessToken) return getCredentials();
    checkFailure(chosen.doc);
    if (inBackoff()) throw failure!.error;
    let doc = await refresh(chosen.doc, "the backend rejected the access token");
    // The flight we joined may have started from an older document and adopted the very token that was rejected.
    if (doc.tokens.access_token === rejected.accessToken)
      doc = await refresh(doc, "the backend rejected the access token");
    return credentialsOf(doc);
  }

  async function forceRefresh(): Promise<TokenStatus> {
    if (staticToken) {
      throw new RelayError(400, `Nothing to refresh. ${STATIC_HINT}`, { code: "not_refreshable" });
    }
    // One forced refresh per interval: each one rotates the refresh token at the issuer. Callers while one runs share
    // it (single flight); later ones are told when to come back.
    if (forcing) return forcing;
    if (inflight) {
      await inflight;
      return status();
    }
    if (forcedIntervalMs > 0 && lastForcedAt !== null && now() - lastForcedAt < forcedIntervalMs) {
      const wait = Math.max(1, Math.ceil((lastForcedAt + forcedIntervalMs - now()) / 1000));
      throw new RelayError(
        429,
        `A forced refresh ran ${Math.round((now() - lastForcedAt) / 1000)} s ago; one is allowed every ${Math.round(forcedIntervalMs / 1000)} s (DEBUG_REFRESH_MIN_MS). Retry in ${wait} s.`,
        { code: "refresh_throttled", headers: { "retry-after": String(wait) } },
      );
    }
    lastForcedAt = now();
    forcing = (async () => {
      failure = null; // an explicit retry, also after a permanent failure
      storeBackoffUntil = 0;
      const chosen = await resolve();
      if (!chosen) throw noCredentials();
      await refresh(chosen.doc, "forced");
      return status();
    })().finally(() => {
      forcing = null;
    });
    return forcing;
  }

  function status(): TokenStatus {
    const storeInfo = { kind: store.kind, location: store.location };
    if (staticToken) {
      const c = claims(staticToken);
      return {
        ...describe(staticToken, null, c),
        source: "env-access-token",
        store: storeInfo,
        accountId: config.chatgptAccountId ?? c?.accountId ?? null,
        lastRefresh: null,
        refreshable: false,
        lastError,
        storeError: publicStoreProblem(),
        refreshCount,
      };
    }
    const doc = current?.doc ?? null;
    const access = claims(doc?.tokens.access_token);
    return {
      ...describe(doc?.tokens.access_token ?? null, doc?.tokens.id_token ?? null, access),
      source: current?.source ?? "none",
      store: storeInfo,
      accountId: doc ? accountIdOf(doc) : null,
      lastRefresh: (typeof doc?.last_refresh === "string" ? doc.last_refresh : null) ?? lastRefreshAt,
      refreshable: Boolean(doc?.tokens.refresh_token),
      lastError,
      storeError: publicStoreProblem(),
      refreshCount,
    };
  }

  function publicStoreProblem(): TokenStatus["storeError"] {
    if (!storeProblem) return null;
    return {
      message: storeProblem.message,
      code: storeProblem.code,
      at: storeProblem.at,
      unsavedTokens: unsaved !== null,
    };
  }

  function describe(accessToken: string | null, idToken: string | null, access: TokenClaims | null) {
    const id = claims(idToken);
    const exp = access?.exp == null ? null : access.exp * 1000;
    return {
      planType: access?.planType ?? id?.planType ?? null,
      email: id?.email ?? access?.email ?? null,
      accessTokenFingerprint: fingerprint(accessToken),
      expiresAt: isoOrNull(exp),
      expiresInSeconds: exp === null ? null : Math.round((exp - issuerNow()) / 1000),
    };
  }

  async function loadStatus(): Promise<TokenStatus> {
    if (!staticToken) {
      try {
        // A new sign-in in the store clears the failure of the old one (/health is right before any request).
        const chosen = await resolve();
        if (chosen) forgetFailureIfChanged(chosen.doc);
      } catch {
        // Logged once where it happened (noteStoreProblem), and shown by status().
      }
    }
    return status();
  }

  // Read the store once at start, so that status() (/health) describes the tokens before the first request.
  void loadStatus();

  async function settle(): Promise<void> {
    // A refresh may start another one on the way out (a retry after a lost compare-and-set): wait for all of them.
    while (inflight) await inflight.catch(() => undefined);
    // A last try for tokens the store refused, so that the next start finds them.
    if (unsaved) {
      unsaved.lastTry = 0;
      let empty = false;
      try {
        empty = (await store.load()) === null;
      } catch {
        // unreadable: the compare-and-set decides
      }
      await retryUnsaved(empty);
    }
  }

  return { getCredentials, handleUnauthorized, forceRefresh, status, loadStatus, settle };
}

function signInError(code: string, what = "The ChatGPT sign-in has expired or was revoked"): RelayError {
  if (code === "refresh_token_reused") {
    // What people actually hit: two programs refreshing one sign-in; each refresh token works once.
    return new RelayError(
      401,
      "Another program refreshed this ChatGPT sign-in (refresh_token_reused): typically the Codex CLI, or a second " +
        "copy of the same auth.json (e.g. one pasted into OPENAI_CODEX_AUTH); a refresh token works only once. " +
        "Sign in again with `codex-relay login`: it gives the relay a sign-in of its own.",
      { code: "sign_in_again" },
    );
  }
  return new RelayError(401, `${what} (${code}). ${SIGN_IN_HINT}`, { code: "sign_in_again" });
}

function transientError(err: RefreshError): RelayError {
  const detail = err.status ? `HTTP ${err.status}` : (err.code ?? "network error");
  return new RelayError(
    503,
    `The ChatGPT access token needs a refresh and the token endpoint failed (${detail}). Try again shortly.`,
    { code: "token_refresh_failed", headers: { "retry-after": String(TRANSIENT_BACKOFF_MS / 1000) } },
  );
}

interface StoreProblem {
  kind: "read" | "write" | "lock";
  message: string;
  code: string;
  at: string;
}

/** Store failures after which a still-valid access token keeps being served. */
const KEEP_SERVING_CODES = new Set(["token_refresh_failed", "token_store_error", "token_store_locked"]);

function storeError(action: string, err: unknown): RelayError {
  if (err instanceof AuthFileProblem) return new RelayError(401, err.message, { code: "auth_file_unusable" });
  return new RelayError(503, `Could not ${action} the token store: ${errorText(err)}`, {
    code: "token_store_error",
    headers: { "retry-after": String(TRANSIENT_BACKOFF_MS / 1000) },
  });
}

function lockError(err: unknown): RelayError {
  return new RelayError(
    503,
    `Could not take the token store's refresh lock, so the ChatGPT tokens cannot be refreshed now: ${errorText(err)}`,
    { code: "token_store_locked", headers: { "retry-after": String(TRANSIENT_BACKOFF_MS / 1000) } },
  );
}

// Store errors come from our own code or the file system (paths, errno codes), never from token contents.
function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
