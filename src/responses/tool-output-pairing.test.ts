import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import { checkToolOutputs } from "./tool-output-pairing.ts";
import type { ResponsesInputItem } from "./types.ts";

const call = (id: string, type = "function_call"): ResponsesInputItem => ({ type, call_id: id, name: "f" });
const output = (id: unknown, type = "function_call_output"): ResponsesInputItem => ({
  type,
  call_id: id,
  output: "",
});
const user: ResponsesInputItem = { type: "message", role: "user", content: [] };

function paramOf(fn: () => void): string | null {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError && err.status === 400) return err.param;
    throw err;
  }
  throw new Error("expected a 400");
}

describe("checkToolOutputs", () => {
  it("accepts outputs whose call comes before them, in the input or the replayed history", () => {
    expect(() =>
      checkToolOutputs(
        [user, call("a"), output("a"), call("b", "custom_tool_call"), output("b", "custom_tool_call_output")],
        undefined,
      ),
    ).not.toThrow();
    expect(() => checkToolOutputs([output("h")], [user, call("h")])).not.toThrow();
    // Other calls that carry a call_id count (local shell, tool search…).
    expect(() => checkToolOutputs([call("s", "local_shell_call"), output("s")], undefined)).not.toThrow();
  });

  it("names the first output without its call, and outputs or calls without a call_id", () => {
    expect(paramOf(() => checkToolOutputs([user, call("a"), output("a"), output("x")], [call("h")]))).toBe(
      "input[3].call_id",
    );
    expect(paramOf(() => checkToolOutputs([output("a"), call("a")], undefined))).toBe("input[0].call_id");
    // An output is not a call: answering an answer does not pair.
    expect(paramOf(() => checkToolOutputs([output("a")], [output("a")]))).toBe("input[0].call_id");
    expect(paramOf(() => checkToolOutputs([output(undefined)], undefined))).toBe("input[0].call_id");
    expect(paramOf(() => checkToolOutputs([user, { type: "function_call", name: "f" }], undefined))).toBe(
      "input[1].call_id",
    );
  });
});
