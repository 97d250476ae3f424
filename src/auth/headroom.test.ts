import { describe, expect, it } from "vitest";
import type { RateLimitSnapshot } from "../upstream/rate-limits.ts";
import { headroomPercent, headroomWeight, MIN_HEADROOM_WEIGHT } from "./headroom.ts";

const now = Date.parse("2026-12-01T12:00:00Z");
const at = (minutes: number) => new Date(now + minutes * 60_000).toISOString();
const snapshot = (
  primary: number | null,
  secondary: number | null,
  resets = [60, 6000],
): RateLimitSnapshot => ({
  planType: "plus",
  primary: { usedPercent: primary, windowMinutes: 300, resetAt: at(resets[0]!) },
  secondary: { usedPercent: secondary, windowMinutes: 10080, resetAt: at(resets[1]!) },
  observedAt: at(-1),
});

describe("headroom from the usage windows", () => {
  it("is what is left of the tighter window", () => {
    expect(headroomPercent(snapshot(12, 34), now)).toBe(66);
    expect(headroomPercent(snapshot(90, 34), now)).toBe(10);
    expect(headroomPercent(snapshot(100, 34), now)).toBe(0);
    expect(headroomPercent(snapshot(130, 0), now)).toBe(0);
  });

  it("counts unknown usage, and a window past its reset, as all of it", () => {
    expect(headroomPercent(null, now)).toBe(100);
    expect(headroomPercent(snapshot(null, null), now)).toBe(100);
    expect(headroomPercent(snapshot(95, 20, [-1, 6000]), now)).toBe(80);
    expect(headroomPercent(snapshot(95, 99, [-1, -1]), now)).toBe(100);
  });
});

describe("the weight of an account for new conversations", () => {
  it("is the headroom as a fraction, in whole steps of 5 points", () => {
    expect(headroomWeight(100)).toBe(1);
    expect(headroomWeight(66)).toBe(0.65);
    expect(headroomWeight(65)).toBe(0.65);
    expect(headroomWeight(64.9)).toBe(0.6);
    expect(headroomWeight(5)).toBe(0.05);
  });

  it("an account with less than a step left gets the floor, never zero", () => {
    for (const h of [4.9, 1, 0, -3]) expect(headroomWeight(h)).toBe(MIN_HEADROOM_WEIGHT);
    expect(MIN_HEADROOM_WEIGHT).toBeGreaterThan(0);
    expect(headroomWeight(140)).toBe(1);
  });
});
