// A sign-in that could not be completed: the message says what happened and what to do, never a token or code.

export class LoginError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "LoginError";
    this.code = code;
  }
}

/** The error's errno code (ECONNREFUSED, …) or name; fetch implementations may put URLs in the message. */
export function networkReason(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === "string") return cause.code;
    if (err.name === "TimeoutError") return "timed out";
    return err.name;
  }
  return "unknown error";
}

export function issuerUnreachable(issuer: string, err: unknown): LoginError {
  return new LoginError(
    "issuer_unreachable",
    `Could not reach the sign-in server ${issuer} (${networkReason(err)}). Check the network connection ` +
      "(and CHATGPT_OAUTH_ISSUER if you set it), then run the login again.",
  );
}
