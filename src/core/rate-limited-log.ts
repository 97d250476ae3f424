// Logs an event that a client can repeat at will (a wrong API key) without letting it flood the log: at most `burst`
// lines per `intervalMs`; the first line after a quiet stretch says how many were left out.

export interface LogLimiter {
  /** Calls `write(suppressed)` unless the budget of this interval is spent; `suppressed` counts the lines skipped. */
  (write: (suppressed: number) => void): void;
}

export function createLogLimiter(
  options: { burst?: number; intervalMs?: number; now?: () => number } = {},
): LogLimiter {
  const burst = options.burst ?? 10;
  const intervalMs = options.intervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  let windowStart = -Infinity;
  let written = 0;
  let suppressed = 0;
  return (write) => {
    const t = now();
    if (t - windowStart >= intervalMs) {
      windowStart = t;
      written = 0;
    }
    if (written >= burst) {
      suppressed++;
      return;
    }
    written++;
    const skipped = suppressed;
    suppressed = 0;
    write(skipped);
  };
}
