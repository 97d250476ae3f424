// The logging surface the core uses. On Node it is pino; tests and Workers may pass anything with these methods.
// Call sites log structured fields, never tokens: see `fingerprint` for the most a log may show of a secret.

import { fnv1a32 } from "./hash.ts";

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** Whether lines of `level` are written at all (pino has it); wrappers skip their work for those that are not. */
  isLevelEnabled?(level: LogLevel): boolean;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A short, non-reversible tag for a secret: enough to tell two tokens apart in a log, useless to an attacker. */
export function fingerprint(secret: string | null | undefined): string | null {
  if (!secret) return null;
  // FNV-1a, 32 bit: sync and runtime-agnostic (no node:crypto in the core).
  return `…${fnv1a32(secret).toString(16).padStart(8, "0")}`;
}
