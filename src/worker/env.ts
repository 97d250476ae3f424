// What the Worker receives from wrangler.jsonc: the bindings, plus every var and secret as a string.

import type { TokenRefresher } from "./token-refresher.ts";

export interface WorkerEnv {
  /** The read cache of the tokens (KV namespace, binding `KV`, as in the project codex-relay replaces). */
  KV: KVNamespace;
  /** One Durable Object per account owns its token refreshes. */
  TOKEN_REFRESHER: DurableObjectNamespace<TokenRefresher>;
  [variable: string]: unknown;
}

/** The vars and secrets, as loadConfig() reads them (bindings are not strings and are left out). */
export function variablesOf(env: WorkerEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") vars[name] = value;
  return vars;
}
