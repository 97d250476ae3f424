import { describe, expect, it } from "vitest";
import { RECORDED, loadRecorded, splitResponses } from "../../test/helpers/recorded.ts";
import { ResponseAggregator, outputText } from "./response-aggregator.ts";
import type { JsonObject, UpstreamEvent } from "./types.ts";

const created: UpstreamEvent = {
  type: "response.created",
  sequence_number: 0,
  response: {
    id: "resp_1",
    object: "response",
    created_at: 1700000000,
    status: "in_progress",
    model: "gpt-5.5",
    output: [],
  },
};
const msg = (id: string, text: string) => ({
  type: "message",
  id,
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [] }],
});
const done = (index: number, item: JsonObject, seq: number): UpstreamEvent => ({
  type: "response.output_item.done",
  sequence_number: seq,
  output_index: index,
  item,
});
const completed = (output: unknown[] = [], extra: JsonObject = {}): UpstreamEvent => ({
  type: "response.completed",
  sequence_number: 9,
  response: {
    id: "resp_1",
    object: "response",
    created_at: 1700000000,
    status: "completed",
    model: "gpt-5.5",
    output,
    usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    ...extra,
  },
});

describe("ResponseAggregator", () => {
  it("rebuilds output from output_item.done in output_index order", () => {
    const a = new ResponseAggregator("m");
    a.push(created);
    a.push(done(1, msg("msg_2", "second"), 2));
    a.push(done(0, { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "E" }, 1));
    a.push(completed());
    const r = a.finalResponse();
    expect((r.output as JsonObject[]).map((i) => i.id)).toEqual(["rs_1", "msg_2"]);
    expect(r).toMatchObject({
      id: "resp_1",
      object: "response",
      status: "completed",
      model: "gpt-5.5",
      error: null,
      incomplete_details: null,
    });
    expect(r.usage).toEqual({ input_tokens: 3, output_tokens: 2, total_tokens: 5 });
  });

  it("fills an empty terminal output in place and recomputes output_text", () => {
    const a = new ResponseAggregator("m");
    a.push(created);
    a.push(done(0, msg("msg_1", "Hello"), 1));
    const event = completed([], { output_text: "" });
    a.push(event);
    const response = event.response as JsonObject;
    a.fillOutput(response);
    expect(response.output).toEqual([msg("msg_1", "Hello")]);
    expect(response.output_text).toBe("Hello");
  });

  it("leaves a non-empty terminal output alone", () => {
    const a = new ResponseAggregator("m");
    a.push(done(0, msg("msg_1", "Hello"), 1));
    const response = { output: [msg("msg_x", "theirs")] };
    a.fillOutput(response);
    expect(response.output).toEqual([msg("msg_x", "theirs")]);
  });

  it("reports failures from response.failed and error events", () => {
    const a = new ResponseAggregator("m");
    a.push({
      type: "response.failed",
      response: { id: "resp_1", error: { code: "context_length_exceeded", message: "too long" } },
    });
    expect(a.failure()).toEqual({ code: "context_length_exceeded", message: "too long" });
    const b = new ResponseAggregator("m");
    b.push({ type: "error", code: "server_is_overloaded", message: "busy" });
    expect(b.terminal).toBeUndefined();
    expect(b.failure()).toEqual({ code: "server_is_overloaded", message: "busy" });
    // A response.failed after the error event is the one that counts.
    b.push({
      type: "response.failed",
      response: { error: { code: "insufficient_quota", message: "quota" } },
    });
    expect(b.failure()).toEqual({ code: "insufficient_quota", message: "quota" });
    const c = new ResponseAggregator("m");
    c.push(completed());
    expect(c.failure()).toBeUndefined();
  });

  it("marks an incomplete response", () => {
    const a = new ResponseAggregator("m");
    a.push(created);
    a.push({
      type: "response.incomplete",
      response: {
        id: "resp_1",
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
        output: [],
      },
    });
    expect(a.finalResponse()).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
    });
  });

  it("builds a response.failed event that continues the sequence", () => {
    const a = new ResponseAggregator("fallback");
    a.push(created);
    a.push(done(0, msg("msg_1", "partial"), 4));
    const e = a.failedEvent({ message: "broke", code: "upstream_stream_error" });
    expect(e.type).toBe("response.failed");
    expect(e.sequence_number).toBe(5);
    expect(e.response).toMatchObject({
      id: "resp_1",
      status: "failed",
      error: { code: "upstream_stream_error", message: "broke" },
      output: [msg("msg_1", "partial")],
    });
  });

  it("writes the client's previous_response_id into every response object and the failed event", () => {
    const a = new ResponseAggregator("m", "resp_prev");
    const event = structuredClone(created);
    a.push(event);
    expect((event.response as JsonObject).previous_response_id).toBe("resp_prev");
    expect(a.finalResponse().previous_response_id).toBe("resp_prev");
    const empty = new ResponseAggregator("m", "resp_prev");
    expect((empty.failedEvent({ message: "x" }).response as JsonObject).previous_response_id).toBe(
      "resp_prev",
    );
  });

  it("makes up what a response without response.created lacks", () => {
    const a = new ResponseAggregator("gpt-x");
    const e = a.failedEvent({ message: "no" });
    expect(e.response).toMatchObject({
      object: "response",
      model: "gpt-x",
      status: "failed",
      error: { code: "upstream_error" },
    });
    expect(String((e.response as JsonObject).id)).toMatch(/^resp_/);
  });

  it("aggregates a recorded reasoning stream", () => {
    const a = new ResponseAggregator("m");
    for (const e of splitResponses(loadRecorded(RECORDED.azureMultiSummary))[0]!) a.push(e);
    const r = a.finalResponse();
    const types = (r.output as JsonObject[]).map((i) => i.type);
    expect(types).toContain("reasoning");
    expect(types).toContain("message");
    expect(outputText(r.output as JsonObject[]).length).toBeGreaterThan(0);
  });
});
