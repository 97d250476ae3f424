// Tokens encrypted at rest (TOKEN_ENCRYPTION_KEY) for the stores the relay owns: Redis, Workers KV, Durable
// Object storage. AES-256-GCM through WebCrypto (globalThis.crypto.subtle), so the same code runs on Node 20+
// and on Workers. The Codex CLI's own auth.json is never sealed: the CLI must still read it.
//
// A sealed value is one string: `crs1.<iv>.<ciphertext+tag>` (base64url parts). The prefix names the format
// version, so a later format can be told apart and a plain JSON document (it starts with "{") is recognised too:
// a store that held plain tokens before a key was set is read once as it is and sealed on its next write.

import { ConfigError } from "../config.ts";
import { parseAuthJson } from "./document.ts";
import type { AuthDocument } from "./types.ts";

export const TOKEN_ENCRYPTION_KEY_VARIABLE = "TOKEN_ENCRYPTION_KEY";
/** Version prefix of a sealed value. */
export const SEALED_PREFIX = "crs1.";

const KEY_BYTES = 32;
const IV_BYTES = 12;

const HOW_TO_MAKE =
  "use 32 random bytes in base64, made with `openssl rand -base64 32` or " +
  "`node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`";

/** A key in the right format; holds the WebCrypto key, never the raw bytes. */
export interface TokenEncryptionKey {
  readonly cryptoKey: CryptoKey;
  /** A short, non-secret id of the key (first bytes of its SHA-256), for logs and /health. */
  readonly id: string;
}

/**
 * A sealed value cannot be opened: no key is set, or the key is not the one it was sealed with (or the value was
 * damaged). Callers must stop (start-up) or refuse (request) and never overwrite the stored value.
 */
export class TokenEncryptionError extends ConfigError {
  constructor(
    message: string,
    readonly reason: "missing_key" | "wrong_key",
  ) {
    super(TOKEN_ENCRYPTION_KEY_VARIABLE, message);
    this.name = "TokenEncryptionError";
  }
}

/**
 * TOKEN_ENCRYPTION_KEY as a key, or null when unset/empty. Accepts standard and url-safe base64, padded or not.
 * Anything that does not decode to exactly 32 bytes is a ConfigError naming the variable.
 */
export async function loadEncryptionKey(raw: string | null | undefined): Promise<TokenEncryptionKey | null> {
  const text = raw?.trim() ?? "";
  if (text === "") return null;
  const bytes = decodeBase64(text);
  if (bytes === null || bytes.length !== KEY_BYTES) {
    const got = bytes === null ? "is not base64" : `decodes to ${bytes.length} bytes, not ${KEY_BYTES}`;
    throw new ConfigError(TOKEN_ENCRYPTION_KEY_VARIABLE, `${got}; ${HOW_TO_MAKE}`);
  }
  const subtle = globalThis.crypto.subtle;
  const cryptoKey = await subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  const digest = new Uint8Array(await subtle.digest("SHA-256", bytes));
  return { cryptoKey, id: toHex(digest.subarray(0, 4)) };
}

/** Whether a stored string is a sealed value (of any key). */
export function isSealed(text: string): boolean {
  return text.startsWith(SEALED_PREFIX);
}

/**
 * Seals a string. `context` (e.g. the storage key) is bound as additional data: a sealed value copied to another
 * key does not open there.
 */
export async function sealText(key: TokenEncryptionKey, plain: string, context = ""): Promise<string> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await globalThis.crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(context) },
    key.cryptoKey,
    utf8(plain),
  );
  return `${SEALED_PREFIX}${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/** Opens what sealText made; throws TokenEncryptionError when the key (or context) does not match. */
export async function openText(key: TokenEncryptionKey | null, text: string, context = ""): Promise<string> {
  if (!isSealed(text)) throw new TypeError("not a sealed value");
  if (key === null) {
    throw new TokenEncryptionError(
      "the stored tokens are encrypted but TOKEN_ENCRYPTION_KEY is not set; set it to the key they were sealed with",
      "missing_key",
    );
  }
  const [ivPart, dataPart, extra] = text.slice(SEALED_PREFIX.length).split(".");
  const iv = ivPart === undefined ? null : decodeBase64(ivPart);
  const data = dataPart === undefined ? null : decodeBase64(dataPart);
  const wrong = () =>
    new TokenEncryptionError(
      `the stored tokens cannot be decrypted with this TOKEN_ENCRYPTION_KEY (key id ${key.id}): it is not the key ` +
        "they were sealed with, or the stored value is damaged. Set the original key; the stored value was left as it is",
      "wrong_key",
    );
  if (iv === null || iv.length !== IV_BYTES || data === null || extra !== undefined) throw wrong();
  try {
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: utf8(context) },
      key.cryptoKey,
      data,
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw wrong();
  }
}

/** An AuthDocument as the string a store keeps: sealed when a key is set, plain JSON otherwise. */
export async function sealDocument(
  key: TokenEncryptionKey | null,
  doc: AuthDocument,
  context = "",
): Promise<string> {
  const json = JSON.stringify(doc);
  return key === null ? json : sealText(key, json, context);
}

/**
 * The document a store's string holds. Sealed: opened with `key` (TokenEncryptionError when missing or wrong).
 * Plain JSON: accepted as it is, also with a key set (the store seals it on its next write). Null when the value
 * holds no ChatGPT tokens. `what` names the value in a parse error (never its content).
 */
export async function openDocument(
  key: TokenEncryptionKey | null,
  text: string,
  context = "",
  what = "the stored tokens",
): Promise<AuthDocument | null> {
  const json = isSealed(text) ? await openText(key, text, context) : text;
  return parseAuthJson(json, what);
}

function utf8(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Standard or url-safe base64, padding optional; null when it is not base64. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std) || std.replace(/=+$/, "").length % 4 === 1) return null;
  const padded = std.replace(/=+$/, "").padEnd(Math.ceil(std.replace(/=+$/, "").length / 4) * 4, "=");
  let bin: string;
  try {
    bin = atob(padded);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
