import { describe, expect, it } from "vitest";
import { challengeFor, generatePkce, generateState } from "./pkce.ts";

describe("PKCE", () => {
  it("S256 challenge of the RFC 7636 example verifier", async () => {
    expect(await challengeFor("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("verifier of 64 random bytes and state of 32, base64url without padding, fresh each time", async () => {
    const a = await generatePkce();
    const b = await generatePkce();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.challenge).toBe(await challengeFor(a.verifier));
    expect(generateState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
