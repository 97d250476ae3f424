import { describe, expect, it } from "vitest";
import { SIGNATURE_PREFIX, createThinkingSigner, signingKey } from "./thinking-signature.ts";

describe("thinking signatures", () => {
  const signer = createThinkingSigner(signingKey("secret"));

  it("carries the encrypted content and opens only its own signatures", () => {
    const sig = signer.sign("gAAAAB-encrypted==");
    expect(sig.startsWith(SIGNATURE_PREFIX)).toBe(true);
    expect(sig.endsWith("gAAAAB-encrypted==")).toBe(true);
    expect(signer.open(sig)).toBe("gAAAAB-encrypted==");
  });

  it("drops foreign, empty, tampered and malformed signatures", () => {
    const sig = signer.sign("gAAAAB-encrypted");
    expect(signer.open("")).toBeNull();
    expect(signer.open(undefined)).toBeNull();
    expect(signer.open("EqQBCkgIARABGAIiQL4...anthropic")).toBeNull();
    expect(signer.open(sig.replace("encrypted", "Encrypted"))).toBeNull();
    expect(signer.open(`${SIGNATURE_PREFIX}nodot`)).toBeNull();
    expect(signer.open(sig.slice(0, sig.lastIndexOf(".") + 1))).toBeNull();
  });

  it("verifies across instances that share the secret, not across different keys", () => {
    const sig = signer.sign("gAAAA-x");
    expect(createThinkingSigner(signingKey("secret")).open(sig)).toBe("gAAAA-x");
    expect(createThinkingSigner(signingKey("other")).open(sig)).toBeNull();
    // Without a secret the key is random per process.
    expect(createThinkingSigner(signingKey(null)).open(sig)).toBeNull();
  });
});
