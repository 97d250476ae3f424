// Compressed request bodies, as the official Codex CLI sends them when signed in with ChatGPT: zstd
// (`Content-Encoding: zstd`; codex-rs `responses_request_compression`, level 3 by default in zstd). node:zlib has
// zstd from Node 22.15 on; on older Node (20) the WebAssembly build of zstd (@bokuweb/zstd-wasm) does it. Loaded
// once, lazily: a runtime with neither sends bodies uncompressed.

import { wasmZstdCompressor } from "./zstd-wasm.ts";

export type Compress = (body: string) => Uint8Array;

export interface RequestCompressor {
  /** "zstd". */
  readonly encoding: string;
  compress: Compress;
}

const LEVEL = 3;

type ZlibWithZstd = {
  zstdCompressSync?: (data: Uint8Array, options?: { params?: Record<number, number> }) => Uint8Array;
  constants: Record<string, number>;
};

/** The zstd compressor of this runtime, or null when it has none. */
export async function loadZstdCompressor(): Promise<RequestCompressor | null> {
  try {
    const zlib = (await import("node:zlib")) as unknown as ZlibWithZstd;
    const level = zlib.constants.ZSTD_c_compressionLevel;
    if (typeof zlib.zstdCompressSync === "function" && level !== undefined) {
      const zstd = zlib.zstdCompressSync;
      return {
        encoding: "zstd",
        compress: (body) => zstd(Buffer.from(body), { params: { [level]: LEVEL } }),
      };
    }
  } catch {
    // no node:zlib in this runtime
  }
  try {
    const compress = await wasmZstdCompressor(LEVEL);
    const encoder = new TextEncoder();
    return { encoding: "zstd", compress: (body) => compress(encoder.encode(body)) };
  } catch {
    return null;
  }
}
