// Images and structured output on /v1/chat/completions through the official openai SDK, against a real relay and
// the fake backend: what the backend receives (input_image, text.format), the 400s for bad images, and the SDK's
// own parsing helpers on the answers.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { z } from "zod";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";

let t: TestRelay;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestRelay();
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => t.close());
beforeEach(() => t.fake.reset());

type Part = Record<string, unknown> & { type: string };
type Item = Record<string, unknown> & { type?: string; role?: string; content?: Part[] | string };

function lastBody(): Record<string, unknown> & { input: Item[] } {
  const r = t.fake.requests.at(-1);
  if (!r) throw new Error("the fake saw no request");
  return r.body as Record<string, unknown> & { input: Item[] };
}

/** The client's own items (after the relay's leading base-instructions developer message). */
function clientItems(): Item[] {
  return lastBody().input.slice(1);
}

/** A 1×1 PNG. */
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const PNG_DATA_URL = `data:image/png;base64,${PNG_BASE64}`;

function imageMessage(url: string, detail?: "auto" | "low" | "high"): ChatCompletionMessageParam {
  const image: ChatCompletionContentPart = {
    type: "image_url",
    image_url: detail === undefined ? { url } : { url, detail },
  };
  return { role: "user", content: [{ type: "text", text: "What is in this picture?" }, image] };
}

