// Preloaded by the benchmark into the relay's process (`node --expose-gc --import ./bench/memory-hook.mjs
// scripts/start.mjs`, i.e. `npm start` plus this) and into the reference proxy's. Plain JavaScript, so the relay runs
// without a TypeScript loader, exactly as `npm start` runs it. It changes nothing in the server: it only answers the
// parent's {type: "mem"} message over IPC with process.memoryUsage() taken after a forced garbage collection, so
// that memory is read without garbage that a collection would have freed anyway.

const gc = globalThis.gc;

process.on("message", (msg) => {
  if (typeof msg !== "object" || msg === null || msg.type !== "mem") return;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  process.send?.({
    type: "mem",
    gc: gc !== undefined,
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  });
});
// The IPC channel must not keep the process alive on its own.
process.channel?.unref();
