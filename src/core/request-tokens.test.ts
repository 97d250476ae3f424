import { describe, expect, it } from "vitest";
import {
  countRequestTokens,
  IMAGE_TOKENS,
  LOW_DETAIL_IMAGE_TOKENS,
  MESSAGE_OVERHEAD,
  REPLY_PRIMING,
} from "./request-tokens.ts";
import { countTextTokens } from "./token-count.ts";
import type { ResponsesRequestBody } from "../responses/types.ts";

const base = (over: Partial<ResponsesRequestBody>): ResponsesRequestBody => ({
  model: "gpt-5.5",
  input: [],
  store: false,
  stream: true,
  ...over,
});

describe("countRequestTokens", () => {
  it("counts instructions, message text, calls, outputs, images and tools with o200k", () => {
    const tools = [{ type: "function", name: "weather", parameters: { type: "object" }, strict: false }];
    const body = base({
      instructions: "You are a helpful assistant.",
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "What is the weather?" }] },
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_image", image_url: "data:image/png;base64,AAAA" },
            { type: "input_image", image_url: "https://x/y.png", detail: "low" },
          ],
        },
        { type: "function_call", call_id: "c1", name: "weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "c1", output: "sunny, 21 °C" },
        { type: "reasoning", summary: [{ type: "summary_text", text: "Checked the weather." }] },
        { type: "reasoning", encrypted_content: "gAAAA…" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "It is sunny." }] },
      ],
      tools,
    });
    const expected =
      REPLY_PRIMING +
      countTextTokens("You are a helpful assistant.") +
      7 * MESSAGE_OVERHEAD +
      countTextTokens("What is the weather?") +
      IMAGE_TOKENS +
      LOW_DETAIL_IMAGE_TOKENS +
      countTextTokens("weather") +
      countTextTokens('{"city":"Paris"}') +
      countTextTokens("sunny, 21 °C") +
      countTextTokens("Checked the weather.") +
      countTextTokens("It is sunny.") +
      countTextTokens(JSON.stringify(tools));
    expect(countRequestTokens(body)).toBe(expected);
  });

  it("counts an empty request as the reply priming only", () => {
    expect(countRequestTokens(base({}))).toBe(REPLY_PRIMING);
  });

  it("gives the same figure again for the same instructions (cached)", () => {
    const body = base({ instructions: "x ".repeat(5000) });
    expect(countRequestTokens(body)).toBe(countRequestTokens(body));
  });
});
