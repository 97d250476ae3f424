// Small node:http helpers shared by the fake backend and the fake issuer.

import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { wasmZstdDecoder } from "../../src/upstream/zstd-wasm.ts";

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Decoder = (buf: Buffer) => Buffer | Promise<Buffer>;

const decoders: Record<string, Decoder | undefined> = {
  gzip: (b) => zlib.gunzipSync(b),
  deflate: (b) => zlib.inflateSync(b),
  br: (b) => zlib.brotliDecompressSync(b),
  zstd: (b) => decodeZstd(b),
};

/** The request body, decoded by its Content-Encoding (gzip, deflate, br, zstd). */
export async function readBody(req: IncomingMessage, limitBytes = 64 * 1024 * 1024): Promise<Buffer> {
  return (await readEncodedBody(req, limitBytes)).body;
}

/** The request body decoded, and its size on the wire (before decoding). */
export async function readEncodedBody(
  req: IncomingMessage,
  limitBytes = 64 * 1024 * 1024,
): Promise<{ body: Buffer; wireBytes: number; encoding: string | undefined }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw new BodyError(413, "Request body too large");
    chunks.push(buf);
  }
  let body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const wireBytes = body.length;
  const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase().trim();
  if (encoding !== "identity" && encoding !== "") {
    const decode = decoders[encoding];
    if (!decode) throw new BodyError(415, `Unsupported Content-Encoding: ${encoding}`);
    try {
      body = await decode(body);
    } catch {
      throw new BodyError(400, `Could not decode the ${encoding} request body`);
    }
    return { body, wireBytes, encoding };
  }
  return { body, wireBytes, encoding: undefined };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Ids only need to be unique and look real: a random per-process prefix plus a counter is much cheaper than
// fresh random bytes per id (this runs several times per request under the benchmark).
const ID_PREFIX = randomBytes(32).toString("hex");
let idCounter = 0;

/** `length` hex characters (at least 12), unique within the process. */
export function hexId(length: number): string {
  const n = (idCounter++).toString(16).padStart(12, "0");
  return ID_PREFIX.slice(0, Math.max(0, length - n.length)) + n;
}

type ZstdDecoder = (data: Uint8Array) => Uint8Array;
let zstdDecoder: Promise<ZstdDecoder> | undefined;

/** Decodes zstd (the Codex CLI's request encoding): node:zlib where it has it (Node ≥ 22.15), else zstd in WebAssembly. */
export async function decodeZstd(data: Uint8Array): Promise<Buffer> {
  zstdDecoder ??= (async (): Promise<ZstdDecoder> => {
    const native = (zlib as unknown as { zstdDecompressSync?: ZstdDecoder }).zstdDecompressSync;
    return typeof native === "function" ? native : wasmZstdDecoder();
  })();
  const decode = await zstdDecoder;
  return Buffer.from(decode(data));
}
