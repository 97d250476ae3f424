import { describe, expect, it } from "vitest";
import { textStream } from "./text-stream.ts";

async function chunks(source: AsyncIterable<string>): Promise<{ chunks: string[]; error?: string }> {
  const reader = textStream(source, new AbortController()).getReader();
  const decoder = new TextDecoder();
  const out: string[] = [];
  for (;;) {
    try {
      const { done, value } = await reader.read();
      if (done) return { chunks: out };
      out.push(decoder.decode(value));
    } catch (err) {
      return { chunks: out, error: (err as Error).message };
    }
  }
}

const later = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("textStream", () => {
  it("sends the first piece at once, then pieces that are ready together as one chunk, in order", async () => {
    async function* source() {
      yield "a";
      yield "b";
      yield "c";
      yield "d";
      await later();
      yield "e";
    }
    expect(await chunks(source())).toEqual({ chunks: ["a", "bcd", "e"] });
  });

  it("delivers what came before an error, then the error", async () => {
    async function* source() {
      yield "a";
      await later();
      yield "b";
      throw new Error("boom");
    }
    expect(await chunks(source())).toEqual({ chunks: ["a", "b"], error: "boom" });
  });

  it("skips empty pieces and caps the size of a chunk", async () => {
    async function* source() {
      for (let i = 0; i < 5000; i++) yield "";
      yield "x".repeat(20_000);
      yield "y";
    }
    const { chunks: out } = await chunks(source());
    expect(out.join("")).toBe("x".repeat(20_000) + "y");
    expect(out.every((c) => c.length > 0)).toBe(true);
    expect(out.length).toBe(2);
  });

  it("ends an empty source without a chunk", async () => {
    async function* source() {
      yield "";
    }
    expect(await chunks(source())).toEqual({ chunks: [] });
  });

  it("aborts the backend request when the client cancels", async () => {
    const abort = new AbortController();
    async function* source() {
      yield "a";
      await new Promise(() => {}); // a backend that says nothing more
    }
    const reader = textStream(source(), abort).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("a");
    await reader.cancel();
    expect(abort.signal.aborted).toBe(true);
  });
});
