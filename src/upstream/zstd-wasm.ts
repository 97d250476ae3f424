// zstd in WebAssembly (@bokuweb/zstd-wasm), for runtimes whose zlib has none (Node < 22.15). Its init() must run
// once per process: a second call replaces the module under every caller and breaks the next (de)compression. The
// one init is kept on globalThis, so that copies of this file loaded by different module graphs (test runners)
// share it. Inputs and outputs go through the module's memory: inputs are passed as fresh arrays, outputs copied.

import type * as ZstdWasmModule from "@bokuweb/zstd-wasm";

type ZstdWasm = typeof ZstdWasmModule;

const KEY = Symbol.for("codex-relay.zstd-wasm");

export function zstdWasm(): Promise<ZstdWasm> {
  const g = globalThis as unknown as Record<symbol, Promise<ZstdWasm> | undefined>;
  g[KEY] ??= import("@bokuweb/zstd-wasm").then(async (m) => {
    await m.init();
    return m;
  });
  return g[KEY];
}

export async function wasmZstdCompressor(level: number): Promise<(data: Uint8Array) => Uint8Array> {
  const m = await zstdWasm();
  return (data) => m.compress(data, level).slice();
}

export async function wasmZstdDecoder(): Promise<(data: Uint8Array) => Uint8Array> {
  const m = await zstdWasm();
  return (data) => m.decompress(new Uint8Array(data)).slice();
}
