import { describe, expect, it } from "vitest";
import { mintJwt } from "../../test/auth/helpers/jwt.ts";
import { decodeJwtClaims } from "./jwt.ts";

describe("decodeJwtClaims", () => {
  it("reads exp and the ChatGPT auth claims", () => {
    const token = mintJwt({
      exp: 1_900_000_000,
      accountId: "acct-1",
      planType: "pro",
      userId: "u-1",
      email: "a@b.c",
    });
    expect(decodeJwtClaims(token)).toEqual({
      exp: 1_900_000_000,
      accountId: "acct-1",
      planType: "pro",
      userId: "u-1",
      email: "a@b.c",
    });
  });

  it("falls back to user_id and the profile namespace email", () => {
    const token = mintJwt({
      extra: {
        "https://api.openai.com/auth": { user_id: "u-2" },
        "https://api.openai.com/profile": { email: "p@q.r" },
      },
    });
    expect(decodeJwtClaims(token)).toMatchObject({
      exp: null,
      userId: "u-2",
      email: "p@q.r",
      accountId: null,
    });
  });

  it("decodes UTF-8 payloads and base64url characters", () => {
    const payload = Buffer.from(JSON.stringify({ email: "zoë@exämple.org", exp: 5, pad: "??>>" })).toString(
      "base64url",
    );
    expect(decodeJwtClaims(`x.${payload}.y`)).toMatchObject({ email: "zoë@exämple.org", exp: 5 });
  });

  it("returns null for non-JWTs", () => {
    for (const t of [
      "",
      "opaque-token",
      "a.b",
      "a.!!!.c",
      `a.${Buffer.from("[1]").toString("base64url")}.c`,
      "a..c",
    ]) {
      expect(decodeJwtClaims(t)).toBeNull();
    }
    expect(decodeJwtClaims(null)).toBeNull();
    expect(decodeJwtClaims(`a.${Buffer.from("not json").toString("base64url")}.c`)).toBeNull();
  });

  it("ignores a non-numeric exp", () => {
    const token = mintJwt({ extra: { exp: "soon" } });
    expect(decodeJwtClaims(token)?.exp).toBeNull();
  });
});
