// Results of the Durable Object's RPC methods. Workers RPC keeps only an error's message across the call, so the
// Durable Object sends a RelayError as data and the isolate rebuilds it: the caller still gets the status, code
// and headers (Retry-After) the token lifecycle chose.

import { ConfigError } from "../config.ts";
import { RelayError, type ErrorType } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

export interface WireError {
  status: number;
  message: string;
  type: ErrorType;
  code: string | null;
  param: string | null;
  headers: Record<string, string>;
}

export type Wire<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** A configuration error (a bad variable) as the 500 every request gets until it is fixed. */
export function configurationError(err: ConfigError): RelayError {
  return new RelayError(500, `codex-relay is not configured correctly: ${err.message}`, {
    code: "invalid_configuration",
  });
}

export async function toWire<T>(logger: Logger, run: () => Promise<T>): Promise<Wire<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    let e: RelayError;
    if (err instanceof RelayError) e = err;
    else if (err instanceof ConfigError) e = configurationError(err);
    else {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, "token refresher failed");
      e = new RelayError(500, "The token refresher hit an internal error; see the Worker's log.", {
        code: "internal_error",
        type: "server_error",
      });
    }
    const { status, message, type, code, param, headers } = e;
    return { ok: false, error: { status, message, type, code, param, headers } };
  }
}

export function fromWire<T>(wire: Wire<T>): T {
  if (wire.ok) return wire.value;
  const { status, message, ...rest } = wire.error;
  throw new RelayError(status, message, rest);
}
