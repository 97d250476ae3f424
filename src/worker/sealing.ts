// TOKEN_ENCRYPTION_KEY on Workers: required whenever the relay keeps tokens itself (KV and Durable Object storage
// are Cloudflare's disks), and the sealer that binds each sealed value to its account's key name.

import { ConfigError } from "../config.ts";
import { tokenCacheKey, type DocumentSealer } from "../auth/durable-object-store.ts";
import {
  TOKEN_ENCRYPTION_KEY_VARIABLE,
  loadEncryptionKey,
  openDocument,
  sealDocument,
  type TokenEncryptionKey,
} from "../auth/token-encryption.ts";

export async function requireEncryptionKey(raw: string | undefined): Promise<TokenEncryptionKey> {
  const key = await loadEncryptionKey(raw);
  if (key === null) {
    throw new ConfigError(
      TOKEN_ENCRYPTION_KEY_VARIABLE,
      "is not set. On Workers the relay keeps the ChatGPT tokens in KV and Durable Object storage, sealed with " +
        "this key: make one with `openssl rand -base64 32`, store it with `wrangler secret put " +
        `${TOKEN_ENCRYPTION_KEY_VARIABLE}\` and keep a copy (tokens sealed with it cannot be read without it).`,
    );
  }
  return key;
}

export function sealerFor(key: TokenEncryptionKey, accountKey: string): DocumentSealer {
  const context = tokenCacheKey(accountKey);
  return {
    seal: (doc) => sealDocument(key, doc, context),
    open: (text) => openDocument(key, text, context, `the tokens stored for "${accountKey}"`),
  };
}
