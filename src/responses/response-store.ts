// Where `previous_response_id` and `item_reference` are looked up: the interface the /v1/responses route uses,
// with the in-process cache as its default implementation. Several instances behind a load balancer use the
// Redis one (redis-response-store.ts), so the next turn of a conversation may land on any of them.

import { ResponseCache, itemNotFound, type PreviousResponse } from "./response-cache.ts";
import type { ResponsesInputItem } from "./types.ts";

export interface ResponseStore {
  readonly kind: "memory" | "redis";
  /** What `previous_response_id` stands for, or undefined when unknown (or expired). */
  previous(id: string): Promise<PreviousResponse | undefined>;
  /** Replaces `item_reference` items by the stored items; an unknown one is a 400 naming it. */
  resolveReferences(items: ResponsesInputItem[]): Promise<ResponsesInputItem[]>;
  /** Records a finished response (what was sent upstream and the items received). Never throws. */
  remember(
    id: string,
    input: readonly ResponsesInputItem[],
    output: readonly ResponsesInputItem[],
    sessionId?: string,
  ): Promise<void>;
}

export function createMemoryResponseStore(cache = new ResponseCache()): ResponseStore {
  return {
    kind: "memory",
    previous: async (id) => cache.previous(id),
    resolveReferences: async (items) => cache.resolveReferences(items),
    remember: async (id, input, output, sessionId) => cache.set(id, input, output, sessionId),
  };
}

/** `resolveReferences` over an asynchronous lookup; the same array back when there are no references. */
export async function resolveItemReferences(
  items: ResponsesInputItem[],
  findItem: (itemId: string) => Promise<ResponsesInputItem | undefined>,
): Promise<ResponsesInputItem[]> {
  let out: ResponsesInputItem[] | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ResponsesInputItem;
    if (item.type !== "item_reference") {
      if (out !== null) out.push(item);
      continue;
    }
    const ref = typeof item.id === "string" ? item.id : "";
    const found = await findItem(ref);
    if (found === undefined) throw itemNotFound(i, ref);
    if (out === null) out = items.slice(0, i);
    out.push(found);
  }
  return out ?? items;
}
