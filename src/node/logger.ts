// pino on Node. Redaction is a second line of defence: call sites never log secrets in the first place.

import { pino } from "pino";
import type { Config } from "../config.ts";
import type { Logger } from "../core/logger.ts";

export const REDACT_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "access_token",
  "refresh_token",
  "id_token",
  "*.access_token",
  "*.refresh_token",
  "*.id_token",
  "apiKey",
  "*.apiKey",
];

export function createNodeLogger(
  config: Pick<Config, "logLevel">,
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    level: config.logLevel,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
