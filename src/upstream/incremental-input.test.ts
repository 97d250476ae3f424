import { describe, expect, it } from "vitest";
import type { ResponsesInputItem, ResponsesRequestBody } from "../responses/types.ts";
import { incrementalItems, sameJson, turnSettings, type ConnectionTurn } from "./incremental-input.ts";

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

describe("sameJson", () => {
  it("says whether two values serialise to the same JSON", () => {
    const values: unknown[] = [
      null,
      0,
      1,
      "a",
      "",
      true,
      false,
      [],
      {},
      [1, "a", null],
      [1, "a"],
      { a: 1 },
      { a: 1, b: undefined },
      { a: 2 },
      { b: 1 },
      { a: [1, { b: "x" }] },
      { a: [1, { b: "y" }] },
      { a: { b: { c: [true] } } },
      [undefined],
      [null],
      { 0: "a" },
      ["a"],
    ];
    for (const a of values) {
      for (const b of values) {
        expect(sameJson(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
          JSON.stringify(a) === JSON.stringify(b),
        );
      }
    }
  });

  it("ignores key order", () => {
    expect(sameJson({ a: 1, b: [2] }, { b: [2], a: 1 })).toBe(true);
  });

  it("compares copies of a long history (as a client re-sends it) without sharing objects", () => {
    const history = Array.from({ length: 200 }, (_, i) => user(`turn ${i} `.repeat(100)));
    expect(sameJson(history, structuredClone(history))).toBe(true);
    const edited = structuredClone(history);
    (edited[150]!.content as { text: string }[])[0]!.text += "!";
    expect(sameJson(history, edited)).toBe(false);
  });
});
