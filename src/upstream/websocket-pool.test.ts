import { describe, expect, it } from "vitest";
import type { BackendSocket } from "./backend-socket.ts";
import { WebSocketPool } from "./websocket-pool.ts";

/** A socket that only knows whether it was closed. */
function socket(): BackendSocket & { closedByPool: boolean } {
  return {
    closedByPool: false,
    get closed() {
      return this.closedByPool;
    },
    send: () => Promise.resolve(),
    next: () => new Promise<string>(() => {}),
    close() {
      this.closedByPool = true;
    },
  };
}

const pool = (maxConnections = 2) =>
  new WebSocketPool({ maxConnections, idleMs: 60_000, lifetimeMs: 60 * 60_000 });

describe("WebSocketPool reservations (connections opened ahead of their turn)", () => {
  it("a filled reservation waits idle; the conversation's next turn reuses it", () => {
    const p = pool();
    const r = p.reserve("a")!;
    expect(p.acquire("a").kind).toBe("opening");
    expect(p.reserve("a")).toBeNull(); // one open per conversation
    const s = socket();
    const c = p.fill(r, s, new Headers())!;
    expect(c.used).toBe(false);
    const lease = p.acquire("a");
    expect(lease).toEqual({ kind: "reuse", connection: c });
    expect(c.used).toBe(true);
    p.closeAll();
  });

  it("counts against the bound from the start of its handshake", () => {
    const p = pool(1);
    const r = p.reserve("a")!;
    expect(p.size).toBe(1);
    expect(p.acquire("b").kind).toBe("full"); // nothing idle to evict
    expect(p.reserve("b")).toBeNull();
    p.giveUp(r);
    expect(p.size).toBe(0);
    expect(p.acquire("b").kind).toBe("open");
  });

  it("closeAll aborts a reservation under way; its socket, when it comes, is closed", async () => {
    const p = pool();
    const r = p.reserve("a")!;
    let settled = false;
    void r.settled.then(() => (settled = true));
    p.closeAll();
    expect(r.signal.aborted).toBe(true);
    await Promise.resolve();
    expect(settled).toBe(true);
    const s = socket();
    expect(p.fill(r, s, new Headers())).toBeNull();
    expect(s.closedByPool).toBe(true);
    expect(p.size).toBe(0);
  });

  it("a turn that opened its own connection meanwhile keeps it; the reserved one closes", () => {
    const p = pool();
    const r = p.reserve("a")!;
    // A turn whose own handshake (UPSTREAM_TRANSPORT=websocket) began before the reservation, done first.
    const busy = socket();
    p.add("a", busy, new Headers());
    const late = socket();
    expect(p.fill(r, late, new Headers())).toBeNull();
    expect(late.closedByPool).toBe(true);
    expect(busy.closedByPool).toBe(false);
    expect(p.size).toBe(1);
    p.closeAll();
  });
});
