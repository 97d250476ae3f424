import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import {
  DROPPED_FIELDS,
  ENCRYPTED_REASONING,
  beginsWithDeveloper,
  deriveSessionKey,
  parseResponsesRequest,
  toUpstreamBody,
  type UpstreamBodyContext,
} from "./request-body.ts";
import type { ResponsesInputItem } from "./types.ts";

const ctx = (extra: Partial<UpstreamBodyContext> = {}): UpstreamBodyContext => ({
  model: "gpt-5.5",
  defaults: { effort: "medium", summary: "auto" },
  instructions: "BASE",
  instructionsMode: "developer",
  promptCacheKey: "derived-key",
  ...extra,
});

function error(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error("expected a RelayError");
}

const codexCliBody = {
  model: "gpt-5.5",
  stream: true,
  input: [
    {
      type: "message",
      id: "msg_1",
      role: "developer",
      content: [{ type: "input_text", text: "You are Codex…" }],
    },
    { type: "message", id: "msg_2", role: "developer", content: [{ type: "input_text", text: "skills" }] },
    {
      type: "message",
      id: "msg_3",
      role: "user",
      content: [{ type: "input_text", text: "<environment_context/>" }],
    },
    { type: "message", id: "msg_4", role: "user", content: [{ type: "input_text", text: "fix the bug" }] },
  ],
  tools: [
    {
      type: "function",
      name: "exec_command",
      description: "run",
      strict: false,
      parameters: { type: "object", properties: {} },
    },
    {
      type: "custom",
      name: "apply_patch",
      description: "patch",
      format: { type: "grammar", syntax: "lark", definition: "start: x" },
    },
    { type: "web_search" },
  ],
  tool_choice: "auto",
  parallel_tool_calls: true,
  reasoning: { effort: "medium" },
  store: false,
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "0198-thread",
  text: { verbosity: "low" },
  client_metadata: { "x-codex-installation-id": "inst-1", turn_id: "t1" },
};

describe("parseResponsesRequest", () => {
  it("requires a JSON object with a model", () => {
    expect(error(() => parseResponsesRequest([])).param).toBe(null);
    expect(error(() => parseResponsesRequest({ input: "hi" })).param).toBe("model");
    expect(error(() => parseResponsesRequest({ model: 5, input: "hi" })).message).toContain("'model'");
  });

  it("turns a string input into one user message", () => {
    const req = parseResponsesRequest({ model: "m", input: "hello" });
    expect(req.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] },
    ]);
    expect(req.stream).toBe(false);
  });

  it("requires input unless a previous response is named", () => {
    expect(error(() => parseResponsesRequest({ model: "m" })).param).toBe("input");
    expect(parseResponsesRequest({ model: "m", previous_response_id: "resp_1" }).input).toEqual([]);
  });

  it("names bad fields", () => {
    expect(error(() => parseResponsesRequest({ model: "m", input: 3 })).param).toBe("input");
    expect(error(() => parseResponsesRequest({ model: "m", input: ["x"] })).param).toBe("input[0]");
    expect(error(() => parseResponsesRequest({ model: "m", input: [{ content: "x" }] })).param).toBe(
      "input[0]",
    );
    expect(error(() => parseResponsesRequest({ model: "m", input: "x", stream: "yes" })).param).toBe(
      "stream",
    );
    expect(error(() => parseResponsesRequest({ model: "m", input: "x", tools: {} })).param).toBe("tools");
    const tools = (t: unknown[]) =>
      error(() => parseResponsesRequest({ model: "m", input: "x", tools: t })).param;
    expect(tools(["web_search"])).toBe("tools[0]");
    expect(tools([{ type: "web_search" }, { name: "f" }])).toBe("tools[1].type");
    expect(tools([{ type: "function", parameters: {} }])).toBe("tools[0].name");
    expect(tools([{ type: "web_search" }, { type: "custom", name: "" }])).toBe("tools[1].name");
    expect(
      error(() => parseResponsesRequest({ model: "m", input: "x", previous_response_id: 7 })).param,
    ).toBe("previous_response_id");
    expect(error(() => parseResponsesRequest({ model: "m", input: "x", conversation: "conv_1" })).param).toBe(
      "conversation",
    );
  });

  it("gives role-only items a type and string content a text part, copying only those", () => {
    const items = [
      { type: "message", role: "user", content: [{ type: "input_text", text: "a" }] },
      { role: "system", content: "sys" },
      { role: "assistant", content: "said" },
      { type: "function_call_output", call_id: "c1", output: "42" },
    ];
    const req = parseResponsesRequest({ model: "m", input: items });
    expect(req.input[0]).toBe(items[0]);
    expect(req.input[1]).toEqual({
      type: "message",
      role: "system",
      content: [{ type: "input_text", text: "sys" }],
    });
    expect(req.input[2]).toEqual({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "said" }],
    });
    expect(req.input[3]).toBe(items[3]);
  });

  it("does not copy an input that needs no change", () => {
    const input = [{ type: "message", role: "user", content: [{ type: "input_text", text: "a" }] }];
    expect(parseResponsesRequest({ model: "m", input }).input).toBe(input);
  });
});

