// The runtime-agnostic part of the token lifecycle. Node adapters import ./file-store.ts and ./node-store.ts
// directly (they use node:fs).

export { decodeJwtClaims } from "./jwt.ts";
export type { TokenClaims } from "./jwt.ts";
export { PERMANENT_REFRESH_CODES, RefreshError, refreshTokens } from "./oauth-client.ts";
export type { RefreshOptions, RefreshReply } from "./oauth-client.ts";
export { createMemoryStore } from "./memory-store.ts";
export type { MemoryStore } from "./memory-store.ts";
export {
  createTokenManager,
  REFRESH_INTERVAL_MS,
  REFRESH_WINDOW_MS,
  TRANSIENT_BACKOFF_MS,
} from "./token-manager.ts";
export type { TokenManager, TokenManagerOptions } from "./token-manager.ts";
export { accountIdOf, parseAuthJson, toAuthDocument } from "./document.ts";
export type {
  AuthDocument,
  CodexTokens,
  Credentials,
  TokenSourceKind,
  TokenStatus,
  TokenStore,
} from "./types.ts";
