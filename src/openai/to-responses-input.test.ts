import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import { parseChatRequest } from "./chat-request-schema.ts";
import { normalizeImageUrl, stripThinking, toResponsesInput } from "./to-responses-input.ts";

const convert = (messages: unknown[]) =>
  toResponsesInput(parseChatRequest({ model: "m", messages }).messages);

/** An assistant turn that calls tool `f` with `id`, and the function_call item it becomes. */
const calling = (id: string) => ({
  role: "assistant",
  content: null,
  tool_calls: [{ id, type: "function", function: { name: "f", arguments: "{}" } }],
});
const callItem = (id: string) => ({ type: "function_call", call_id: id, name: "f", arguments: "{}" });

function thrown(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error("expected a throw");
}

describe("toResponsesInput", () => {
  it("turns every system and developer message into a developer message, in place", () => {
    expect(
      convert([
        { role: "system", content: "S1" },
        { role: "user", content: "U1" },
        { role: "developer", content: [{ type: "text", text: "D1" }] },
        { role: "system", content: "S2" },
      ]),
    ).toEqual([
      { type: "message", role: "developer", content: [{ type: "input_text", text: "S1" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "U1" }] },
      { type: "message", role: "developer", content: [{ type: "input_text", text: "D1" }] },
      { type: "message", role: "developer", content: [{ type: "input_text", text: "S2" }] },
    ]);
  });

  it("converts user text and image parts", () => {
    expect(
      convert([
        {
          role: "user",
          content: [
            { type: "text", text: "Look:" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
            { type: "image_url", image_url: "data:image/PNG;base64,iVBORw0KGgo" },
          ],
        },
      ]),
    ).toEqual([
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "Look:" },
          { type: "input_image", image_url: "https://example.com/cat.png", detail: "low" },
          { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" },
        ],
      },
    ]);
  });

  it("converts assistant text and tool calls, then tool results", () => {
    expect(
      convert([
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
            { id: "call_2", type: "function", function: { name: "time", arguments: { zone: "CET" } } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "Rain" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "12:00" }] },
        { role: "assistant", content: "Rain at noon." },
      ]),
    ).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather?" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking." }] },
      { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' },
      { type: "function_call", call_id: "call_2", name: "time", arguments: '{"zone":"CET"}' },
      { type: "function_call_output", call_id: "call_1", output: "Rain" },
      { type: "function_call_output", call_id: "call_2", output: "12:00" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Rain at noon." }] },
    ]);
  });

  it("keeps tool results with images as content lists", () => {
    const items = convert([
      calling("c"),
      {
        role: "tool",
        tool_call_id: "c",
        content: [
          { type: "text", text: "screenshot:" },
          { type: "image_url", image_url: { url: "https://example.com/s.png" } },
        ],
      },
    ]);
    expect(items).toEqual([
      callItem("c"),
      {
        type: "function_call_output",
        call_id: "c",
        output: [
          { type: "input_text", text: "screenshot:" },
          { type: "input_image", image_url: "https://example.com/s.png" },
        ],
      },
    ]);
  });

  it("pairs legacy function calls and results", () => {
    const items = convert([
      { role: "assistant", content: null, function_call: { name: "lookup", arguments: "{}" } },
      { role: "function", name: "lookup", content: "found" },
    ]);
    expect(items).toEqual([
      { type: "function_call", call_id: "call_legacy_0", name: "lookup", arguments: "{}" },
      { type: "function_call_output", call_id: "call_legacy_0", output: "found" },
    ]);
  });

  it("skips empty messages but keeps empty tool results", () => {
    expect(
      convert([
        { role: "system", content: "" },
        { role: "user", content: "" },
        { role: "assistant", content: "" },
        calling("c"),
        { role: "tool", tool_call_id: "c", content: "" },
      ]),
    ).toEqual([callItem("c"), { type: "function_call_output", call_id: "c", output: "" }]);
  });

  it("rejects a tool message whose call is not earlier in the history, naming its tool_call_id", () => {
    const err = thrown(() =>
      convert([
        { role: "user", content: "Weather?" },
        calling("call_1"),
        { role: "tool", tool_call_id: "call_1", content: "Rain" },
        { role: "tool", tool_call_id: "x", content: "Snow" },
      ]),
    );
    expect(err.status).toBe(400);
    expect(err.type).toBe("invalid_request_error");
    expect(err.param).toBe("messages[3].tool_call_id");
    expect(err.code).toBe("tool_call_not_found");
    expect(err.message).toContain("'x'");
    // A result before its call does not count either: the backend reads the history in order.
    expect(
      thrown(() => convert([{ role: "tool", tool_call_id: "c", content: "" }, calling("c")])).param,
    ).toBe("messages[0].tool_call_id");
  });

  it("rejects a legacy function message with no unanswered function_call of that name", () => {
    const err = thrown(() =>
      convert([
        { role: "assistant", content: null, function_call: { name: "lookup", arguments: "{}" } },
        { role: "function", name: "lookup", content: "found" },
        { role: "function", name: "lookup", content: "again" },
      ]),
    );
    expect(err.param).toBe("messages[2].name");
    expect(err.status).toBe(400);
  });

  it("drops a think block a client sent back in an assistant message", () => {
    expect(stripThinking("<think>hmm</think>\n\nAnswer")).toBe("Answer");
    expect(stripThinking("Answer <think>x</think>")).toBe("Answer <think>x</think>");
    expect(convert([{ role: "assistant", content: "<think>a</think>\n\nB" }])).toEqual([
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "B" }] },
    ]);
  });

  it("rejects malformed data URLs naming the part", () => {
    const err = thrown(() =>
      convert([
        { role: "user", content: "x" },
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "image_url", image_url: "data:image/png;base64,@@@" },
          ],
        },
      ]),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe("messages[1].content[1].image_url");
    expect(
      thrown(() => convert([{ role: "user", content: [{ type: "image_url", image_url: "ftp://x/y.png" }] }]))
        .param,
    ).toBe("messages[0].content[0].image_url");
  });

  it("rejects images in assistant messages", () => {
    const err = thrown(() =>
      convert([
        { role: "assistant", content: [{ type: "image_url", image_url: "https://example.com/a.png" }] },
      ]),
    );
    expect(err.param).toBe("messages[0].content[0].type");
  });
});

describe("normalizeImageUrl", () => {
  const at = "p";
  it("passes http(s) URLs unchanged", () => {
    expect(normalizeImageUrl("https://example.com/a.png?x=1", at)).toBe("https://example.com/a.png?x=1");
  });

  it("normalises url-safe base64, padding, whitespace and MIME parameters", () => {
    expect(normalizeImageUrl("data:image/jpeg;base64,ab-_", at)).toBe("data:image/jpeg;base64,ab+/");
    expect(normalizeImageUrl("data:image/png;base64,YWJj ZA", at)).toBe("data:image/png;base64,YWJjZA==");
    expect(normalizeImageUrl("data:image/webp;name=a.webp;base64,YWJjZA==", at)).toBe(
      "data:image/webp;base64,YWJjZA==",
    );
  });

  it("rejects what is not a base64 image", () => {
    for (const bad of [
      "data:image/png;base64,",
      "data:image/png;base64,a",
      "data:image/png;base64,YW=JjZA",
      "data:image/png,rawbytes",
      "data:text/plain;base64,YWJj",
      "data:;base64,YWJj",
      "/local/file.png",
    ]) {
      expect(() => normalizeImageUrl(bad, at), bad).toThrow(RelayError);
    }
  });
});
