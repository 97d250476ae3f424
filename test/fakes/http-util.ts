// Small node:http helpers shared by the fake backend and the fake issuer.

import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Decoder = (buf: Buffer) => Buffer;

// zstd only exists in newer Node releases (Codex compresses with it); look it up at run time.
const zstd = (zlib as unknown as { zstdDecompressSync?: Decoder }).zstdDecompressSync;

const decoders: Record<string, Decoder | undefined> = {
  gzip: (b) => zlib.gunzipSync(b),
  deflate: (b) => zlib.inflateSync(b),
  br: (b) => zlib.brotliDecompressSync(b),
  zstd,
};

export async function readBody(req: IncomingMessage, limitBytes = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw new BodyError(413, "Request body too large");
    chunks.push(buf);
  }
  let body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase().trim();
  if (encoding !== "identity" && encoding !== "") {
    const decode = decoders[encoding];
    if (!decode) throw new BodyError(415, `Unsupported Content-Encoding: ${encoding}`);
    try {
      body = decode(body);
    } catch {
      throw new BodyError(400, `Could not decode the ${encoding} request body`);
    }
  }
  return body;
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
