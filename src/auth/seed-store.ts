// Seeding a shared store (Redis; KV alike) from the sign-in an instance was given (OPENAI_CODEX_AUTH or
// $CODEX_HOME/auth.json): the first instance writes it when the store holds nothing; later instances keep what
// the store holds (it may have been refreshed since) unless theirs is a newer sign-in, told by the tokens' issue
// time. Runs under the store's refresh lock, so it never races a refresh of another instance.

import { decodeJwtIssuedAt } from "./jwt.ts";
import type { AuthDocument, TokenStore } from "./types.ts";

export type SeedOutcome = "seeded" | "replaced" | "kept" | "no-seed";

/** Issue time (s) of a document's tokens: the access token's `iat`, else the id token's; null when neither has one. */
export function issuedAt(doc: AuthDocument): number | null {
  return decodeJwtIssuedAt(doc.tokens.access_token) ?? decodeJwtIssuedAt(doc.tokens.id_token);
}

/** Whether `candidate` is a newer sign-in than `stored` (a refreshed store is newer than the login it began from). */
export function isNewerSignIn(candidate: AuthDocument, stored: AuthDocument): boolean {
  if (candidate.tokens.refresh_token === stored.tokens.refresh_token) return false;
  const a = issuedAt(candidate);
  const b = issuedAt(stored);
  if (a === null) return false;
  return b === null || a > b;
}

/**
 * Makes the store hold the newest of what it holds and `candidate`. Also reads the store once, which surfaces a
 * wrong TOKEN_ENCRYPTION_KEY before the first request.
 */
export async function seedStore(store: TokenStore, candidate: AuthDocument | null): Promise<SeedOutcome> {
  if (candidate === null) {
    await store.load();
    return "no-seed";
  }
  return store.withRefreshLock(async (current) => {
    if (current === null) return (await store.save(candidate, null)) ? "seeded" : "kept";
    if (!isNewerSignIn(candidate, current)) return "kept";
    return (await store.save(candidate, current.tokens.refresh_token || null)) ? "replaced" : "kept";
  });
}
