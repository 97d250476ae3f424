import { describe, expect, it } from "vitest";
import { toOpenAIFinishReason } from "./map-finish-reason.ts";

describe("toOpenAIFinishReason", () => {
  it("reports tool_calls when calls were made and the turn stopped", () => {
    expect(toOpenAIFinishReason("stop", false)).toBe("stop");
    expect(toOpenAIFinishReason("stop", true)).toBe("tool_calls");
    expect(toOpenAIFinishReason("length", true)).toBe("length");
    expect(toOpenAIFinishReason("content_filter", false)).toBe("content_filter");
    expect(toOpenAIFinishReason(null, false)).toBe("stop");
  });
});
