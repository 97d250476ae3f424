// Errors a token store throws that the token manager turns into a fitting HTTP answer.

/**
 * The store cannot be reached now (Redis down, slow or restarting). Requests that need the store get a 503 that
 * says so; nothing is written, and the store is tried again on the next request.
 */
export class TokenStoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenStoreUnavailableError";
  }
}
