import { describe, expect, it } from "vitest";
import { parseUsage } from "./usage.ts";

describe("parseUsage (GET /backend-api/wham/usage)", () => {
  it("maps the windows like the Codex CLI: seconds → minutes (rounded up), reset_at → ISO", () => {
    const now = Date.UTC(2026, 11, 1, 10, 0, 0);
    const snap = parseUsage(
      {
        plan_type: "plus",
        rate_limit: {
          allowed: true,
          limit_reached: false,
          primary_window: {
            used_percent: 42,
            limit_window_seconds: 18000,
            reset_after_seconds: 60,
            reset_at: 1796119200,
          },
          secondary_window: { used_percent: 7, limit_window_seconds: 604800, reset_after_seconds: 120 },
        },
      },
      now,
    );
    expect(snap.planType).toBe("plus");
    expect(snap.primary).toEqual({
      usedPercent: 42,
      windowMinutes: 300,
      resetAt: "2026-12-01T10:00:00.000Z",
    });
    expect(snap.secondary).toEqual({
      usedPercent: 7,
      windowMinutes: 10080,
      resetAt: "2026-12-01T10:02:00.000Z",
    });
  });

  it("a reply without rate_limit gives empty windows, never a throw", () => {
    const snap = parseUsage({ plan_type: "free", rate_limit: null });
    expect(snap.primary).toEqual({ usedPercent: null, windowMinutes: null, resetAt: null });
    expect(parseUsage("nonsense").planType).toBeNull();
  });
});
