// Small synchronous hashes for the runtime-agnostic core (no node:crypto, no WebCrypto promise): stable keys and
// tags derived from text, never security. FNV-1a over UTF-16 code units, murmur3's finaliser to spread near inputs.

/** FNV-1a, 32 bit, of `text`'s UTF-16 code units: 0 … 2³²−1. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finaliser (avalanche): every input bit moves every output bit. 0 … 2³²−1. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * 128-bit hash of a string (four FNV-1a lanes over UTF-16 code units with different offsets, each finished with a
 * murmur3 avalanche), written as a UUID. Sync and runtime-agnostic: no node:crypto, no WebCrypto promise.
 */
export function hashToUuid(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  let c = 0x85ebca6b;
  let d = 0xc2b2ae35;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    b = Math.imul(b ^ ch, 0x01000193) ^ (a >>> 15);
    c = Math.imul(c ^ ch, 0x01000193) + b;
    d = Math.imul(d ^ ch, 0x01000193) ^ (c >>> 13);
  }
  const words = [fmix32(a ^ text.length), fmix32(b + a), fmix32(c ^ b), fmix32(d + c)];
  let hex = "";
  for (const w of words) hex += (w >>> 0).toString(16).padStart(8, "0");
  // Version 8 (custom), RFC 9562 variant.
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
