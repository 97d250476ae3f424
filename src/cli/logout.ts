// `codex-relay logout`: removes the relay's own sign-ins (all, or one with --account), revoking each refresh token
// at the issuer first (best effort, like the Codex CLI). The Codex CLI's auth.json is only removed with
// --codex-home. With TOKEN_STORE=redis the account is also removed from Redis (its tokens there are the current
// ones: the instances refresh into Redis, so that refresh token is the one revoked), and --account may name an
// account that only Redis knows.

import type { Config } from "../config.ts";
import { accountKeyOf, accountsDir, listAccountFiles, removeFile } from "../auth/account-files.ts";
import { defaultAuthPath, readAuthFile } from "../auth/file-store.ts";
import { decodeJwtClaims } from "../auth/jwt.ts";
import { oauthEndpoints } from "../auth/oauth-endpoints.ts";
import { revokeRefreshToken } from "../auth/revoke.ts";
import { openRedis, REDIS_START_WAIT_MS } from "../node/token-stores.ts";
import { silentLogger } from "../core/logger.ts";
import { stylesFor, type Out } from "./terminal.ts";

export interface LogoutOptions {
  config: Config;
  /** Only this account (file name without .json, or its e-mail). */
  account?: string;
  codexHome?: boolean;
  revoke?: boolean;
  fetch?: typeof fetch;
}

/** Returns the exit code. */
export async function runLogout(o: LogoutOptions, out: Out, err: Out): Promise<number> {
  const s = stylesFor(out);
  const doFetch: typeof fetch = o.fetch ?? ((input, init) => fetch(input, init));
  const revokeUrl = oauthEndpoints(o.config.oauthIssuer).revoke;
  const files = await listAccountFiles(o.config.relayHome);
  let targets = files;
  if (o.account) {
    const wanted = o.account.toLowerCase();
    targets = [];
    for (const f of files) {
      const doc = await readAuthFile(f).catch(() => null);
      const email = decodeJwtClaims(doc?.tokens.id_token)?.email?.toLowerCase();
      if (accountKeyOf(f).toLowerCase() === wanted || email === wanted) targets.push(f);
    }
    // With Redis, an account only Redis knows is looked up there (below).
    if (targets.length === 0 && o.config.tokenStore !== "redis") {
      err.write(
        `codex-relay: no sign-in named "${o.account}" in ${accountsDir(o.config.relayHome)}. ` +
          "See them with: codex-relay status\n",
      );
      return 1;
    }
  }
  const accountFiles = targets;
  if (o.codexHome) targets = [...targets, defaultAuthPath(o.config.codexHome)];

  let removed = 0;
  for (const file of targets) {
    const doc = await readAuthFile(file).catch(() => null);
    if (doc?.tokens.refresh_token && o.revoke !== false) {
      await revokeRefreshToken(doFetch, revokeUrl, o.config.clientId, doc.tokens.refresh_token);
    }
    if (await removeFile(file)) {
      removed++;
      out.write(`Removed ${file}\n`);
    }
  }
  if (o.config.tokenStore === "redis") {
    const keys = o.account && accountFiles.length === 0 ? [o.account] : accountFiles.map(accountKeyOf);
    const fromRedis = await logoutFromRedis(o, keys, doFetch, revokeUrl, out, err);
    if (fromRedis === null) return 1;
    removed += fromRedis;
  }
  if (removed === 0) {
    out.write(`No sign-in to remove (looked in ${accountsDir(o.config.relayHome)}).\n`);
  } else {
    out.write(`${s.green("Signed out.")} Sign in again with: ${s.bold("codex-relay login")}\n`);
  }
  return 0;
}

/** Removes these accounts from Redis; the number removed, or null (reported) when Redis cannot be reached. */
async function logoutFromRedis(
  o: LogoutOptions,
  keys: string[],
  doFetch: typeof fetch,
  revokeUrl: string,
  out: Out,
  err: Out,
): Promise<number | null> {
  const { connection, storeFor, poolState } = await openRedis(o.config, silentLogger);
  try {
    if (!(await connection.waitUntilReady(REDIS_START_WAIT_MS))) {
      const why = connection.state().lastError ?? "no answer";
      err.write(
        `codex-relay: cannot reach Redis at ${connection.location} (${why}); nothing removed there.\n`,
      );
      return null;
    }
    // No account named: every account Redis holds, as every file is removed (a logout of everything).
    const wanted = o.account ? keys : [...new Set([...keys, ...(await poolState.accountKeys())])];
    let removed = 0;
    for (const key of wanted) {
      const doc = await storeFor(key)
        .load()
        .catch(() => null);
      if (doc?.tokens.refresh_token && o.revoke !== false) {
        await revokeRefreshToken(doFetch, revokeUrl, o.config.clientId, doc.tokens.refresh_token);
      }
      if (await poolState.removeAccount(key)) {
        removed++;
        out.write(`Removed account "${key}" from Redis (${connection.location})\n`);
      }
    }
    return removed;
  } finally {
    await poolState.close();
    await connection.close();
  }
}