describe("toUpstreamBody", () => {
  it("passes a Codex CLI body through untouched (ids, client_metadata, text, custom tools, key order)", () => {
    const req = parseResponsesRequest(structuredClone(codexCliBody));
    const body = toUpstreamBody(req, ctx());
    expect(body).toEqual(codexCliBody);
    expect(Object.keys(body)).toEqual(Object.keys(codexCliBody));
  });

  it("forces store:false and stream:true and drops what the backend rejects", () => {
    const raw: Record<string, unknown> = {
      model: "m",
      input: "hi",
      store: true,
      stream: false,
      service_tier: "auto",
    };
    // top_logprobs: 0 asks for nothing (above 0 is a 400, core/logprobs.ts) and is dropped like the others.
    for (const f of DROPPED_FIELDS)
      raw[f] = f === "previous_response_id" ? "resp_x" : f === "top_logprobs" ? 0 : 1;
    const body = toUpstreamBody(parseResponsesRequest(raw), ctx());
    expect(body.store).toBe(false);
    expect(body.stream).toBe(true);
    for (const f of DROPPED_FIELDS) expect(body).not.toHaveProperty(f);
    expect(body).not.toHaveProperty("service_tier");
  });

  it("keeps service_tier priority and flex", () => {
    expect(
      toUpstreamBody(parseResponsesRequest({ model: "m", input: "x", service_tier: "priority" }), ctx())
        .service_tier,
    ).toBe("priority");
    expect(
      toUpstreamBody(parseResponsesRequest({ model: "m", input: "x", service_tier: "flex" }), ctx())
        .service_tier,
    ).toBe("flex");
  });

  it("uses the resolved model", () => {
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "gpt-5.5-high", input: "x" }),
      ctx({ model: "gpt-5.5", effort: "high" }),
    );
    expect(body.model).toBe("gpt-5.5");
    expect(body.reasoning).toEqual({ effort: "high", summary: "auto" });
  });

  it("adds the base instructions as a leading developer message when the client has none", () => {
    const body = toUpstreamBody(parseResponsesRequest({ model: "m", input: "hi" }), ctx());
    expect(body.input[0]).toEqual({
      type: "message",
      role: "developer",
      content: [{ type: "input_text", text: "BASE" }],
    });
    expect(body.input).toHaveLength(2);
    expect(body).not.toHaveProperty("instructions");
  });

  it("or as the instructions field in that mode", () => {
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi" }),
      ctx({ instructionsMode: "instructions" }),
    );
    expect(body.instructions).toBe("BASE");
    expect(body.input).toHaveLength(1);
  });

  it("keeps the client's instructions and adds none of ours", () => {
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi", instructions: "Be terse." }),
      ctx(),
    );
    expect(body.instructions).toBe("Be terse.");
    expect(body.input).toHaveLength(1);
  });

  it("adds nothing when the input begins with a developer message", () => {
    const input = [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "mine" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
    ];
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input }),
      ctx({ instructionsMode: "instructions" }),
    );
    expect(body.input).toEqual(input);
    expect(body).not.toHaveProperty("instructions");
  });

  it("fills reasoning defaults and asks for encrypted reasoning", () => {
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi", include: ["web_search_call.results"] }),
      ctx(),
    );
    expect(body.reasoning).toEqual({ effort: "medium", summary: "auto" });
    expect(body.include).toEqual(["web_search_call.results", ENCRYPTED_REASONING]);
  });

  it("leaves the summary out when REASONING_SUMMARY is none", () => {
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi" }),
      ctx({ defaults: { effort: "low", summary: "none" } }),
    );
    expect(body.reasoning).toEqual({ effort: "low" });
  });

  it("keeps the client's reasoning object, filling only a missing effort from the model suffix", () => {
    const a = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi", reasoning: { summary: "detailed" } }),
      ctx({ effort: "xhigh" }),
    );
    expect(a.reasoning).toEqual({ summary: "detailed", effort: "xhigh" });
    const b = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi", reasoning: { effort: "low" } }),
      ctx({ effort: "xhigh" }),
    );
    expect(b.reasoning).toEqual({ effort: "low" });
  });

  it("effort none: no encrypted content requested", () => {
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi", reasoning: { effort: "none" } }),
      ctx(),
    );
    expect(body.include).toBeUndefined();
  });

  it("reasoning:null turns reasoning off", () => {
    const body = toUpstreamBody(parseResponsesRequest({ model: "m", input: "hi", reasoning: null }), ctx());
    expect(body).not.toHaveProperty("reasoning");
    expect(body.include).toBeUndefined();
  });

  it("sets prompt_cache_key only when the client sent none", () => {
    expect(toUpstreamBody(parseResponsesRequest({ model: "m", input: "hi" }), ctx()).prompt_cache_key).toBe(
      "derived-key",
    );
    expect(
      toUpstreamBody(parseResponsesRequest({ model: "m", input: "hi", prompt_cache_key: "k" }), ctx())
        .prompt_cache_key,
    ).toBe("k");
  });

  it("prepends the replayed history, so our base message is not added twice", () => {
    const history: ResponsesInputItem[] = [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "BASE" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "one" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "1" }] },
    ];
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "two", previous_response_id: "resp_1" }),
      ctx({ history }),
    );
    expect(body.input.map((i) => (i.content as { text: string }[])[0]?.text)).toEqual([
      "BASE",
      "one",
      "1",
      "two",
    ]);
    expect(body).not.toHaveProperty("previous_response_id");
  });

  it("drops null-valued fields the backend wants absent", () => {
    const body = toUpstreamBody(
      parseResponsesRequest({ model: "m", input: "hi", instructions: null, text: null, tools: null }),
      ctx(),
    );
    expect(body).not.toHaveProperty("text");
    expect(body).not.toHaveProperty("tools");
    expect(body.input[0]?.role).toBe("developer");
  });
});

describe("beginsWithDeveloper / deriveSessionKey", () => {
  it("detects a leading developer or system message", () => {
    expect(beginsWithDeveloper([])).toBe(false);
    expect(beginsWithDeveloper([{ type: "message", role: "system", content: [] }])).toBe(true);
    expect(beginsWithDeveloper([{ type: "function_call_output", call_id: "c", output: "" }])).toBe(false);
  });

  it("is stable as the conversation grows and differs between conversations", () => {
    const hash = (s: string) => s;
    const first: ResponsesInputItem[] = [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "sys" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] },
    ];
    const later = [
      ...first,
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "hi" }] },
      first[1]!,
    ];
    expect(deriveSessionKey("m", later, hash)).toBe(deriveSessionKey("m", first, hash));
    expect(deriveSessionKey("m", first, hash)).not.toBe(deriveSessionKey("m", [first[0]!], hash));
  });
});
