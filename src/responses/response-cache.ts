// Emulates `previous_response_id` (and `item_reference` input items) for a backend that stores nothing: a bounded
// in-memory LRU of recent responses, id → the input items sent and the output items received. A request that names
// a previous response gets those items replayed in front of its own input.
//
// Replayed items lose their `id` (with store:false the backend answers "Item with id '…' not found" for ids it never
// stored) but keep everything else, notably the `encrypted_content` of reasoning items, which is how the model gets
// its earlier reasoning back. Reasoning items without encrypted content cannot be replayed and are left out.
//
// Memory: stored items are shared between entries (turn N's input holds the very objects of turn N−1's input and
// output), so a long conversation costs about its own size, not the square of it. The byte bound counts each
// entry's items in full, so it errs on the side of evicting early. Runtime-agnostic: plain Maps, no timers.

import { invalidRequest, type RelayError } from "../core/errors.ts";
import type { JsonObject, ResponsesInputItem } from "./types.ts";

export interface ResponseCacheOptions {
  /** Most responses kept. */
  maxEntries?: number;
  /** Approximate bytes kept (strings count their length, structure a little overhead). */
  maxBytes?: number;
}

interface Entry {
  input: ResponsesInputItem[];
  output: ResponsesInputItem[];
  /** Original ids of the output items (for item_reference), parallel to `output`. */
  outputIds: (string | undefined)[];
  /** The session key the response ran under: a continuation keeps it (and with it the prompt cache). */
  sessionId: string | undefined;
  bytes: number;
}

export interface PreviousResponse {
  /** The items to replay: input then output. */
  items: ResponsesInputItem[];
  sessionId: string | undefined;
}

export const DEFAULT_CACHE_ENTRIES = 200;
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  /** Output item id → id of the response holding it. */
  private readonly itemIndex = new Map<string, string>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private totalBytes = 0;
  /** Cached size estimate per stored item object (items are shared between entries). */
  private readonly sizes = new WeakMap<object, number>();

  constructor(options: ResponseCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_CACHE_ENTRIES);
    this.maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_CACHE_BYTES);
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Records a finished response. `input` is what was sent upstream, `output` the items received. A response larger
   * than the whole budget is not kept.
   */
  set(
    id: string,
    input: readonly ResponsesInputItem[],
    output: readonly ResponsesInputItem[],
    sessionId?: string,
  ): void {
    this.delete(id);
    const storedInput = replayable(input);
    const storedOutput: ResponsesInputItem[] = [];
    const outputIds: (string | undefined)[] = [];
    for (const item of output) {
      const r = replayableItem(item);
      if (r === null) continue;
      storedOutput.push(r);
      outputIds.push(typeof item.id === "string" ? item.id : undefined);
    }
    let bytes = 64;
    for (const item of storedInput) bytes += this.sizeOf(item);
    for (const item of storedOutput) bytes += this.sizeOf(item);
    if (bytes > this.maxBytes) return;
    this.entries.set(id, { input: storedInput, output: storedOutput, outputIds, sessionId, bytes });
    this.totalBytes += bytes;
    for (const itemId of outputIds) if (itemId !== undefined) this.itemIndex.set(itemId, id);
    this.evict();
  }

  /** What `previous_response_id` stands for, or undefined when unknown. */
  previous(id: string): PreviousResponse | undefined {
    const entry = this.touch(id);
    if (!entry) return undefined;
    const items = entry.output.length === 0 ? entry.input : [...entry.input, ...entry.output];
    return { items, sessionId: entry.sessionId };
  }

  /** The items to replay for `previous_response_id` (input then output), or undefined when unknown. */
  history(id: string): ResponsesInputItem[] | undefined {
    return this.previous(id)?.items;
  }

  /** A stored output item by its original id (for `{type:"item_reference", id}`). */
  findItem(itemId: string): ResponsesInputItem | undefined {
    const responseId = this.itemIndex.get(itemId);
    if (responseId === undefined) return undefined;
    const entry = this.touch(responseId);
    if (!entry) return undefined;
    const i = entry.outputIds.indexOf(itemId);
    return i >= 0 ? entry.output[i] : undefined;
  }

  /**
   * Replaces `item_reference` items by the stored items they name. Returns the same array when there are none.
   * An unknown reference is a 400 naming the item.
   */
  resolveReferences(items: ResponsesInputItem[]): ResponsesInputItem[] {
    let out: ResponsesInputItem[] | null = null;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as ResponsesInputItem;
      if (item.type !== "item_reference") {
        if (out !== null) out.push(item);
        continue;
      }
      const ref = typeof item.id === "string" ? item.id : "";
      const found = this.findItem(ref);
      if (found === undefined) throw itemNotFound(i, ref);
      if (out === null) out = items.slice(0, i);
      out.push(found);
    }
    return out ?? items;
  }

  private touch(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    // Map order is the recency order: move to the end.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  private delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.totalBytes -= entry.bytes;
    for (const itemId of entry.outputIds) {
      if (itemId !== undefined && this.itemIndex.get(itemId) === id) this.itemIndex.delete(itemId);
    }
  }

  private evict(): void {
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      this.delete(oldest.value);
    }
  }

  private sizeOf(item: object): number {
    let n = this.sizes.get(item);
    if (n === undefined) {
      n = approxSize(item);
      this.sizes.set(item, n);
    }
    return n;
  }
}

/** The 400 for an `item_reference` to an item the cache does not hold. */
export function itemNotFound(index: number, ref: string): RelayError {
  return invalidRequest(
    `input[${index}]`,
    `Item with id '${ref}' not found. codex-relay keeps the items of recent responses in memory only (the ChatGPT backend stores nothing); send the item itself instead of a reference, or set store:false in your client.`,
    "item_not_found",
  );
}

function replayable(items: readonly ResponsesInputItem[]): ResponsesInputItem[] {
  const out: ResponsesInputItem[] = [];
  for (const item of items) {
    const r = replayableItem(item);
    if (r !== null) out.push(r);
  }
  return out;
}

/** The item as it can be sent again with store:false: without its id; null when it cannot be replayed. */
export function replayableItem(item: ResponsesInputItem): ResponsesInputItem | null {
  if (item.type === "reasoning" && typeof item.encrypted_content !== "string") return null;
  if (item.type === "item_reference") return null;
  if (!("id" in item)) return item;
  const copy: JsonObject = { ...item };
  delete copy.id;
  return copy as ResponsesInputItem;
}

/** Rough JSON size without serialising: string lengths plus a little per value. */
export function approxSize(value: unknown): number {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object") return 8;
  let n = 2;
  if (Array.isArray(value)) {
    for (const v of value) n += approxSize(v) + 1;
    return n;
  }
  for (const key of Object.keys(value)) n += key.length + 4 + approxSize((value as JsonObject)[key]);
  return n;
}
