import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../config.ts";
import {
  SEALED_PREFIX,
  TokenEncryptionError,
  isSealed,
  loadEncryptionKey,
  openDocument,
  sealDocument,
} from "./token-encryption.ts";
import type { AuthDocument } from "./types.ts";

const doc: AuthDocument = {
  auth_mode: "chatgpt",
  tokens: {
    id_token: "id.x.y",
    access_token: "at.secret.value",
    refresh_token: "rt_secret",
    account_id: "acc",
  },
  last_refresh: "2026-12-01T10:00:00.000Z",
};

const newKey = () => randomBytes(32).toString("base64");

describe("loadEncryptionKey", () => {
  it("is null when unset or blank", async () => {
    expect(await loadEncryptionKey(undefined)).toBeNull();
    expect(await loadEncryptionKey(null)).toBeNull();
    expect(await loadEncryptionKey("  ")).toBeNull();
  });

  it("accepts 32 bytes in standard or url-safe base64, padded or not", async () => {
    const bytes = randomBytes(32);
    const std = await loadEncryptionKey(bytes.toString("base64"));
    const url = await loadEncryptionKey(bytes.toString("base64url"));
    expect(std?.id).toMatch(/^[0-9a-f]{8}$/);
    expect(url?.id).toBe(std?.id);
  });

  it("accepts what the documented commands print", async () => {
    const fromNode = execFileSync(process.execPath, [
      "-e",
      "console.log(require('crypto').randomBytes(32).toString('base64'))",
    ])
      .toString()
      .trim();
    expect(await loadEncryptionKey(fromNode)).not.toBeNull();
  });

  it.each([
    ["too short", randomBytes(16).toString("base64"), "16 bytes"],
    ["too long", randomBytes(48).toString("base64"), "48 bytes"],
    ["not base64", "this is not a key!", "not base64"],
    ["hex", randomBytes(32).toString("hex"), "bytes, not 32"],
  ])("refuses a key that is %s, naming the variable and how to make one", async (_what, raw, detail) => {
    const err = await loadEncryptionKey(raw).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe("TOKEN_ENCRYPTION_KEY");
    expect((err as Error).message).toContain("TOKEN_ENCRYPTION_KEY");
    expect((err as Error).message).toContain(detail);
    expect((err as Error).message).toContain("openssl rand -base64 32");
  });
});

describe("sealDocument / openDocument", () => {
  it("round-trips a document and hides every token", async () => {
    const key = await loadEncryptionKey(newKey());
    const sealed = await sealDocument(key, doc, "codex-relay:tokens:default");
    expect(sealed.startsWith(SEALED_PREFIX)).toBe(true);
    expect(isSealed(sealed)).toBe(true);
    for (const secret of ["at.secret.value", "rt_secret", "id.x.y", "chatgpt"])
      expect(sealed).not.toContain(secret);
    expect(await openDocument(key, sealed, "codex-relay:tokens:default")).toEqual(doc);
  });

  it("seals the same document differently each time (random IV)", async () => {
    const key = await loadEncryptionKey(newKey());
    expect(await sealDocument(key, doc)).not.toBe(await sealDocument(key, doc));
  });

  it("without a key, writes and reads plain JSON", async () => {
    const text = await sealDocument(null, doc);
    expect(JSON.parse(text)).toEqual(doc);
    expect(await openDocument(null, text)).toEqual(doc);
  });

  it("reads a plain value with a key set (migration: the store seals it on its next write)", async () => {
    const key = await loadEncryptionKey(newKey());
    expect(await openDocument(key, JSON.stringify(doc))).toEqual(doc);
  });

  it("a wrong key is a TokenEncryptionError naming the variable", async () => {
    const sealed = await sealDocument(await loadEncryptionKey(newKey()), doc);
    const other = await loadEncryptionKey(newKey());
    const err = await openDocument(other, sealed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenEncryptionError);
    expect((err as TokenEncryptionError).reason).toBe("wrong_key");
    expect((err as Error).message).toContain("TOKEN_ENCRYPTION_KEY");
    expect((err as Error).message).toContain(other!.id);
  });

  it("a sealed value without a key is a TokenEncryptionError naming the variable", async () => {
    const sealed = await sealDocument(await loadEncryptionKey(newKey()), doc);
    const err = await openDocument(null, sealed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenEncryptionError);
    expect((err as TokenEncryptionError).reason).toBe("missing_key");
    expect((err as Error).message).toContain("TOKEN_ENCRYPTION_KEY is not set");
  });

  it("a value moved to another context, or damaged, does not open", async () => {
    const key = await loadEncryptionKey(newKey());
    const sealed = await sealDocument(key, doc, "codex-relay:tokens:a");
    await expect(openDocument(key, sealed, "codex-relay:tokens:b")).rejects.toBeInstanceOf(
      TokenEncryptionError,
    );
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
    await expect(openDocument(key, flipped, "codex-relay:tokens:a")).rejects.toBeInstanceOf(
      TokenEncryptionError,
    );
    await expect(openDocument(key, `${SEALED_PREFIX}garbage`)).rejects.toBeInstanceOf(TokenEncryptionError);
  });

  it("a plain value that is not JSON gives an error without its content", async () => {
    const err = await openDocument(null, "{rt_secret", "", "redis key x").catch((e: unknown) => e);
    expect((err as Error).message).toBe("redis key x is not valid JSON");
  });
});
