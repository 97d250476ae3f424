// How much of an account's plan is left by its last known usage windows, and the weight that gives it among the
// accounts for new conversations (weighted rendezvous hashing, rendezvous.ts).

import type { RateLimitSnapshot, RateLimitWindow } from "../upstream/rate-limits.ts";

/**
 * Headroom is counted in steps of this many points for the weight: isolates whose views differ by a point or two
 * (one saw a reply the other has not read from KV yet) still give an account the same weight, and so send a
 * conversation they both see for the first time to the same account.
 */
export const HEADROOM_STEP = 5;
/**
 * The weight of an account with less than one step of headroom left (it serves its own conversations until its
 * limit parks it, but takes about one new conversation in a thousand from a fresh account), and of every account
 * when all are that low (they then share new conversations evenly). Not zero: a zero weight would tie.
 */
export const MIN_HEADROOM_WEIGHT = 0.001;

/** 0..100: what is left of the tighter window; unknown usage counts as all of it, a window past its reset too. */
export function headroomPercent(snapshot: RateLimitSnapshot | null, now: number): number {
  if (!snapshot) return 100;
  const used = (w: RateLimitWindow) =>
    w.resetAt !== null && Date.parse(w.resetAt) <= now ? 0 : (w.usedPercent ?? 0);
  return Math.min(100, Math.max(0, 100 - Math.max(used(snapshot.primary), used(snapshot.secondary))));
}

/** The account's weight for new conversations: its headroom as a fraction, in whole steps, at least the floor. */
export function headroomWeight(percent: number): number {
  const steps = Math.floor(Math.max(0, Math.min(100, percent)) / HEADROOM_STEP);
  return Math.max(MIN_HEADROOM_WEIGHT, (steps * HEADROOM_STEP) / 100);
}
