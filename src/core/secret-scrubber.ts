// Removes secrets from text that came from the other side before the relay forwards or logs it. The issuer may put
// the refresh token it was given into its error, the backend may echo the bearer token in a 4xx body: that text
// goes into the client's error message and the log. One scrubber per relay knows every secret in play (the tokens
// the TokenManager has seen, the client key) and also blanks anything shaped like a bearer value or a JWT. It is
// applied at the boundaries only: the upstream-error mapping, the OAuth client's errors and the logger.

import type { Logger, LogLevel } from "./logger.ts";

export const REDACTED = "[redacted]";

/** Secrets shorter than this are not searched for (they would match ordinary words). */
const MIN_SECRET = 8;
/** Token secrets kept (the newest); the permanent ones (the client key) are never dropped. */
const MAX_TOKENS = 64;

const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?/g;

export class SecretScrubber {
  private readonly permanent = new Set<string>();
  private readonly tokens = new Set<string>();

  /** A secret to remove for the life of the relay (the client key). */
  addPermanent(secret: string | null | undefined): void {
    for (const s of pieces(secret)) this.permanent.add(s);
  }

  /** A token the relay holds (access, refresh, id); the oldest are forgotten past a bound. */
  addToken(secret: string | null | undefined): void {
    for (const s of pieces(secret)) {
      if (this.tokens.has(s)) continue;
      this.tokens.add(s);
      if (this.tokens.size > MAX_TOKENS) this.tokens.delete(this.tokens.values().next().value as string);
    }
  }

  scrub(text: string): string {
    // Nothing this short holds a secret or a bearer value or a JWT (the patterns need 8 characters or more).
    if (text.length < MIN_SECRET) return text;
    let out = text;
    for (const s of this.permanent) if (out.includes(s)) out = out.replaceAll(s, REDACTED);
    for (const s of this.tokens) if (out.includes(s)) out = out.replaceAll(s, REDACTED);
    return out.replace(BEARER, `$1${REDACTED}`).replace(JWT, REDACTED);
  }
}

/** The secret, and the long parts of a JWT (a payload may be echoed alone). */
function pieces(secret: string | null | undefined): string[] {
  if (!secret || secret.length < MIN_SECRET) return [];
  const out = [secret];
  if (secret.includes(".")) for (const part of secret.split(".")) if (part.length > 20) out.push(part);
  return out;
}

/** Scrubs one value deeply: strings are scrubbed, objects and arrays copied only when something changed. */
export function scrubValue(value: unknown, scrubber: SecretScrubber, depth = 0): unknown {
  if (typeof value === "string") return scrubber.scrub(value);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (value instanceof Error) return scrubber.scrub(value.message);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const s = scrubValue(v, scrubber, depth + 1);
      if (s !== v) changed = true;
      return s;
    });
    return changed ? out : value;
  }
  let copy: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(value)) {
    const s = scrubValue(v, scrubber, depth + 1);
    if (s !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = s;
  }
  return copy ?? value;
}

/** A logger whose every field and message goes through the scrubber first (the log serializer boundary). */
export function scrubbingLogger(inner: Logger, scrubber: SecretScrubber): Logger {
  const enabled = inner.isLevelEnabled?.bind(inner);
  const wrap =
    (level: LogLevel) =>
    (obj: object, msg?: string): void => {
      // A line the logger drops is not scrubbed first (the per-request info line, at LOG_LEVEL=warn).
      if (enabled && !enabled(level)) return;
      const clean = scrubValue(obj, scrubber) as object;
      if (msg === undefined) inner[level](clean);
      else inner[level](clean, scrubber.scrub(msg));
    };
  return {
    debug: wrap("debug"),
    info: wrap("info"),
    warn: wrap("warn"),
    error: wrap("error"),
    ...(enabled ? { isLevelEnabled: enabled } : {}),
  };
}
