import { describe, expect, it } from "vitest";
import { RequestRecord, type RequestRecordHooks } from "./request-record.ts";
import type { RequestEntry } from "./request-log.ts";
import type { ResponsesRequestBody } from "../responses/types.ts";

function hooks() {
  const entries: RequestEntry[] = [];
  let asked = 0;
  const h: RequestRecordHooks = {
    account: () => {
      asked++;
      return "…pool";
    },
    streamOpened() {},
    streamClosed() {},
    done: (e) => entries.push(e),
  };
  return { h, entries, asked: () => asked };
}

const body = { model: "gpt-5.4", reasoning: { effort: "low" } } as unknown as ResponsesRequestBody;

describe("RequestRecord: the account", () => {
  it("is the one that took the turn, without reading the token state", () => {
    const { h, entries, asked } = hooks();
    const r = new RequestRecord("r-1", "POST", "/v1/chat/completions", h);
    r.turnStarted(body);
    r.servedBy("…abcd1234");
    r.turnEnded();
    r.responded(200, false, null);
    expect(entries[0]!.account).toBe("…abcd1234");
    expect(entries[0]!.model).toBe("gpt-5.4");
    expect(asked()).toBe(0);
  });

  it("is the one the turn would have used when the backend never took it", () => {
    const { h, entries } = hooks();
    const r = new RequestRecord("r-2", "POST", "/v1/chat/completions", h);
    r.turnStarted(body);
    r.failed("upstream_unreachable");
    r.turnEnded();
    r.responded(502, false, "upstream_unreachable");
    expect(entries[0]!.account).toBe("…pool");
    expect(entries[0]!.error).toBe("upstream_unreachable");
  });

  it("is none for a request without a turn", () => {
    const { h, entries, asked } = hooks();
    new RequestRecord("r-3", "GET", "/v1/models", h).responded(200, false, null);
    expect(entries[0]!.account).toBeNull();
    expect(asked()).toBe(0);
  });
});
