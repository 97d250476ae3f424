// The Durable Object that owns an account's tokens: one instance per account key (idFromName), so every isolate
// of the Worker, in every location, asks the same object when its cached access token is due. It runs the same
// TokenManager as Node over its own storage (src/auth/durable-object-store.ts): one refresh at a time, the rotated
// refresh token saved (compare-and-set) before anyone uses the new access token, KV updated right after.

import { DurableObject } from "cloudflare:workers";
import { loadConfig, type Config } from "../config.ts";
import { createTokenManager, type TokenManager } from "../auth/token-manager.ts";
import { createDurableObjectStore } from "../auth/durable-object-store.ts";
import type { Credentials, TokenStatus } from "../auth/types.ts";
import type { Logger } from "../core/logger.ts";
import { parseInstallationId } from "../auth/installation-id.ts";
import { accountAuthJson } from "./accounts.ts";
import { variablesOf, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import { requireEncryptionKey, sealerFor } from "./sealing.ts";
import { toWire, type Wire } from "./wire.ts";
import type { ChallengeBoard, SharedChallenge } from "./shared-challenge.ts";
import { MetricCounters, type MetricsData } from "../observe/metric-counters.ts";
import { MetricsAggregate } from "./metrics-board.ts";
import { METRICS_OBJECT, type MetricsBoard } from "./worker-metrics.ts";

/** Credentials and when their access token expires (ISO), so the isolate knows how long it may keep them. */
export interface IssuedCredentials {
  credentials: Credentials;
  expiresAt: string | null;
}

const CHALLENGE_KEY = "upstream-challenge";
const INSTALLATION_ID_KEY = "installation-id";

export class TokenRefresher extends DurableObject<WorkerEnv> implements ChallengeBoard, MetricsBoard {
  private readonly managers = new Map<string, Promise<TokenManager>>();
  private logger: Logger | null = null;
  private aggregate: MetricsAggregate | null = null;

  getCredentials(accountKey: string): Promise<Wire<IssuedCredentials>> {
    return this.run(accountKey, async (m) => issued(m, await m.getCredentials()));
  }

  handleUnauthorized(accountKey: string, rejected: Credentials): Promise<Wire<IssuedCredentials>> {
    return this.run(accountKey, async (m) => issued(m, await m.handleUnauthorized(rejected)));
  }

  forceRefresh(accountKey: string): Promise<Wire<TokenStatus>> {
    return this.run(accountKey, (m) => m.forceRefresh());
  }

  loadStatus(accountKey: string): Promise<Wire<TokenStatus>> {
    return this.run(accountKey, (m) => m.loadStatus());
  }

  /** The account's x-codex-installation-id, made once and kept in this object's storage (one object per account). */
  async installationId(): Promise<string> {
    const held = parseInstallationId(await this.ctx.storage.get<string>(INSTALLATION_ID_KEY));
    if (held) return held;
    const id = crypto.randomUUID();
    await this.ctx.storage.put(INSTALLATION_ID_KEY, id);
    return id;
  }

  /** The Worker's last Cloudflare challenge (see shared-challenge.ts); kept by the default account's object. */
  async lastChallenge(): Promise<SharedChallenge | null> {
    return (await this.ctx.storage.get<SharedChallenge>(CHALLENGE_KEY)) ?? null;
  }

  async noteChallenge(state: SharedChallenge): Promise<void> {
    const at = (s: SharedChallenge) => Date.parse(s.kind === "challenge" ? s.record.at : s.at);
    const current = await this.lastChallenge();
    if (current && at(current) > at(state)) return; // isolates report late; the newest fact wins
    await this.ctx.storage.put(CHALLENGE_KEY, state);
  }

  /** The Worker's metrics, summed over its isolates (worker-metrics.ts); kept by the METRICS_OBJECT instance. */
  async addMetrics(delta: MetricsData): Promise<void> {
    await this.metricsAggregate().add(delta);
  }

  metrics(): Promise<MetricsData> {
    return this.metricsAggregate().read();
  }

  private metricsAggregate(): MetricsAggregate {
    return (this.aggregate ??= new MetricsAggregate(this.ctx.storage));
  }

  private run<T>(accountKey: string, fn: (manager: TokenManager) => Promise<T>): Promise<Wire<T>> {
    return toWire(this.log(), async () => fn(await this.manager(accountKey)));
  }

  private log(): Logger {
    if (!this.logger) {
      let level: Config["logLevel"] = "info";
      try {
        level = loadConfig(variablesOf(this.env)).logLevel;
      } catch {
        // A bad variable is reported by the call itself (build() throws the ConfigError).
      }
      this.logger = createConsoleLogger(level);
    }
    return this.logger;
  }

  private manager(accountKey: string): Promise<TokenManager> {
    let m = this.managers.get(accountKey);
    if (!m) {
      m = this.build(accountKey);
      // A configuration error is answered as it is, and looked at again on the next call (a new secret).
      m.catch(() => this.managers.delete(accountKey));
      this.managers.set(accountKey, m);
    }
    return m;
  }

  private async build(accountKey: string): Promise<TokenManager> {
    const vars = variablesOf(this.env);
    // Seeded from this account's own secret (accounts.ts), not from OPENAI_CODEX_AUTH.
    const config = { ...loadConfig(vars), codexAuthJson: accountAuthJson(vars, accountKey) };
    const logger = this.log();
    const key = await requireEncryptionKey(vars.TOKEN_ENCRYPTION_KEY);
    const store = createDurableObjectStore({
      storage: this.ctx.storage,
      kv: this.env.KV,
      accountKey,
      sealer: sealerFor(key, accountKey),
      logger,
    });
    // Unbound: the Workers runtime rejects a fetch called as a method of another object. The token manager's fetch
    // only talks to the token endpoint: each call is a refresh, counted in the Worker's metrics.
    const refreshing: typeof fetch = async (input, init) => {
      let ok = false;
      try {
        const res = await fetch(input, init);
        ok = res.ok;
        return res;
      } finally {
        await this.countRefresh(ok);
      }
    };
    return createTokenManager({ config, store, logger, fetch: refreshing });
  }

  private async countRefresh(ok: boolean): Promise<void> {
    const counted = new MetricCounters();
    counted.add("refreshes", { result: ok ? "ok" : "failed" }, 1);
    const board = this.env.TOKEN_REFRESHER.get(this.env.TOKEN_REFRESHER.idFromName(METRICS_OBJECT));
    await board.addMetrics(counted.take()!).catch(() => {});
  }
}

function issued(manager: TokenManager, credentials: Credentials): IssuedCredentials {
  return { credentials, expiresAt: manager.status().expiresAt };
}
