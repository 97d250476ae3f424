import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createNodeLogger, pickLogFormat } from "./logger.ts";
import { loadConfig } from "../config.ts";

function output(format: "pretty" | "json"): { log: ReturnType<typeof createNodeLogger>; text: () => string } {
  const sink = new PassThrough();
  let text = "";
  sink.on("data", (d: Buffer) => (text += d.toString()));
  return { log: createNodeLogger({ logLevel: "info", logFormat: format }, sink), text: () => text };
}

describe("the Node logger", () => {
  it("writes JSON lines with level names and ISO times", async () => {
    const o = output("json");
    o.log.info({ route: "/v1/models", authorization: "Bearer sk-secret" }, "GET /v1/models 200 3 ms");
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(o.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "info", route: "/v1/models", msg: "GET /v1/models 200 3 ms" });
    expect(String(line.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(o.text()).not.toContain("sk-secret");
  });

  it("writes pretty single lines with human times", async () => {
    const o = output("pretty");
    o.log.info({ route: "/v1/models", status: 200 }, "GET /v1/models 200 3 ms");
    await new Promise((r) => setImmediate(r));
    const lines = o.text().trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/v1\/models 200 3 ms /);
    expect(lines[0]).toContain('"status":200');
  });

  it("is pretty on a terminal and JSON otherwise, unless LOG_FORMAT says", () => {
    expect(pickLogFormat(null, true)).toBe("pretty");
    expect(pickLogFormat(null, false)).toBe("json");
    expect(pickLogFormat("json", true)).toBe("json");
    expect(pickLogFormat("pretty", false)).toBe("pretty");
    expect(loadConfig({ LOG_FORMAT: "Pretty" }).logFormat).toBe("pretty");
    expect(loadConfig({}).logFormat).toBeNull();
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT/);
  });
});
