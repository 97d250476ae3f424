import { describe, expect, it } from "vitest";
import type { Logger, LogLevel } from "./logger.ts";
import { REDACTED, SecretScrubber, scrubbingLogger } from "./secret-scrubber.ts";

function recordingLogger(enabled?: (level: LogLevel) => boolean) {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at =
    (level: LogLevel) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  if (enabled) logger.isLevelEnabled = enabled;
  return { logger, lines };
}

describe("SecretScrubber", () => {
  it("removes known secrets, bearer values and JWTs, and leaves short text alone", () => {
    const s = new SecretScrubber();
    s.addToken("refresh-token-123456");
    expect(s.scrub("the issuer said refresh-token-123456 is bad")).toBe(`the issuer said ${REDACTED} is bad`);
    expect(s.scrub("Authorization: Bearer abcdefghijkl")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(s.scrub("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig")).toBe(REDACTED);
    expect(s.scrub("POST")).toBe("POST");
    expect(s.scrub("")).toBe("");
  });
});

describe("scrubbingLogger", () => {
  it("scrubs fields and messages of every line it writes", () => {
    const s = new SecretScrubber();
    s.addToken("access-token-abcdef");
    const { logger, lines } = recordingLogger();
    const log = scrubbingLogger(logger, s);
    log.warn(
      { err: "rejected access-token-abcdef", nested: { v: ["access-token-abcdef"] } },
      "token access-token-abcdef",
    );
    expect(lines).toEqual([
      {
        level: "warn",
        obj: { err: `rejected ${REDACTED}`, nested: { v: [REDACTED] } },
        msg: `token ${REDACTED}`,
      },
    ]);
  });

  it("drops the lines of levels the logger does not write, and says which it writes", () => {
    const { logger, lines } = recordingLogger((level) => level === "warn" || level === "error");
    const log = scrubbingLogger(logger, new SecretScrubber());
    log.info({ a: 1 }, "dropped");
    log.debug({ a: 1 });
    log.error({ a: 2 }, "kept");
    expect(lines.map((l) => l.msg)).toEqual(["kept"]);
    expect(log.isLevelEnabled?.("info")).toBe(false);
    expect(log.isLevelEnabled?.("warn")).toBe(true);
  });

  it("writes every line through a logger that cannot tell", () => {
    const { logger, lines } = recordingLogger();
    const log = scrubbingLogger(logger, new SecretScrubber());
    log.debug({ a: 1 }, "one");
    expect(lines).toHaveLength(1);
    expect(log.isLevelEnabled).toBeUndefined();
  });
});
