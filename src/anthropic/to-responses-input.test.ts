import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import { parseMessagesRequest } from "./request-schema.ts";
import { toResponsesInput } from "./to-responses-input.ts";

const open = (s: unknown) => (typeof s === "string" && s.startsWith("ours:") ? s.slice(5) : null);

function convert(messages: unknown[]) {
  return toResponsesInput(parseMessagesRequest({ model: "m", max_tokens: 10, messages }).messages, open);
}

describe("toResponsesInput", () => {
  it("keeps the order of text, tool results and calls; replays only the relay's own thinking", () => {
    const items = convert([
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "plan", signature: "ours:gAAAA1" },
          { type: "redacted_thinking", data: "opaque" },
          { type: "thinking", thinking: "foreign", signature: "EqQB" },
          { type: "text", text: "Let me look." },
          { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a" } },
          { type: "tool_use", id: "toolu_2", name: "Bash", input: { command: "ls" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "file text" },
          {
            type: "tool_result",
            tool_use_id: "toolu_2",
            content: [{ type: "text", text: "denied" }],
            is_error: true,
          },
          { type: "text", text: "go on" },
        ],
      },
    ]);
    expect(items).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
      { type: "reasoning", summary: [{ type: "summary_text", text: "plan" }], encrypted_content: "gAAAA1" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me look." }] },
      { type: "function_call", call_id: "toolu_1", name: "Read", arguments: '{"file_path":"/a"}' },
      { type: "function_call", call_id: "toolu_2", name: "Bash", arguments: '{"command":"ls"}' },
      { type: "function_call_output", call_id: "toolu_1", output: "file text" },
      { type: "function_call_output", call_id: "toolu_2", output: "Error: denied" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "go on" }] },
    ]);
  });

  it("converts documents (text, content, PDF) and images inside tool results", () => {
    const png = "iVBORw0KGgo=";
    const items = convert([
      { role: "assistant", content: [{ type: "tool_use", id: "t", name: "Shot", input: {} }] },
      {
        role: "user",
        content: [
          {
            type: "document",
            title: "Notes",
            source: { type: "text", media_type: "text/plain", data: "a note" },
          },
          { type: "document", source: { type: "content", content: [{ type: "text", text: "inline" }] } },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
          {
            type: "tool_result",
            tool_use_id: "t",
            content: [
              { type: "text", text: "shot" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
            ],
          },
        ],
      },
    ]);
    expect(items).toEqual([
      { type: "function_call", call_id: "t", name: "Shot", arguments: "{}" },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "Notes\n\na note" },
          { type: "input_text", text: "inline" },
          { type: "input_file", filename: "document.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
        ],
      },
      {
        type: "function_call_output",
        call_id: "t",
        output: [
          { type: "input_text", text: "shot" },
          { type: "input_image", image_url: `data:image/png;base64,${png}` },
        ],
      },
    ]);
  });

  it("refuses blocks in the wrong role, naming the field", () => {
    expect(() =>
      convert([{ role: "user", content: [{ type: "tool_use", id: "x", name: "n", input: {} }] }]),
    ).toThrow(/messages\[0\]\.content\[0\]\.type/);
    expect(() => convert([{ role: "user", content: [{ type: "audio", data: "x" }] }])).toThrow(
      /messages\[0\]\.content\[0\]\.type/,
    );
  });

  it("refuses a tool_result whose tool_use is not earlier in the conversation, naming its tool_use_id", () => {
    let err: unknown;
    try {
      convert([
        { role: "user", content: "hi" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: {} }] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "ok" },
            { type: "tool_result", tool_use_id: "toolu_9", content: "lost" },
          ],
        },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RelayError);
    const e = err as RelayError;
    expect([e.status, e.type, e.param]).toEqual([
      400,
      "invalid_request_error",
      "messages[2].content[1].tool_use_id",
    ]);
    expect(e.message).toContain("'toolu_9'");
  });
});
