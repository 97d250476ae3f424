import { describe, expect, it } from "vitest";
import { peek, withKeepAlive } from "./keep-alive.ts";

/** A source whose items are released by the test. */
function gate() {
  const waiting: ((v: IteratorResult<string>) => void)[] = [];
  let returned = false;
  const source: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<string>>((resolve) => waiting.push(resolve)),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return {
    source,
    send: (value: string) => waiting.shift()?.({ done: false, value }),
    end: () => waiting.shift()?.({ done: true, value: undefined }),
    get returned() {
      return returned;
    },
  };
}

describe("withKeepAlive", () => {
  it("sends a keep-alive frame while the source is silent, then the source's items in order", async () => {
    const g = gate();
    const it = withKeepAlive(g.source, 5, "PING")[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("PING");
    expect((await it.next()).value).toBe("PING");
    const next = it.next();
    g.send("a");
    expect((await next).value).toBe("a");
    const last = it.next();
    // Whatever pings came meanwhile, the pending read was not lost or duplicated.
    let r = await last;
    while (r.value === "PING") {
      g.send("b");
      r = await it.next();
    }
    expect(r.value).toBe("b");
  });

  it("passes a fast source through without pings and ends with it", async () => {
    async function* fast() {
      yield "x";
      yield "y";
    }
    const out: string[] = [];
    for await (const f of withKeepAlive(fast(), 60_000, "PING")) out.push(f);
    expect(out).toEqual(["x", "y"]);
  });

  it("closes the source when the consumer stops", async () => {
    const g = gate();
    const it = withKeepAlive(g.source, 5, "PING")[Symbol.asyncIterator]();
    await it.next();
    await it.return(undefined);
    expect(g.returned).toBe(true);
  });
});

describe("peek", () => {
  it("reads the preamble and the first real item, and the rest continues after them", async () => {
    async function* parts() {
      yield "start";
      yield "error";
      yield "after";
    }
    const { head, rest } = await peek(parts(), (p) => p === "start", 60_000);
    expect(head).toEqual(["start", "error"]);
    const out: string[] = [];
    for await (const p of rest) out.push(p);
    expect(out).toEqual(["after"]);
  });

  it("stops waiting after waitMs and carries the pending read into the rest", async () => {
    const g = gate();
    const peeked = peek(g.source, () => true, 5);
    const { head, rest } = await peeked;
    expect(head).toEqual([]);
    const it = rest[Symbol.asyncIterator]();
    const first = it.next();
    g.send("late");
    expect((await first).value).toBe("late");
    const end = it.next();
    g.end();
    expect((await end).done).toBe(true);
  });
});
