import { describe, expect, it } from "vitest";
import { OutputIndexCompactor } from "./output-index.ts";

describe("OutputIndexCompactor", () => {
  it("closes gaps in order of first appearance and leaves other events alone", () => {
    const c = new OutputIndexCompactor();
    const events = [
      { type: "response.created" },
      { type: "response.output_item.added", output_index: 0 },
      { type: "response.output_item.done", output_index: 0 },
      { type: "response.output_item.added", output_index: 2 },
      { type: "response.output_text.delta", output_index: 2 },
      { type: "response.output_item.added", output_index: 5 },
      { type: "response.output_item.done", output_index: 2 },
    ];
    for (const e of events) c.apply(e);
    expect(events.map((e) => e.output_index)).toEqual([undefined, 0, 0, 1, 1, 2, 1]);
  });
});
