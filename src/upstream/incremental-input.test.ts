import { describe, expect, it } from "vitest";
import type { ResponsesInputItem, ResponsesRequestBody } from "../responses/types.ts";
import { incrementalItems, turnSettings, type ConnectionTurn } from "./incremental-input.ts";

const user = (text: string): ResponsesInputItem => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});
const body = (input: ResponsesInputItem[], extra: Record<string, unknown> = {}): ResponsesRequestBody => ({
  model: "gpt-5.5",
  input,
  store: false,
  stream: true,
  ...extra,
});
const reasoning: ResponsesInputItem = {
  type: "reasoning",
  id: "rs_1",
  summary: [],
  encrypted_content: "enc",
};
const call: ResponsesInputItem = {
  type: "function_call",
  id: "fc_1",
  call_id: "call_1",
  name: "read",
  arguments: '{"p":1}',
};
const answer: ResponsesInputItem = {
  type: "message",
  id: "msg_1",
  role: "assistant",
  content: [{ type: "output_text", text: "Reading." }],
};

function previous(input: ResponsesInputItem[], output: ResponsesInputItem[], extra = {}): ConnectionTurn {
  return { settings: turnSettings(body(input, extra)), input, output, responseId: "resp_1" };
}

describe("incrementalItems", () => {
  const first = [user("hi")];
  const prev = previous(first, [reasoning, answer, call]);
  const output = { type: "function_call_output", call_id: "call_1", output: "data" };

  it("returns only the new items when the history continues the last turn as the client renders it", () => {
    // A chat client re-sends the answer and the call without ids, and without the reasoning item.
    const next = [
      user("hi"),
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Reading." }] },
      { type: "function_call", call_id: "call_1", name: "read", arguments: '{"p":1}' },
      output,
    ];
    expect(incrementalItems(prev, body(next))).toEqual([output]);
  });

  it("accepts the backend's own items sent back (the Codex CLI's way)", () => {
    expect(incrementalItems(prev, body([user("hi"), reasoning, answer, call, output]))).toEqual([output]);
  });

  it("returns null for an edited history, a changed setting, a missing call, or nothing new", () => {
    expect(incrementalItems(prev, body([user("HI"), answer, call, output]))).toBeNull();
    expect(incrementalItems(prev, body([user("hi"), answer, call, output], { tools: [] }))).toBeNull();
    expect(incrementalItems(prev, body([user("hi"), answer, output]))).toBeNull();
    expect(incrementalItems(prev, body([user("hi"), answer, call]))).toBeNull();
    const changedArgs = { ...call, arguments: '{"p":2}' };
    expect(incrementalItems(prev, body([user("hi"), answer, changedArgs, output]))).toBeNull();
  });

  it("ignores item ids in the earlier input (replayed items lose them)", () => {
    const withId = previous([{ ...user("hi"), id: "msg_1" }], [answer, call]);
    expect(incrementalItems(withId, body([user("hi"), answer, call, output]))).toEqual([output]);
  });

  it("ignores per-turn fields (client_metadata) when comparing settings", () => {
    const next = body([user("hi"), answer, call, output], { client_metadata: { turn: "2" } });
    expect(incrementalItems(prev, next)).toEqual([output]);
  });
});
