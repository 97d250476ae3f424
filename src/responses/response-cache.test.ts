import { describe, expect, it } from "vitest";
import { RelayError } from "../core/errors.ts";
import { ResponseCache, approxSize, replayableItem } from "./response-cache.ts";
import type { ResponsesInputItem } from "./types.ts";

const user = (text: string): ResponsesInputItem => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});
const answer = (id: string, text: string): ResponsesInputItem => ({
  type: "message",
  id,
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [] }],
});
const reasoning = (id: string, encrypted?: string): ResponsesInputItem => ({
  type: "reasoning",
  id,
  summary: [{ type: "summary_text", text: "thinking" }],
  ...(encrypted === undefined ? {} : { encrypted_content: encrypted }),
});

describe("ResponseCache", () => {
  it("replays input then output, without item ids, keeping encrypted reasoning", () => {
    const cache = new ResponseCache();
    cache.set(
      "resp_1",
      [{ ...user("hi"), id: "msg_in" }],
      [reasoning("rs_1", "ENC"), answer("msg_1", "hello")],
    );
    const history = cache.history("resp_1")!;
    expect(history).toEqual([
      user("hi"),
      { type: "reasoning", summary: [{ type: "summary_text", text: "thinking" }], encrypted_content: "ENC" },
      {
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "hello", annotations: [] }],
      },
    ]);
    for (const item of history) expect(item).not.toHaveProperty("id");
  });

  it("leaves out reasoning items that cannot be replayed", () => {
    const cache = new ResponseCache();
    cache.set("resp_1", [user("hi")], [reasoning("rs_1"), answer("msg_1", "x")]);
    expect(cache.history("resp_1")!.map((i) => i.type)).toEqual(["message", "message"]);
  });

  it("answers undefined for an unknown id", () => {
    expect(new ResponseCache().history("resp_nope")).toBeUndefined();
  });

  it("evicts the least recently used entry past maxEntries", () => {
    const cache = new ResponseCache({ maxEntries: 2 });
    cache.set("a", [user("a")], []);
    cache.set("b", [user("b")], []);
    cache.history("a"); // a is now the most recent
    cache.set("c", [user("c")], []);
    expect(cache.has("a")).toBe(true);
    expect(cache.has("b")).toBe(false);
    expect(cache.has("c")).toBe(true);
    expect(cache.size).toBe(2);
  });

  it("evicts by bytes and never keeps a response bigger than the budget", () => {
    const cache = new ResponseCache({ maxBytes: 1000 });
    cache.set("big", [user("x".repeat(2000))], []);
    expect(cache.has("big")).toBe(false);
    cache.set("a", [user("x".repeat(400))], []);
    cache.set("b", [user("y".repeat(400))], []);
    cache.set("c", [user("z".repeat(400))], []);
    expect(cache.has("a")).toBe(false);
    expect(cache.has("c")).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(1000);
  });

  it("shares replayed item objects between entries", () => {
    const cache = new ResponseCache();
    cache.set("resp_1", [user("hi")], [answer("msg_1", "hello")]);
    const h1 = cache.history("resp_1")!;
    cache.set("resp_2", [...h1, user("more")], [answer("msg_2", "sure")]);
    const h2 = cache.history("resp_2")!;
    expect(h2[0]).toBe(h1[0]);
    expect(h2[1]).toBe(h1[1]);
  });

  it("resolves item_reference items from stored output and names unknown ones", () => {
    const cache = new ResponseCache();
    cache.set("resp_1", [user("hi")], [answer("msg_1", "hello")]);
    const items = [user("hi"), { type: "item_reference", id: "msg_1" }, user("again")];
    const resolved = cache.resolveReferences(items);
    expect(resolved[1]).toMatchObject({ type: "message", role: "assistant" });
    expect(resolved[1]).not.toHaveProperty("id");
    const plain = [user("x")];
    expect(cache.resolveReferences(plain)).toBe(plain);
    try {
      cache.resolveReferences([user("x"), { type: "item_reference", id: "msg_zzz" }]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RelayError);
      expect((err as RelayError).param).toBe("input[1]");
      expect((err as RelayError).status).toBe(400);
    }
  });

  it("forgets item ids of evicted responses", () => {
    const cache = new ResponseCache({ maxEntries: 1 });
    cache.set("resp_1", [user("hi")], [answer("msg_1", "hello")]);
    cache.set("resp_2", [user("hi")], [answer("msg_2", "hello")]);
    expect(cache.findItem("msg_1")).toBeUndefined();
    expect(cache.findItem("msg_2")).toBeDefined();
  });
});

describe("replayableItem / approxSize", () => {
  it("returns items without an id as they are", () => {
    const item = user("x");
    expect(replayableItem(item)).toBe(item);
    expect(replayableItem({ type: "item_reference", id: "x" })).toBeNull();
  });

  it("estimates about the JSON length", () => {
    const value = { a: "hello", b: [1, 2, { c: null }] };
    const json = JSON.stringify(value).length;
    expect(approxSize(value)).toBeGreaterThan(json / 2);
    expect(approxSize(value)).toBeLessThan(json * 3);
  });
});

describe("ResponseCache.previous", () => {
  it("returns the session key the response ran under", () => {
    const cache = new ResponseCache();
    cache.set("resp_1", [user("hi")], [answer("msg_1", "hello")], "session-1");
    expect(cache.previous("resp_1")).toMatchObject({ sessionId: "session-1" });
    expect(cache.previous("resp_1")!.items).toHaveLength(2);
    expect(cache.previous("nope")).toBeUndefined();
  });
});
