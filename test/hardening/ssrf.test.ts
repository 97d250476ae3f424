// Image URLs are forwarded to the backend as they are and never fetched by the relay (no SSRF): a local HTTP
// server stands in for an internal service, every dialect gets a request pointing at it, and it must receive nothing
// while the fake backend receives the URL.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { MODEL, post, sleep } from "./helpers/http.ts";

let t: TestRelay;
let internal: Server;
let hits: string[] = [];
let target = "";
beforeAll(async () => {
  internal = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "image/png" });
    res.end("not really a png");
  });
  await new Promise<void>((resolve) => internal.listen(0, "127.0.0.1", resolve));
  target = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
  t = await startTestRelay();
});
afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => internal.close(() => resolve()));
});

/** Every image_url / input_image URL in the body the backend received. */
function forwardedImageUrls(): string[] {
  const body = t.fake.requests.at(-1)?.body as { input?: unknown[] } | undefined;
  const urls: string[] = [];
  for (const item of body?.input ?? []) {
    const content = (item as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const part of content as { type?: string; image_url?: unknown }[]) {
      if (part.type === "input_image" && typeof part.image_url === "string") urls.push(part.image_url);
    }
  }
  return urls;
}

describe("image URLs are never fetched by the relay", () => {
  it.each([
    [
      "chat, image_url object",
      "/v1/chat/completions",
      (url: string) => ({
        model: MODEL,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "what is it" },
              { type: "image_url", image_url: { url } },
            ],
          },
        ],
      }),
    ],
    [
      "chat, image_url string, streamed",
      "/v1/chat/completions",
      (url: string) => ({
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: [{ type: "image_url", image_url: url }] }],
      }),
    ],
    [
      "responses, input_image",
      "/v1/responses",
      (url: string) => ({
        model: MODEL,
        input: [
          {
            role: "user",
            content: [
              { type: "input_text", text: "what is it" },
              { type: "input_image", image_url: url },
            ],
          },
        ],
      }),
    ],
  ])("%s: forwarded as is, not fetched", async (_name, path, body) => {
    hits = [];
    const url = `${target}/secret-${crypto.randomUUID()}.png`;
    const res = await post(`${t.url}${path}`, body(url));
    expect(res.status).toBe(200);
    await res.text();
    expect(forwardedImageUrls()).toContain(url);
    await sleep(200);
    expect(hits).toEqual([]);
  });

  it.each([
    [
      "ollama chat",
      "/api/chat",
      (url: string) => ({
        model: MODEL,
        stream: false,
        messages: [{ role: "user", content: "x", images: [url] }],
      }),
    ],
    [
      "ollama generate",
      "/api/generate",
      (url: string) => ({ model: MODEL, stream: false, prompt: "x", images: [url] }),
    ],
  ])("%s: an image given as a URL is forwarded, not fetched", async (_name, path, body) => {
    hits = [];
    const url = `${target}/secret-${crypto.randomUUID()}.png`;
    const res = await post(`${t.url}${path}`, body(url));
    expect(res.status).toBe(200);
    await res.text();
    expect(forwardedImageUrls()).toContain(url);
    await sleep(200);
    expect(hits).toEqual([]);
  });
});
