// One timer that fires when a stream has been silent for idleMs. It is armed once and re-armed lazily when it fires
// early (touch() only records the time), so a busy stream costs no timer work per event.

export interface IdleWatchdog {
  /** Activity: the silence counts from now. */
  touch(): void;
  /** Stops watching; onIdle is not called after this. */
  stop(): void;
}

export function idleWatchdog(onIdle: () => void, idleMs: number): IdleWatchdog {
  let lastActivity = Date.now();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number) => {
    timer = setTimeout(() => {
      if (stopped) return;
      const idle = Date.now() - lastActivity;
      if (idle >= idleMs) onIdle();
      else arm(idleMs - idle);
    }, ms);
  };
  arm(idleMs);
  return {
    touch: () => {
      lastActivity = Date.now();
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
