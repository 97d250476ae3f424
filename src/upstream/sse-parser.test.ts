import { describe, expect, it } from "vitest";
import { MAX_SSE_LINE, SseParser, SseTooLongError } from "./sse-parser.ts";

function parseAll(chunks: string[]) {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
}

describe("SseParser", () => {
  const stream =
    'event: response.created\ndata: {"type":"response.created"}\n\n' +
    ": keep-alive comment\n\n" +
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"héllo 👋"}\n\n';

  it("parses events with event and data fields and skips comments", () => {
    expect(parseAll([stream])).toEqual([
      { event: "response.created", data: '{"type":"response.created"}' },
      {
        event: "response.output_text.delta",
        data: '{"type":"response.output_text.delta","delta":"héllo 👋"}',
      },
    ]);
  });

  it("gives the same events for every split of the stream into two chunks", () => {
    const whole = parseAll([stream]);
    for (let i = 0; i <= stream.length; i++) {
      expect(parseAll([stream.slice(0, i), stream.slice(i)])).toEqual(whole);
    }
  });

  it("gives the same events when fed one character at a time", () => {
    expect(parseAll([...stream])).toEqual(parseAll([stream]));
  });

  it("accepts CRLF and lone CR line ends, also split between chunks", () => {
    const crlf = stream.replace(/\n/g, "\r\n");
    const cr = stream.replace(/\n/g, "\r");
    const whole = parseAll([stream]);
    expect(parseAll([crlf])).toEqual(whole);
    expect(parseAll([cr])).toEqual(whole);
    for (let i = 0; i <= crlf.length; i++) expect(parseAll([crlf.slice(0, i), crlf.slice(i)])).toEqual(whole);
  });

  it("joins multi-line data with newlines and defaults the event name", () => {
    expect(parseAll(["data: a\ndata:b\ndata\n\n"])).toEqual([{ event: "message", data: "a\nb\n" }]);
  });

  it("emits several events from one chunk and drops an unterminated event at the end", () => {
    const p = new SseParser();
    expect(p.push("data: 1\n\ndata: 2\n\ndata: 3")).toEqual([
      { event: "message", data: "1" },
      { event: "message", data: "2" },
    ]);
    expect(p.end()).toEqual([]);
  });

  it("ignores blank-line runs and fields it does not use", () => {
    expect(parseAll(["\n\n\nid: 7\nretry: 10\n\ndata: x\n\n\n"])).toEqual([{ event: "message", data: "x" }]);
  });

  it("parses a 5 MB line fed in 8 KB reads, split anywhere, CRLF included", () => {
    const payload = JSON.stringify({ type: "response.output_item.done", result: "A".repeat(5 * 2 ** 20) });
    const text = `event: response.output_item.done\r\ndata: ${payload}\r\n\r\n`;
    const p = new SseParser();
    const out = [];
    for (let i = 0; i < text.length; i += 8191) out.push(...p.push(text.slice(i, i + 8191)));
    expect(out).toEqual([{ event: "response.output_item.done", data: payload }]);
  });

  it("refuses a line longer than its cap with a clear error, and is usable again afterwards", () => {
    expect(MAX_SSE_LINE).toBe(32 * 2 ** 20);
    const p = new SseParser(1024 * 1024);
    const chunk = "x".repeat(64 * 1024);
    expect(() => {
      p.push("data: ");
      for (let i = 0; i < 20; i++) p.push(chunk);
    }).toThrow(SseTooLongError);
    expect(() => p.push("data: " + "y".repeat(2 * 1024 * 1024))).toThrow(/longer than 1 MB/);
    expect(p.push("data: ok\n\n")).toEqual([{ event: "message", data: "ok" }]);
  });

  it("caps the data of one event made of many lines", () => {
    const p = new SseParser(1024 * 1024);
    const line = `data: ${"z".repeat(1000)}\n`;
    expect(() => {
      for (let i = 0; i < 2000; i++) p.push(line);
    }).toThrow(SseTooLongError);
  });
});
