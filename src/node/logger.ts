// pino on Node: JSON lines (ISO times) for machines, pino-pretty (colours, human times, one line per entry) for a
// terminal; LOG_FORMAT chooses, else a TTY gets pretty. Redaction is a second line of defence: call sites never log
// secrets in the first place.
//
// The output may break while the relay runs (a closed terminal, `npm start | head`, a supervisor that restarted and
// no longer reads the pipe). Logging must then never keep the process alive, block it, or stop it serving: writes
// never wait (a full pipe queues up to a bound, then drops lines), the first write error (EPIPE, …) silences the
// log for good, and nothing is flushed synchronously at exit — `flushLogs` waits a bounded time instead.

import { pino } from "pino";
import { prettyFactory } from "pino-pretty";
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

export type LogFormat = "pretty" | "json";

/** A write target for pino that never throws and never blocks. */
interface LogSink {
  write(line: string): void;
  flush(timeoutMs: number): Promise<void>;
}

/** Pending output beyond this is dropped (a reader that stopped reading must not grow the heap). */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

// process.stdout on a pipe or socket writes at once when it can and queues (asynchronously) when the pipe is full;
// it never keeps the event loop alive. A file or a terminal is written synchronously, which cannot stall for long.
function streamSink(stream: NodeJS.WritableStream & { writableLength?: number }): LogSink {
  let broken = false;
  stream.on("error", () => {
    broken = true; // EPIPE or anything else: the log is gone, the relay goes on
  });
  return {
    write(line) {
      if (broken || (stream.writableLength ?? 0) > MAX_PENDING_BYTES) return;
      try {
        stream.write(line);
      } catch {
        broken = true;
      }
    },
    flush(timeoutMs) {
      if (broken || !stream.writableLength) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stream.off("drain", done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        timer.unref();
        stream.on("drain", done);
      });
    },
  };
}

let processSink: LogSink | null = null;

/** Waits until the log output is written, at most `timeoutMs` (a broken or stalled output never holds the exit). */
export function flushLogs(timeoutMs = 500): Promise<void> {
  return processSink ? processSink.flush(timeoutMs) : Promise.resolve();
}

/** LOG_FORMAT, else pretty on a terminal and JSON otherwise. */
export function pickLogFormat(configured: LogFormat | null, isTty: boolean): LogFormat {
  return configured ?? (isTty ? "pretty" : "json");
}

export function createNodeLogger(
  config: Pick<Config, "logLevel"> & { logFormat?: LogFormat | null },
  destination?: NodeJS.WritableStream,
): Logger {
  const isTty = destination ? false : process.stdout.isTTY === true;
  const format = pickLogFormat(config.logFormat ?? null, isTty);
  let sink: LogSink;
  if (destination) sink = streamSink(destination);
  else sink = processSink ??= streamSink(process.stdout);
  const target =
    format === "pretty" ? prettyTarget(sink, isTty) : { write: (line: string) => sink.write(line) };
  return pino(
    {
      level: config.logLevel,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      // "info", not 30: the lines are read by people too.
      formatters: { level: (label: string) => ({ level: label }) },
    },
    target,
  );
}

function prettyTarget(sink: LogSink, colorize: boolean): { write(line: string): void } {
  const pretty = prettyFactory({
    colorize,
    translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l",
    ignore: "pid,hostname",
    singleLine: true,
  });
  return {
    write(line: string) {
      let out: string;
      try {
        out = pretty(line);
      } catch {
        out = line;
      }
      sink.write(out);
    },
  };
}
