import { describe, expect, it } from "vitest";
import { OutputLimiter, type OutputLimits } from "./output-limiter.ts";
import { countTextTokens } from "./token-count.ts";
import type { StreamPart } from "./stream-parts.ts";

const text = (delta: string): StreamPart => ({ type: "text-delta", delta });
const finish: StreamPart = {
  type: "finish",
  reason: "stop",
  usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 2, reasoningTokens: 0, totalTokens: 3 },
};

function run(limits: OutputLimits, parts: StreamPart[]): { out: StreamPart[]; cut: boolean } {
  const l = new OutputLimiter(limits);
  const out: StreamPart[] = [];
  for (const p of parts) out.push(...l.push(p));
  out.push(...l.end());
  return { out, cut: l.cut };
}

const joined = (parts: StreamPart[]) => parts.map((p) => (p.type === "text-delta" ? p.delta : "")).join("");

describe("OutputLimiter", () => {
  it("is an inactive pass-through without limits", () => {
    const l = new OutputLimiter({});
    expect(l.active).toBe(false);
    const p = text("hello");
    expect(l.push(p)[0]).toBe(p);
    expect(new OutputLimiter({ stop: [""] }).active).toBe(false);
  });

  it("cuts at a stop sequence inside one delta", () => {
    const { out, cut } = run({ stop: ["STOP"] }, [text("hello STOP world"), finish]);
    expect(out).toEqual([text("hello "), { type: "finish", reason: "stop", stopSequence: "STOP" }]);
    expect(cut).toBe(true);
  });

  it("names the stop sequence that matched (the longest of those starting there)", () => {
    const { out } = run({ stop: ["x", "ab", "abc"] }, [text("123abcd"), finish]);
    expect(out.at(-1)).toEqual({ type: "finish", reason: "stop", stopSequence: "abc" });
  });

  it("passes reasoning-end through without releasing held-back text", () => {
    const l = new OutputLimiter({ stop: ["<END>"] });
    expect(l.push(text("abc <E"))).toEqual([text("abc ")]);
    expect(l.push({ type: "reasoning-end", encryptedContent: "enc" })).toEqual([
      { type: "reasoning-end", encryptedContent: "enc" },
    ]);
    expect(l.push(text("ND>"))).toEqual([{ type: "finish", reason: "stop", stopSequence: "<END>" }]);
  });

  it("finds a stop sequence split over deltas and holds back only a possible prefix", () => {
    const l = new OutputLimiter({ stop: ["<END>"] });
    expect(l.push(text("abc <E"))).toEqual([text("abc ")]);
    expect(l.push(text("N"))).toEqual([]);
    expect(l.push(text("D> more"))).toEqual([{ type: "finish", reason: "stop", stopSequence: "<END>" }]);
    expect(l.cut).toBe(true);
    expect(l.push(text("ignored"))).toEqual([]);
    expect(l.end()).toEqual([]);
  });

  it("releases held text that turned out not to be a stop sequence", () => {
    const l = new OutputLimiter({ stop: ["<END>"] });
    expect(l.push(text("a <E"))).toEqual([text("a ")]);
    expect(l.push(text("xyz"))).toEqual([text("<Exyz")]);
  });

  it("does not hold back text that cannot start a stop sequence", () => {
    const l = new OutputLimiter({ stop: ["\n\nUser:"] });
    expect(l.push(text("plain words"))).toEqual([text("plain words")]);
  });

  it("uses the earliest of several stop sequences", () => {
    const { out } = run({ stop: ["zzz", "b"] }, [text("aaabzzz"), finish]);
    expect(joined(out)).toBe("aaa");
  });

  it("flushes held text before a tool call and before the upstream finish", () => {
    const { out, cut } = run({ stop: ["###"] }, [
      text("x#"),
      { type: "tool-call-start", index: 0, callId: "c", name: "f" },
      text("y##"),
      finish,
    ]);
    expect(out).toEqual([
      text("x"),
      text("#"),
      { type: "tool-call-start", index: 0, callId: "c", name: "f" },
      text("y"),
      text("##"),
      finish,
    ]);
    expect(cut).toBe(false);
  });

  it("releases held text at end() when no terminal came", () => {
    const { out } = run({ stop: ["###"] }, [text("x##")]);
    expect(joined(out)).toBe("x##");
  });

  it("cuts exactly at the token budget, counted with o200k", () => {
    // o200k: "Hello" " world" "," " how" " are" " you" "?" — 7 tokens, 29 characters.
    const { out, cut } = run({ maxTokens: 4 }, [text("Hello wor"), text("ld, how are you?"), finish]);
    expect(out).toEqual([text("Hello wor"), text("ld, how"), { type: "finish", reason: "length" }]);
    expect(countTextTokens("Hello world, how")).toBe(4);
    expect(cut).toBe(true);
  });

  it("lets through a longer answer whose tokens fit although four characters per token would not", () => {
    const long = "internationalization"; // 2 tokens, 20 characters
    const { out, cut } = run({ maxTokens: 2 }, [text(long), finish]);
    expect(out).toEqual([text(long), finish]);
    expect(cut).toBe(false);
  });

  it("does not count reasoning against the budget and passes it through", () => {
    const reasoning: StreamPart = {
      type: "reasoning-delta",
      delta: "long thoughts about many things",
      kind: "summary",
      partIndex: 0,
    };
    const { out, cut } = run({ maxTokens: 1 }, [reasoning, text("Hello"), finish]);
    expect(out).toEqual([reasoning, text("Hello"), finish]);
    expect(cut).toBe(false);
  });

  it("cuts with length when text arrives after the budget was used up exactly", () => {
    const { out } = run({ maxTokens: 1 }, [text("Hello"), text(" world"), finish]);
    expect(out).toEqual([text("Hello"), { type: "finish", reason: "length" }]);
  });

  it("never splits a character at the budget", () => {
    const { out } = run({ maxTokens: 1 }, [text("abc😀def"), finish]);
    expect(joined(out)).toBe("abc");
  });

  it("applies the budget to text before a stop sequence", () => {
    const { out } = run({ maxTokens: 2, stop: ["!"] }, [text("one two three!"), finish]);
    expect(out).toEqual([text("one two"), { type: "finish", reason: "length" }]);
  });

  it("counts the output it let through, reasoning and tool calls, for the usage of a cut turn", () => {
    const l = new OutputLimiter({ maxTokens: 3 });
    const parts: StreamPart[] = [
      { type: "reasoning-delta", delta: "Think", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "ing hard", kind: "summary", partIndex: 0 },
      { type: "reasoning-delta", delta: "More", kind: "summary", partIndex: 1 },
      { type: "tool-call-start", index: 0, callId: "c", name: "f" },
      { type: "tool-call-end", index: 0, callId: "c", name: "f", arguments: '{"a":1}' },
      text("one two three four"),
    ];
    for (const p of parts) l.push(p);
    expect(l.cut).toBe(true);
    const reasoning = countTextTokens("Thinking hard") + countTextTokens("More");
    expect(l.outputUsage()).toEqual({
      reasoningTokens: reasoning,
      outputTokens: reasoning + countTextTokens('f{"a":1}') + 3,
    });
  });

  it("passes an upstream error after flushing", () => {
    const err: StreamPart = { type: "error", message: "boom" };
    const { out, cut } = run({ stop: ["xyz"] }, [text("ax"), err]);
    expect(out).toEqual([text("a"), text("x"), err]);
    expect(cut).toBe(false);
  });
});
