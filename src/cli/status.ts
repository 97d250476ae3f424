// `codex-relay status`: every sign-in the relay would use, with account, e-mail, plan, token expiry, last
// refresh and the plan's usage windows (from the backend's usage endpoint, reset times in local time). Exit 0
// when the relay could serve a request now; otherwise 1, with the exact command to run next.

import { CODEX_CLIENT_VERSION, type Config } from "../config.ts";
import { RelayError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import { createTokenManager } from "../auth/token-manager.ts";
import { DEFAULT_ACCOUNT_KEY, type TokenStatus } from "../auth/types.ts";
import { fetchUsage } from "../upstream/usage.ts";
import type { RateLimitSnapshot, RateLimitWindow } from "../upstream/rate-limits.ts";
import { RELAY_VERSION } from "../upstream/codex-client.ts";
import { discoverSignIns, type SignIn } from "../node/sign-ins.ts";
import { openRedis, REDIS_START_WAIT_MS } from "../node/token-stores.ts";
import { stylesFor, type Out } from "./terminal.ts";

export interface AccountReport {
  key: string;
  file: string | null;
  origin: SignIn["origin"];
  ready: boolean;
  /** What is wrong when not ready (no secrets). */
  problem: string | null;
  tokens: TokenStatus;
  usage: RateLimitSnapshot | null;
  usageError: string | null;
}

export interface StatusReport {
  ready: boolean;
  accounts: AccountReport[];
  /** The command to run next when not ready. */
  next: string | null;
}

export async function collectStatus(config: Config, fetchFn?: typeof fetch): Promise<StatusReport> {
  const doFetch: typeof fetch = fetchFn ?? ((input, init) => fetch(input, init));
  if (config.tokenStore === "redis") return collectRedisStatus(config, doFetch);
  const signIns = await discoverSignIns(config);
  const accounts = await Promise.all(signIns.map((s) => accountReport(config, s, doFetch)));
  const ready = accounts.some((a) => a.ready);
  return { ready, accounts, next: ready ? null : nextStep(config, accounts) };
}

/**
 * TOKEN_STORE=redis: every account the relay instances share (codex-relay:accounts), read from Redis as an
 * instance would, with the parkings the instances share.
 */
async function collectRedisStatus(config: Config, doFetch: typeof fetch): Promise<StatusReport> {
  const { connection, storeFor, poolState } = await openRedis(config, silentLogger);
  try {
    if (!(await connection.waitUntilReady(REDIS_START_WAIT_MS))) {
      const why = connection.state().lastError ?? "no answer";
      return {
        ready: false,
        accounts: [],
        next: `start Redis at ${connection.location} (or fix REDIS_URL): ${why}`,
      };
    }
    const recorded = await poolState.accountKeys();
    const keys = recorded.length ? recorded : [DEFAULT_ACCOUNT_KEY];
    const parkings = await poolState.parkings(keys);
    // The store is the one source of an instance on Redis (seeded from the environment at its start).
    const shared = { ...config, codexAuthJson: null };
    const accounts = await Promise.all(
      keys.map(async (key) => {
        const report = await accountReport(
          shared,
          { key, file: null, origin: "redis", store: storeFor(key) },
          doFetch,
        );
        const parked = parkings.get(key);
        if (parked && report.problem === null) {
          if (parked.reason === "sign_in") report.problem = `Its sign-in failed for good: ${parked.message}`;
          else if (parked.until !== null && parked.until > Date.now()) {
            const until = new Date(parked.until).toISOString();
            report.problem = `At its usage limit until ${localTime(until)} (${relative(until)}).`;
          }
          report.ready = report.problem === null;
        }
        return report;
      }),
    );
    const ready = accounts.some((a) => a.ready);
    return { ready, accounts, next: ready ? null : nextStep(config, accounts) };
  } finally {
    await poolState.close();
    await connection.close();
  }
}

async function accountReport(config: Config, signIn: SignIn, doFetch: typeof fetch): Promise<AccountReport> {
  const tokens = createTokenManager({
    config,
    store: signIn.store,
    seedLoader: signIn.seedLoader,
    fetch: doFetch,
    logger: silentLogger,
  });
  let problem: string | null = null;
  let usage: RateLimitSnapshot | null = null;
  let usageError: string | null = null;
  try {
    // Refreshes first when the access token is about to expire (saved to the store, as the relay would).
    const credentials = await tokens.getCredentials();
    try {
      usage = await fetchUsage({
        fetch: doFetch,
        usageUrl: config.usageUrl,
        credentials,
        userAgent: `${config.originator}/${CODEX_CLIENT_VERSION} (codex-relay ${RELAY_VERSION})`,
      });
    } catch (err) {
      usageError = err instanceof Error ? err.message : String(err);
    }
  } catch (err) {
    problem = err instanceof RelayError || err instanceof Error ? err.message : String(err);
  }
  await tokens.settle();
  const status = tokens.status();
  const limited = usage ? exhaustedUntil(usage) : null;
  if (problem === null && limited !== null) {
    problem = `At its usage limit until ${localTime(limited)} (${relative(limited)}).`;
  }
  return {
    key: signIn.key,
    file: signIn.file,
    origin: signIn.origin,
    ready: problem === null,
    problem,
    tokens: status,
    usage,
    usageError,
  };
}

/** The reset time of a window that is used up (the later one when both are), or null. */
function exhaustedUntil(u: RateLimitSnapshot): string | null {
  const full = [u.primary, u.secondary].filter((w) => (w.usedPercent ?? 0) >= 100 && w.resetAt !== null);
  if (full.length === 0) return null;
  return full
    .map((w) => w.resetAt!)
    .sort()
    .at(-1)!;
}

function nextStep(config: Config, accounts: AccountReport[]): string {
  if (config.chatgptAccessToken !== null)
    return "set a new CHATGPT_ACCESS_TOKEN, or unset it and run: codex-relay login";
  // Every account signed in but at its limit: wait, or add one.
  if (
    accounts.length > 0 &&
    accounts.every((a) => a.usage !== null && a.problem?.startsWith("At its usage limit"))
  ) {
    return "wait for the reset shown above, or add an account: codex-relay login";
  }
  return "codex-relay login";
}

export function printStatus(report: StatusReport, out: Out): void {
  const s = stylesFor(out);
  const lines: string[] = [];
  for (const a of report.accounts) {
    const t = a.tokens;
    const head = t.email ?? (t.source === "none" ? "no sign-in" : "(no e-mail in the token)");
    const state = a.ready
      ? s.green("ready")
      : a.problem?.startsWith("At its usage limit")
        ? s.yellow("usage limit")
        : s.red("needs sign-in");
    lines.push(`${s.bold(head)}${t.planType ? `  plan ${t.planType}` : ""}  [${state}]`);
    lines.push(`  from      ${describeOrigin(a)}`);
    if (t.accountId) lines.push(`  account   ${t.accountId}`);
    if (t.accessTokenFingerprint) lines.push(`  token     ${t.accessTokenFingerprint}`);
    if (t.expiresAt) lines.push(`  expires   ${localTime(t.expiresAt)} (${relative(t.expiresAt)})`);
    if (t.lastRefresh) lines.push(`  refreshed ${localTime(t.lastRefresh)} (${relative(t.lastRefresh)})`);
    if (a.usage) {
      lines.push(`  ${label(a.usage.primary, "5-hour")}${windowText(a.usage.primary)}`);
      lines.push(`  ${label(a.usage.secondary, "weekly")}${windowText(a.usage.secondary)}`);
    } else if (a.usageError) {
      lines.push(`  usage     ${s.yellow(`unknown: ${a.usageError}`)}`);
    }
    if (a.problem) lines.push(`  ${s.red("problem")}   ${a.problem}`);
    lines.push("");
  }
  if (report.ready) lines.push(s.green("Ready."));
  else lines.push(`${s.red("Not ready.")} Next: ${s.bold(report.next ?? "codex-relay login")}`);
  out.write(lines.join("\n") + "\n");
}

function describeOrigin(a: AccountReport): string {
  if (a.tokens.source === "env-access-token") return "CHATGPT_ACCESS_TOKEN";
  if (a.tokens.source === "env-auth-json") return "OPENAI_CODEX_AUTH";
  const where = a.file ?? a.tokens.store.location;
  if (a.origin === "relay") return `${where} (the relay's own sign-in)`;
  if (a.origin === "codex") return `${where} (the Codex CLI's sign-in)`;
  if (a.origin === "redis") return `${where} (shared by the relay instances)`;
  return where;
}

function label(w: RateLimitWindow, fallback: string): string {
  const m = w.windowMinutes;
  const name = m === 300 ? "5-hour" : m === 10080 ? "weekly" : m ? `${m}-min` : fallback;
  return name.padEnd(10);
}

function windowText(w: RateLimitWindow): string {
  if (w.usedPercent === null) return "no data";
  const reset = w.resetAt ? `, resets ${localTime(w.resetAt)} (${relative(w.resetAt)})` : "";
  return `${w.usedPercent}% used${reset}`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** In the machine's local time zone, e.g. "Tue 2026-12-01 14:05". */
export function localTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${WEEKDAYS[d.getDay()]} ${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}`
  );
}

export function relative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const text =
    abs < 90_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 90 * 60_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 36 * 3600_000
          ? `${Math.round(abs / 3600_000)} h`
          : `${Math.round(abs / 86400_000)} days`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}
