import { describe, expect, it } from "vitest";
import { assessReadiness, RECENT_MS, type AccountTokenState } from "./readiness.ts";
import { UpstreamHealth } from "./upstream-health.ts";

const signedIn: AccountTokenState = {
  source: "store",
  lastError: null,
  accessTokenFingerprint: "…aaaa",
  expiresInSeconds: 3600,
};

describe("assessReadiness", () => {
  it("is ready with a usable account and a quiet backend", () => {
    expect(assessReadiness({ accounts: [signedIn], upstream: new UpstreamHealth().snapshot() })).toEqual({
      ok: true,
      reason: null,
      message: null,
    });
  });

  it("reports a token store that cannot be read", () => {
    const r = assessReadiness({
      accounts: [{ ...signedIn, storeError: { message: "ECONNREFUSED" } }],
      upstream: new UpstreamHealth().snapshot(),
    });
    expect(r).toMatchObject({ ok: false, reason: "token_store_unreachable" });
    expect(r.message).not.toContain("ECONNREFUSED"); // strangers see the message: no internals
  });

  it("is ready when any one of several accounts is usable, and reports the first problem when none is", () => {
    const upstream = new UpstreamHealth().snapshot();
    const dead: AccountTokenState = {
      ...signedIn,
      lastError: { message: "x", code: "sign_in_again", at: "", needsSignIn: true },
    };
    expect(assessReadiness({ accounts: [dead, signedIn], upstream }).ok).toBe(true);
    expect(assessReadiness({ accounts: [dead, { ...signedIn, source: "none" }], upstream }).reason).toBe(
      "sign_in_required",
    );
    expect(assessReadiness({ accounts: [], upstream }).reason).toBe("no_credentials");
  });

  it("takes extra problems from other parts of the relay first", () => {
    const r = assessReadiness({
      accounts: [signedIn],
      upstream: new UpstreamHealth().snapshot(),
      extra: [{ reason: "token_store_unreachable", message: "Redis is unreachable." }],
    });
    expect(r).toEqual({ ok: false, reason: "token_store_unreachable", message: "Redis is unreachable." });
  });

  it("rejects only the token the backend rejected", () => {
    const h = new UpstreamHealth();
    h.record({ kind: "token_rejected", status: 401, code: null, message: "", tokenFingerprint: "…aaaa" });
    expect(assessReadiness({ accounts: [signedIn], upstream: h.snapshot() }).reason).toBe("token_rejected");
    // A refreshed (different) token is not judged by the old rejection.
    const refreshed = { ...signedIn, accessTokenFingerprint: "…bbbb" };
    expect(assessReadiness({ accounts: [refreshed], upstream: h.snapshot() }).ok).toBe(true);
  });

  it("counts a failing backend only after several failures in a row, and forgets them after a while", () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const h = new UpstreamHealth(() => now);
    const fail = () => h.record({ kind: "failure", status: 502, code: null, message: "" });
    fail();
    fail();
    expect(assessReadiness({ accounts: [signedIn], upstream: h.snapshot(), now }).ok).toBe(true);
    fail();
    expect(assessReadiness({ accounts: [signedIn], upstream: h.snapshot(), now }).reason).toBe(
      "upstream_failing",
    );
    now += RECENT_MS + 1;
    expect(assessReadiness({ accounts: [signedIn], upstream: h.snapshot(), now }).ok).toBe(true);
  });

  it("a client-side error from the backend ends a failure streak", () => {
    const h = new UpstreamHealth();
    for (let i = 0; i < 3; i++) h.record({ kind: "failure", status: 500, code: null, message: "" });
    h.record({ kind: "answered", status: 400, code: null, message: "" });
    expect(assessReadiness({ accounts: [signedIn], upstream: h.snapshot() }).ok).toBe(true);
    expect(h.snapshot().lastError?.status).toBe(400);
  });
});
