// Logs on Workers: one JSON object per line through console (Workers Logs and `wrangler tail` index the fields).
// Call sites never log secrets (see core/logger.ts), so there is no redaction pass here.

import type { Config } from "../config.ts";
import type { Logger } from "../core/logger.ts";

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

export function createConsoleLogger(level: Config["logLevel"]): Logger {
  const threshold = LEVELS[level];
  const emit =
    (name: "debug" | "info" | "warn" | "error", write: (line: string) => void) =>
    (obj: object, msg?: string) => {
      if (LEVELS[name] < threshold) return;
      write(JSON.stringify({ level: name, msg, ...obj }));
    };
  return {
    debug: emit("debug", (l) => console.debug(l)),
    info: emit("info", (l) => console.info(l)),
    warn: emit("warn", (l) => console.warn(l)),
    error: emit("error", (l) => console.error(l)),
  };
}
