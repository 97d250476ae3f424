// A Cloudflare challenge met by one isolate must show on /health served by another: each isolate only sees its own
// backend replies (UpstreamHealth lives in its memory). The account's Durable Object keeps the Worker's last
// challenge, and its clearing by a later success; an isolate tells it after a request (waitUntil, off the
// response's path) and reads it before answering /health.

import type { UpstreamErrorRecord } from "../observe/upstream-health.ts";
import type { Relay } from "../relay.ts";

/** The Worker's last challenge, or when the backend answered after one (`cleared`). */
export type SharedChallenge =
  { kind: "challenge"; record: UpstreamErrorRecord } | { kind: "cleared"; at: string };

export interface ChallengeBoard {
  lastChallenge(): Promise<SharedChallenge | null>;
  noteChallenge(state: SharedChallenge): Promise<void>;
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : -Infinity);

export class ChallengeSharing {
  /** What this isolate last told or heard from the board. */
  private known: SharedChallenge | null = null;

  /** Before /health: adopt a challenge (or its clearing) newer than what this isolate saw itself. */
  async adopt(relay: Relay, board: ChallengeBoard): Promise<void> {
    const shared = await board.lastChallenge();
    if (!shared) return;
    this.known = shared;
    const local = relay.upstreamHealth.snapshot();
    const localAt = Math.max(ms(local.latest?.at), ms(local.lastSuccessAt));
    if (shared.kind === "challenge" && ms(shared.record.at) > localAt)
      relay.upstreamHealth.record(shared.record);
    if (shared.kind === "cleared" && local.latest?.kind === "challenge" && ms(shared.at) > localAt) {
      relay.upstreamHealth.recordSuccess();
    }
  }

  /** After a request: what the board should learn from it, or null. */
  toShare(relay: Relay): SharedChallenge | null {
    const local = relay.upstreamHealth.snapshot();
    const known = this.known;
    const latest = local.latest;
    if (latest?.kind === "challenge") {
      if (known?.kind === "challenge" && ms(known.record.at) >= ms(latest.at)) return null;
      this.known = { kind: "challenge", record: latest };
      return this.known;
    }
    // A success after the challenge this isolate knows of: the backend lets the Worker through again.
    if (known?.kind === "challenge" && latest === null && ms(local.lastSuccessAt) > ms(known.record.at)) {
      this.known = { kind: "cleared", at: local.lastSuccessAt! };
      return this.known;
    }
    return null;
  }
}
