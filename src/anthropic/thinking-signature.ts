// Thinking-block signatures. A thinking block's `signature` carries the backend's encrypted reasoning
// (`encrypted_content`) so that Claude Code can send it back on the next turn, the only way to replay reasoning with
// store:false. Clients send back any signature they hold (Anthropic's own, another gateway's, "" when they got
// none); forwarding one the backend did not make fails the whole request, so only signatures this relay made are
// turned back into reasoning items and every other one is dropped.
//
//   signature = "crs1." + base64url(HMAC-SHA256(key, encrypted_content)[0..16]) + "." + encrypted_content
//
// The key is ANTHROPIC_SIGNING_KEY, else derived from OPENAI_API_KEY (the client key every instance of a
// deployment shares, so a signature made by one instance verifies on the others), else random per process (then a
// restart only costs the replay of earlier reasoning). HMAC is synchronous (fast-sha256), so the stream translator
// signs inline on every runtime.

import { hmac } from "fast-sha256";

export const SIGNATURE_PREFIX = "crs1.";
/** Bytes of the MAC kept: 128 bits. */
const MAC_BYTES = 16;
const encoder = new TextEncoder();

export interface ThinkingSigner {
  /** The signature for an encrypted reasoning item. */
  sign(encryptedContent: string): string;
  /** The encrypted content inside a signature this relay made, or null for any other signature. */
  open(signature: unknown): string | null;
}

/** The signing key: from a configured secret (or the client key), else random for this process. */
export function signingKey(secret: string | null): Uint8Array {
  if (secret !== null && secret !== "")
    return encoder.encode(`codex-relay thinking signature\u0000${secret}`);
  return crypto.getRandomValues(new Uint8Array(32));
}

export function createThinkingSigner(key: Uint8Array): ThinkingSigner {
  const mac = (text: string) => base64url(hmac(key, encoder.encode(text)).subarray(0, MAC_BYTES));
  return {
    sign(encryptedContent) {
      return `${SIGNATURE_PREFIX}${mac(encryptedContent)}.${encryptedContent}`;
    },
    open(signature) {
      if (typeof signature !== "string" || !signature.startsWith(SIGNATURE_PREFIX)) return null;
      const dot = signature.indexOf(".", SIGNATURE_PREFIX.length);
      if (dot < 0) return null;
      const encrypted = signature.slice(dot + 1);
      if (encrypted === "") return null;
      return constantTimeEqual(signature.slice(SIGNATURE_PREFIX.length, dot), mac(encrypted))
        ? encrypted
        : null;
    },
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
