import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { nodeFetch } from "./http-fetch.ts";

let server: http.Server;
let base: string;
const seen: { method?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: one\n\n");
        setTimeout(() => res.end("data: two\n\n"), 20);
        return;
      }
      if (req.url === "/cut") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: one\n\n");
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.writeHead(req.url === "/missing" ? 404 : 200, {
        "content-type": "application/json",
        "x-codex-plan-type": "plus",
      });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("nodeFetch", () => {
  it("sends the method, the headers of a plain record (names in lower case) and a string body", async () => {
    const res = await nodeFetch(`${base}/json`, {
      method: "POST",
      headers: { Authorization: "Bearer t", "content-type": "application/json" },
      body: '{"a":"é"}',
    });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(await res.json()).toEqual({ ok: true });
    const sent = seen.at(-1)!;
    expect(sent.method).toBe("POST");
    expect(sent.headers.authorization).toBe("Bearer t");
    expect(sent.headers["content-length"]).toBe(String(Buffer.byteLength('{"a":"é"}')));
    expect(sent.body).toBe('{"a":"é"}');
  });

  it("takes Headers and pairs too, and byte bodies", async () => {
    await nodeFetch(`${base}/json`, {
      method: "POST",
      headers: new Headers({ "X-One": "1" }),
      body: new TextEncoder().encode("bytes"),
    });
    expect(seen.at(-1)!.headers["x-one"]).toBe("1");
    expect(seen.at(-1)!.body).toBe("bytes");
    await nodeFetch(`${base}/json`, { headers: [["X-Two", "2"]] });
    expect(seen.at(-1)!.headers["x-two"]).toBe("2");
    expect(seen.at(-1)!.method).toBe("GET");
  });

  it("refuses a header value node:http would not send", async () => {
    await expect(nodeFetch(`${base}/json`, { headers: { "x-bad": "a\nb" } })).rejects.toThrow();
  });

  it("answers with a standard Response: status, every header, repeated ones too", async () => {
    const res = await nodeFetch(`${base}/missing`);
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(404);
    expect(res.ok).toBe(false);
    expect(res.headers.get("x-codex-plan-type")).toBe("plus");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await res.text()).toBe('{"ok":true}');
  });

  it("streams the body as it comes, and errors it when the connection breaks", async () => {
    const res = await nodeFetch(`${base}/stream`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: one\n\n");
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe("data: two\n\n");
    const cut = await nodeFetch(`${base}/cut`);
    await expect(cut.text()).rejects.toThrow();
  });

  it("rejects at once on an aborted signal, and errors the body when aborted mid-stream", async () => {
    const before = new AbortController();
    before.abort(new Error("gone"));
    await expect(nodeFetch(`${base}/json`, { signal: before.signal })).rejects.toThrow("gone");
    const during = new AbortController();
    const res = await nodeFetch(`${base}/stream`, { signal: during.signal });
    const reader = res.body!.getReader();
    await reader.read();
    during.abort(new Error("stopped"));
    await expect(reader.read()).rejects.toThrow();
  });
});
