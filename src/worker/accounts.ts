// The accounts of a Worker, from its secrets: `OPENAI_CODEX_AUTH` is the default account, and each
// `OPENAI_CODEX_AUTH_<NAME>` (the content of another sign-in's auth.json) adds the account `<name>` (lower case).
// Adding an account is one `wrangler secret put OPENAI_CODEX_AUTH_<NAME>`: secrets are the Worker's only
// configuration that is both secret and readable by every isolate and Durable Object, so no admin route (which
// would have to take tokens over HTTP) is needed. Each account has its own Durable Object (idFromName(key)) and
// KV entry (tokens:<key>); the secret only seeds it, as OPENAI_CODEX_AUTH seeds the default one.

import { ConfigError } from "../config.ts";
import { parseAuthJson } from "../auth/document.ts";
import { DEFAULT_ACCOUNT_KEY } from "../auth/types.ts";

export const ACCOUNT_SECRET = "OPENAI_CODEX_AUTH";
const NAMED = /^OPENAI_CODEX_AUTH_([A-Za-z0-9_-]{1,64})$/;

export interface WorkerAccount {
  key: string;
  /** The variable the account's sign-in comes from. */
  variable: string;
  /** Its content (an auth.json); null for the default account without OPENAI_CODEX_AUTH. */
  authJson: string | null;
}

/** Every account the vars name, sorted by key; at least the default one. A malformed sign-in names its variable. */
export function workerAccounts(vars: Record<string, string>): WorkerAccount[] {
  const found: WorkerAccount[] = [];
  for (const [variable, value] of Object.entries(vars)) {
    const m = NAMED.exec(variable);
    if (!m || value.trim() === "") continue;
    checkSignIn(value, variable);
    found.push({ key: m[1]!.toLowerCase(), variable, authJson: value });
  }
  for (let i = 1; i < found.length; i++) {
    const twin = found.slice(0, i).find((a) => a.key === found[i]!.key);
    if (twin) throw new ConfigError(found[i]!.variable, `names the same account as ${twin.variable}`);
  }
  const fallback = vars[ACCOUNT_SECRET]?.trim() ? vars[ACCOUNT_SECRET]! : null;
  const named = found.find((a) => a.key === DEFAULT_ACCOUNT_KEY);
  if (named && fallback !== null)
    throw new ConfigError(named.variable, `names the same account as ${ACCOUNT_SECRET}`);
  // The default account is served when OPENAI_CODEX_AUTH is set, or when nothing else is (its Durable Object may
  // hold a sign-in from before).
  if (fallback !== null || found.length === 0)
    found.push({ key: DEFAULT_ACCOUNT_KEY, variable: ACCOUNT_SECRET, authJson: fallback });
  return found.sort((a, b) => a.key.localeCompare(b.key));
}

/** The sign-in that seeds this account's Durable Object (null: none given). */
export function accountAuthJson(vars: Record<string, string>, accountKey: string): string | null {
  return workerAccounts(vars).find((a) => a.key === accountKey)?.authJson ?? null;
}

function checkSignIn(value: string, variable: string): void {
  try {
    if (parseAuthJson(value, variable) === null) throw new Error("no tokens");
  } catch {
    throw new ConfigError(variable, 'must be the JSON content of an auth.json ({"tokens":{…}})');
  }
}
