// Could a request be served now? One pure function over the facts the relay has: the token state of each account
// and what the backend said lately. /health answers 200 or 503 from it; the status page shows it.
//
// Pluggable on purpose: a runtime or feature with more facts passes them in — several accounts (ready when any is),
// a token store that cannot be read (`storeError` on an account's status, or an `extra` problem such as "Redis
// unreachable") — without changing the verdict's shape.

import type { TokenStatus } from "../auth/types.ts";
import type { UpstreamHealthSnapshot } from "./upstream-health.ts";
import { CLOUDFLARE_CHALLENGE_MESSAGE } from "../upstream/upstream-error.ts";

export type NotReadyReason =
  | "no_credentials"
  | "sign_in_required"
  | "token_rejected"
  | "token_store_unreachable"
  | "upstream_failing"
  | "cloudflare_challenge";

export interface ReadinessProblem {
  reason: NotReadyReason;
  /** What is wrong and what to do, for a person. Never a secret or an account detail (strangers see it). */
  message: string;
}

export interface Readiness {
  ok: boolean;
  reason: NotReadyReason | null;
  message: string | null;
}

/** An account's token state as /health sees it; `storeError` is set while the account's store cannot be read. */
export type AccountTokenState = Pick<
  TokenStatus,
  "source" | "lastError" | "accessTokenFingerprint" | "expiresInSeconds"
> & { storeError?: { message: string; at?: string } | null };

export interface ReadinessInput {
  /** One entry per account the relay may use (the single sign-in: one). */
  accounts: AccountTokenState[];
  upstream: UpstreamHealthSnapshot;
  /** Problems another part of the relay knows of (e.g. a shared store that is down). */
  extra?: ReadinessProblem[];
  now?: number;
}

/** The backend failures in a row (each retry counts) after which it counts as failing every request. */
export const FAILING_AFTER = 3;
/** How long a failure, a rejection or a challenge stays "recent": after that, /health lets traffic probe again. */
export const RECENT_MS = 5 * 60_000;

export function assessReadiness(input: ReadinessInput): Readiness {
  const now = input.now ?? Date.now();
  const problem =
    input.extra?.[0] ??
    accountsProblem(input.accounts, input.upstream) ??
    upstreamProblem(input.upstream, now);
  return problem ? { ok: false, ...problem } : { ok: true, reason: null, message: null };
}

function accountsProblem(
  accounts: AccountTokenState[],
  upstream: UpstreamHealthSnapshot,
): ReadinessProblem | null {
  let first: ReadinessProblem | null = null;
  for (const account of accounts) {
    const p = accountProblem(account, upstream);
    if (!p) return null; // one usable account is enough
    first ??= p;
  }
  return first ?? NO_CREDENTIALS;
}

const NO_CREDENTIALS: ReadinessProblem = {
  reason: "no_credentials",
  message:
    "No ChatGPT credentials: sign in (`npx codex-relay login` or `codex login`) or set CHATGPT_ACCESS_TOKEN / OPENAI_CODEX_AUTH.",
};

export function accountProblem(
  account: AccountTokenState,
  upstream: UpstreamHealthSnapshot,
): ReadinessProblem | null {
  if (account.storeError) {
    return {
      reason: "token_store_unreachable",
      message: "The token store cannot be read; see the relay's log.",
    };
  }
  // Before "none": an auth.json that cannot be used (damaged, API key only) leaves no source but needs a sign-in.
  if (account.lastError?.needsSignIn) {
    return {
      reason: "sign_in_required",
      message: "The ChatGPT sign-in expired or was revoked: sign in again (`npx codex-relay login`).",
    };
  }
  if (account.source === "none") return NO_CREDENTIALS;
  const latest = upstream.latest;
  if (
    latest?.kind === "token_rejected" &&
    latest.tokenFingerprint != null &&
    latest.tokenFingerprint === account.accessTokenFingerprint
  ) {
    return {
      reason: "token_rejected",
      message:
        account.source === "env-access-token"
          ? "The ChatGPT backend rejects CHATGPT_ACCESS_TOKEN: set a new one, or unset it and sign in."
          : "The ChatGPT backend rejects the access token: sign in again.",
    };
  }
  if (
    account.source === "env-access-token" &&
    account.expiresInSeconds !== null &&
    account.expiresInSeconds <= 0
  ) {
    return {
      reason: "token_rejected",
      message:
        "CHATGPT_ACCESS_TOKEN has expired (it is never refreshed): set a new one, or unset it and sign in.",
    };
  }
  return null;
}

function upstreamProblem(upstream: UpstreamHealthSnapshot, now: number): ReadinessProblem | null {
  const latest = upstream.latest;
  if (!latest || now - Date.parse(latest.at) > RECENT_MS) return null;
  if (latest.kind === "challenge") {
    return {
      reason: "cloudflare_challenge",
      // What happened and what to do: the same words the failed requests got.
      message: CLOUDFLARE_CHALLENGE_MESSAGE,
    };
  }
  if (latest.kind === "failure" && upstream.consecutiveFailures >= FAILING_AFTER) {
    return {
      reason: "upstream_failing",
      message: `The ChatGPT backend failed the last ${upstream.consecutiveFailures} requests (unreachable, 5xx, or a stream that broke).`,
    };
  }
  return null;
}
