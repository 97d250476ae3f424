import { describe, expect, it } from "vitest";
import { forwardableHeaders, parseRateLimits, RateLimitTracker } from "./rate-limits.ts";

describe("rate limits", () => {
  const h = new Headers({
    "x-codex-plan-type": "plus",
    "x-codex-primary-used-percent": "42",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-at": "1777936568",
    "x-codex-secondary-used-percent": "7.5",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-after-seconds": "60",
    "openai-model": "gpt-5.5",
    "set-cookie": "x=y",
  });

  it("parses both windows, preferring reset-at and falling back to reset-after", () => {
    const snap = parseRateLimits(h)!;
    expect(snap.planType).toBe("plus");
    expect(snap.primary).toEqual({
      usedPercent: 42,
      windowMinutes: 300,
      resetAt: new Date(1777936568000).toISOString(),
    });
    expect(snap.secondary.usedPercent).toBe(7.5);
    expect(Date.parse(snap.secondary.resetAt!) - Date.now()).toBeGreaterThan(55_000);
  });

  it("forwards the x-codex family and openai-model only", () => {
    const f = forwardableHeaders(h);
    expect(f["x-codex-primary-used-percent"]).toBe("42");
    expect(f["openai-model"]).toBe("gpt-5.5");
    expect(f["set-cookie"]).toBeUndefined();
  });

  it("is null without rate-limit headers", () => {
    expect(parseRateLimits(new Headers({ "content-type": "text/event-stream" }))).toBeNull();
  });
});

describe("RateLimitTracker", () => {
  it("keeps the last reply with rate limits, as of when it came", () => {
    const tracker = new RateLimitTracker();
    expect(tracker.latest).toBeNull();
    const before = Date.now();
    tracker.record(
      new Headers({ "x-codex-primary-used-percent": "10", "x-codex-primary-reset-after-seconds": "60" }),
    );
    tracker.record(new Headers({ "content-type": "text/event-stream" })); // no rate limits: changes nothing
    const first = tracker.latest!;
    expect(first.primary.usedPercent).toBe(10);
    expect(Date.parse(first.observedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(first.primary.resetAt!) - Date.parse(first.observedAt)).toBe(60_000);
    expect(tracker.latest).toBe(first);
    tracker.record(new Headers({ "x-codex-plan-type": "pro", "x-codex-primary-used-percent": "55" }));
    expect(tracker.latest!.primary.usedPercent).toBe(55);
    expect(tracker.latest!.planType).toBe("pro");
  });
});

describe("RateLimitTracker, set from elsewhere", () => {
  it("takes a snapshot learned elsewhere over one not parsed yet", () => {
    const tracker = new RateLimitTracker();
    tracker.record(new Headers({ "x-codex-primary-used-percent": "10" }));
    const shared = parseRateLimits(new Headers({ "x-codex-primary-used-percent": "80" }))!;
    tracker.latest = shared;
    expect(tracker.latest).toBe(shared);
  });
});
