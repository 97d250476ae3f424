// Dense output_index numbers for a Responses stream. The backend numbers output items with gaps (a recorded stream
// goes 0, 2: an item it keeps to itself), and the openai SDK's stream accumulator indexes its snapshot by
// output_index, so a gap makes it throw ("missing output at index 2"). Each backend index is mapped, in order of
// first appearance, to the next free one; events are renumbered in place before they are aggregated or re-sent.

import type { UpstreamEvent } from "./types.ts";

export class OutputIndexCompactor {
  private readonly indexes = new Map<number, number>();

  apply(event: UpstreamEvent): void {
    const index = event.output_index;
    if (typeof index !== "number") return;
    let dense = this.indexes.get(index);
    if (dense === undefined) {
      dense = this.indexes.size;
      this.indexes.set(index, dense);
    }
    if (dense !== index) event.output_index = dense;
  }
}
