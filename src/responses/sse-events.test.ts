import { describe, expect, it } from "vitest";
import { formatSseEvent, isCodexClient, isCodexOnlyEvent } from "./sse-events.ts";

describe("sse-events", () => {
  it("frames an event with its type", () => {
    expect(formatSseEvent({ type: "response.output_text.delta", delta: "a\nb" })).toBe(
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"a\\nb"}\n\n',
    );
  });

  it("knows the Codex-only events and clients", () => {
    expect(isCodexOnlyEvent("response.metadata")).toBe(true);
    expect(isCodexOnlyEvent("codex.rate_limits")).toBe(true);
    expect(isCodexOnlyEvent("response.completed")).toBe(false);
    expect(isCodexClient((n) => (n === "originator" ? "codex_exec" : undefined))).toBe(true);
    expect(isCodexClient(() => undefined)).toBe(false);
  });
});
