// A tiny stand-in for a real Ollama server on loopback, for the OLLAMA_API_URL tests: it lists one model, answers
// /api/chat as an NDJSON stream whose last line waits until the test releases it (so a test can prove the relay
// streams instead of buffering), and records every request.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const FAKE_OLLAMA_MODEL = "llama3.2:latest";

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  headers: IncomingMessage["headers"];
}

export interface FakeOllama {
  url: string;
  requests: RecordedRequest[];
  /** Lets the held last line of the current /api/chat stream go out. */
  release(): void;
  close(): Promise<void>;
}

const TAG = {
  name: FAKE_OLLAMA_MODEL,
  model: FAKE_OLLAMA_MODEL,
  modified_at: "2025-05-01T10:00:00.000000000Z",
  size: 2019393189,
  digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
  details: {
    parent_model: "",
    format: "gguf",
    family: "llama",
    families: ["llama"],
    parameter_size: "3.2B",
    quantization_level: "Q4_K_M",
  },
};

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(text === "" ? null : JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}

function line(obj: unknown): string {
  return JSON.stringify(obj) + "\n";
}

export async function startFakeOllama(): Promise<FakeOllama> {
  const requests: RecordedRequest[] = [];
  let releaseHeld: (() => void) | null = null;
  let releasedEarly = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const body = await readBody(req);
    requests.push({ method: req.method ?? "GET", path, body, headers: req.headers });
    const model = (body as { model?: string } | null)?.model ?? FAKE_OLLAMA_MODEL;
    const created_at = new Date().toISOString();

    if (req.method === "GET" && path === "/api/tags") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ models: [TAG] }));
      return;
    }
    if (req.method === "GET" && path === "/api/ps") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ models: [{ ...TAG, expires_at: created_at, size_vram: 1 }] }));
      return;
    }
    if (req.method === "POST" && path === "/api/chat") {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(
        line({ model, created_at, message: { role: "assistant", content: "Hi from " }, done: false }),
      );
      res.write(
        line({ model, created_at, message: { role: "assistant", content: "local llama" }, done: false }),
      );
      await new Promise<void>((resolve) => {
        if (releasedEarly) resolve();
        else releaseHeld = resolve;
      });
      releasedEarly = false;
      releaseHeld = null;
      res.end(
        line({
          model,
          created_at,
          message: { role: "assistant", content: "" },
          done: true,
          done_reason: "stop",
          total_duration: 5,
          load_duration: 1,
          prompt_eval_count: 3,
          prompt_eval_duration: 1,
          eval_count: 2,
          eval_duration: 1,
        }),
      );
      return;
    }
    if (req.method === "POST" && path === "/api/generate") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(
        JSON.stringify({ model, created_at, response: "generated locally", done: true, done_reason: "stop" }),
      );
      return;
    }
    if (req.method === "POST" && path === "/api/show") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(
        JSON.stringify({ modelfile: "FROM llama3.2", details: TAG.details, capabilities: ["completion"] }),
      );
      return;
    }
    if (req.method === "POST" && path === "/v1/chat/completions") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "chatcmpl-local",
          object: "chat.completion",
          created: 0,
          model,
          choices: [
            { index: 0, message: { role: "assistant", content: "local openai" }, finish_reason: "stop" },
          ],
        }),
      );
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    release() {
      if (releaseHeld) releaseHeld();
      else releasedEarly = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