describe("images", () => {
  it("an https image URL reaches the backend as input_image, detail passed through", async () => {
    t.fake.enqueue({ kind: "text", text: "A cat." });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [imageMessage("https://example.com/cat.png", "high")],
    });
    expect(r.choices[0]!.message.content).toBe("A cat.");
    expect(clientItems()).toEqual([
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "What is in this picture?" },
          { type: "input_image", image_url: "https://example.com/cat.png", detail: "high" },
        ],
      },
    ]);
  });

  it("a data URL reaches the backend unchanged; no detail when the client gave none", async () => {
    t.fake.enqueue({ kind: "text", text: "A dot." });
    await client.chat.completions.create({ model: "gpt-5.5", messages: [imageMessage(PNG_DATA_URL)] });
    const content = clientItems()[0]!.content as Part[];
    expect(content[1]).toEqual({ type: "input_image", image_url: PNG_DATA_URL });

    t.fake.enqueue({ kind: "text", text: "A dot." });
    await client.chat.completions.create({ model: "gpt-5.5", messages: [imageMessage(PNG_DATA_URL, "low")] });
    expect((clientItems()[0]!.content as Part[])[1]).toEqual({
      type: "input_image",
      image_url: PNG_DATA_URL,
      detail: "low",
    });
  });

  it("streams an answer about an image", async () => {
    t.fake.enqueue({ kind: "text", text: "A tiny transparent pixel.", deltas: 3 });
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      stream: true,
      messages: [imageMessage(PNG_DATA_URL, "auto")],
    });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe("A tiny transparent pixel.");
    expect((clientItems()[0]!.content as Part[])[1]).toMatchObject({ type: "input_image", detail: "auto" });
  });

  it("keeps images of earlier turns in the history", async () => {
    t.fake.enqueue({ kind: "text", text: "Orange." });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [
        { role: "system", content: "Describe images." },
        imageMessage("https://example.com/cat.png"),
        { role: "assistant", content: "A cat on a sofa." },
        { role: "user", content: "What colour is it?" },
      ],
    });
    expect(r.choices[0]!.message.content).toBe("Orange.");
    const items = clientItems();
    expect(items.map((i) => i.role)).toEqual(["developer", "user", "assistant", "user"]);
    expect(items[1]!.content).toContainEqual({
      type: "input_image",
      image_url: "https://example.com/cat.png",
    });
    expect(items[3]!.content).toEqual([{ type: "input_text", text: "What colour is it?" }]);
  });

  it("the relay never fetches an image URL itself", async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.end("not an image");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/picture.png`;
    try {
      t.fake.enqueue({ kind: "text", text: "ok" });
      await client.chat.completions.create({ model: "gpt-5.5", messages: [imageMessage(url)] });
      expect((clientItems()[0]!.content as Part[])[1]).toEqual({ type: "input_image", image_url: url });
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("an image in a tool result becomes a function_call_output with content items", async () => {
    t.fake.enqueue({ kind: "text", text: "It is a chart." });
    // The SDK's types only allow text parts in tool messages; the relay accepts images there too.
    const toolMessage = {
      role: "tool",
      tool_call_id: "call_shot",
      content: [
        { type: "text", text: "screenshot taken" },
        { type: "image_url", image_url: { url: PNG_DATA_URL } },
      ],
    } as unknown as ChatCompletionMessageParam;
    await client.chat.completions.create({
      model: "gpt-5.5",
      tools: [{ type: "function", function: { name: "screenshot", parameters: { type: "object" } } }],
      messages: [
        { role: "user", content: "Take a screenshot." },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_shot", type: "function", function: { name: "screenshot", arguments: "{}" } },
          ],
        },
        toolMessage,
      ],
    });
    expect(clientItems().at(-1)).toEqual({
      type: "function_call_output",
      call_id: "call_shot",
      output: [
        { type: "input_text", text: "screenshot taken" },
        { type: "input_image", image_url: PNG_DATA_URL },
      ],
    });
  });

  async function rejected(messages: ChatCompletionMessageParam[]) {
    const before = t.fake.counters.responses;
    const err = await client.chat.completions
      .create({ model: "gpt-5.5", messages })
      .then(() => null)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    // Rejected by the relay: nothing went to the backend.
    expect(t.fake.counters.responses).toBe(before);
    return err as InstanceType<typeof OpenAI.BadRequestError>;
  }

  it("a malformed data URL is a 400 naming messages[i].content[j]", async () => {
    const err = await rejected([
      { role: "system", content: "s" },
      imageMessage("data:image/png;base64,@@not base64!!"),
    ]);
    expect(err.status).toBe(400);
    expect(err.param).toBe("messages[1].content[1].image_url");
    expect(err.code).toBe("invalid_image_url");
    expect(err.message).toContain("messages[1].content[1].image_url");
    expect(err.message).toMatch(/base64/);
  });

  it("a data URL that is not an image, or another scheme, is a 400 as well", async () => {
    const notImage = await rejected([imageMessage("data:text/plain;base64,aGVsbG8=")]);
    expect(notImage.param).toBe("messages[0].content[1].image_url");
    expect(notImage.message).toMatch(/data:image\/<type>;base64/);

    const ftp = await rejected([imageMessage("ftp://example.com/cat.png")]);
    expect(ftp.param).toBe("messages[0].content[1].image_url");
    expect(ftp.message).toMatch(/https URL or a data URL/);
  });

  it("an image in an earlier turn is validated too", async () => {
    const err = await rejected([
      imageMessage("data:image/jpeg;base64,!!!!"),
      { role: "assistant", content: "?" },
      { role: "user", content: "again" },
    ]);
    expect(err.param).toBe("messages[0].content[1].image_url");
  });
});

// ── structured output ───────────────────────────────────────────────────────

const Weather = z.object({ city: z.string(), temperature_c: z.number(), conditions: z.array(z.string()) });

describe("structured output", () => {
  it("json_schema from zodResponseFormat: the backend gets text.format; parse() returns the object", async () => {
    const answer = { city: "Lyon", temperature_c: 18.5, conditions: ["cloudy", "windy"] };
    t.fake.enqueue({ kind: "text", text: JSON.stringify(answer) });
    const r = await client.chat.completions.parse({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Weather in Lyon as JSON" }],
      response_format: zodResponseFormat(Weather, "weather_report"),
    });
    expect(r.choices[0]!.message.parsed).toEqual(answer);
    const format = (lastBody().text as { format?: Record<string, unknown> }).format;
    expect(format).toMatchObject({ type: "json_schema", name: "weather_report", strict: true });
    expect(format?.schema).toMatchObject({
      type: "object",
      properties: { city: { type: "string" }, temperature_c: { type: "number" } },
      required: ["city", "temperature_c", "conditions"],
      additionalProperties: false,
    });
  });

  it("json_schema streamed through the stream helper, parsed at the end", async () => {
    const answer = { city: "Nice", temperature_c: 24, conditions: ["sunny"] };
    t.fake.enqueue({ kind: "text", text: JSON.stringify(answer), deltas: 7 });
    const final = await client.chat.completions
      .stream({
        model: "gpt-5.5",
        messages: [{ role: "user", content: "Weather in Nice as JSON" }],
        response_format: zodResponseFormat(Weather, "weather_report"),
      })
      .finalChatCompletion();
    expect(final.choices[0]!.message.parsed).toEqual(answer);
    expect((lastBody().text as { format?: { type?: string } }).format?.type).toBe("json_schema");
  });

  it("a hand-written json_schema: name, description, schema and strict as given", async () => {
    t.fake.enqueue({ kind: "text", text: '{"ok":true}' });
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "ok?" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "status", description: "A status flag", schema, strict: false },
      },
    });
    expect((lastBody().text as { format?: unknown }).format).toEqual({
      type: "json_schema",
      name: "status",
      description: "A status flag",
      schema,
      strict: false,
    });
  });

  it("json_object: text.format json_object, and the content parses", async () => {
    t.fake.enqueue({ kind: "text", text: '{"answer": 42}' });
    const r = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Answer in JSON." }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ answer: 42 });
    expect((lastBody().text as { format?: unknown }).format).toEqual({ type: "json_object" });
  });

  it("text: no text.format is sent; verbosity still is", async () => {
    t.fake.enqueue({ kind: "text", text: "plain" });
    await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "x" }],
      response_format: { type: "text" },
      verbosity: "low",
    });
    expect(lastBody().text).toEqual({ verbosity: "low" });
  });

  it("reasoning does not end up inside a JSON answer with the default think-tags mode", async () => {
    const answer = { city: "Bern", temperature_c: 9, conditions: [] };
    const scenario = { kind: "text" as const, text: JSON.stringify(answer), reasoning: ["Looking it up."] };
    t.fake.enqueue(scenario);
    const r = await client.chat.completions.parse({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Weather in Bern as JSON" }],
      response_format: zodResponseFormat(Weather, "weather_report"),
    });
    expect(r.choices[0]!.message.parsed).toEqual(answer);
    expect(r.choices[0]!.message.content).toBe(JSON.stringify(answer));
    // The reasoning is still there, in reasoning_content.
    expect((r.choices[0]!.message as unknown as Record<string, unknown>).reasoning_content).toBe(
      "Looking it up.",
    );

    t.fake.enqueue(scenario);
    const final = await client.chat.completions
      .stream({
        model: "gpt-5.5",
        messages: [{ role: "user", content: "Weather in Bern as JSON" }],
        response_format: { type: "json_object" },
      })
      .finalChatCompletion();
    expect(JSON.parse(final.choices[0]!.message.content!)).toEqual(answer);
  });
});
