// Rendezvous (highest random weight) hashing of a conversation over accounts, weighted: every instance that gives
// the accounts the same weights picks the same account with no I/O. With score = −w / ln(h), h the conversation's
// hash for the account mapped into (0, 1), −ln(h) is exponentially distributed with rate 1 and −ln(h) / w with rate
// w; the highest score is the smallest of those, which falls on account i with probability wᵢ / Σw. A change of one
// account's weight moves conversations only to or from that account.

import { fmix32, fnv1a32 } from "../core/hash.ts";

export interface WeightedCandidate<T> {
  key: string;
  weight: number;
  value: T;
}

/** FNV-1a of `conversation NUL account`, then murmur3's finaliser so that near keys spread: 0 … 2³²−1. */
export function rendezvousHash(conversation: string, account: string): number {
  return fmix32(fnv1a32(`${conversation}\u0000${account}`));
}

/** −w / ln(h) with h = (hash + ½) / 2³², strictly inside (0, 1); higher wins. */
export function weightedRendezvousScore(conversation: string, account: string, weight: number): number {
  const h = (rendezvousHash(conversation, account) + 0.5) / 2 ** 32;
  return -weight / Math.log(h);
}

/** The candidate with the highest score for this conversation (the first of equals); null when there is none. */
export function pickWeighted<T>(conversation: string, candidates: Iterable<WeightedCandidate<T>>): T | null {
  let chosen: T | null = null;
  let top = -Infinity;
  for (const c of candidates) {
    const score = weightedRendezvousScore(conversation, c.key, c.weight);
    if (score > top) [chosen, top] = [c.value, score];
  }
  return chosen;
}
