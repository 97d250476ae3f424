import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { idleWatchdog } from "./idle-watchdog.ts";

describe("idleWatchdog", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires once the stream has been silent for idleMs", () => {
    const onIdle = vi.fn();
    idleWatchdog(onIdle, 1000);
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("counts the silence from the last touch, re-arming itself when it fires early", () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(onIdle, 1000);
    vi.advanceTimersByTime(600);
    watchdog.touch();
    vi.advanceTimersByTime(900); // 1500 ms since the start, 900 since the touch
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("keeps a stream that stays busy alive with one timer", () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(onIdle, 1000);
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(100);
      watchdog.touch();
    }
    expect(onIdle).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(1);
  });

  it("never fires after stop", () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(onIdle, 1000);
    vi.advanceTimersByTime(500);
    watchdog.stop();
    vi.advanceTimersByTime(5000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
