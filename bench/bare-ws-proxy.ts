// The agent cell's reference: the least a Node gateway can do between a chat-completions client that re-sends its
// whole history and a backend spoken to over one WebSocket per conversation. A bare node:http server that reads the
// body, JSON.parses it (it must, to find the new items), sends the first turn in full and every later turn as the
// last tool result with `previous_response_id`, and writes each backend frame to the client as it comes — no
// routing framework, no validation, no history comparison, no translation beyond one chat chunk for the tool call
// (so the bench's client sees it), no token store. The first turn is converted by the relay's own code. What the relay costs beyond this is the relay's own work; what
// this costs beyond the direct WebSocket is the price of any such hop on this machine (a 200 KB body read and
// parsed, two more processes woken per turn). Started by bench/run.ts with UPSTREAM_WS, ACCESS_TOKEN, ACCOUNT_ID.

import { createServer, type ServerResponse } from "node:http";
import type WebSocket from "ws";
import { parseChatRequest } from "../src/openai/chat-request-schema.ts";
import { deriveConversationKey, toResponsesRequest } from "../src/openai/to-responses-request.ts";
import { openInlineSocket } from "./agent-conversation.ts";
import { defaultModels } from "../test/fakes/models.ts";

const url = process.env.UPSTREAM_WS;
if (!url) throw new Error("UPSTREAM_WS is not set");

interface Conversation {
  ws: WebSocket;
  responseId: string;
  settings: Record<string, unknown>;
}

const conversations = new Map<string, Conversation>();

function connect(): Promise<WebSocket> {
  return openInlineSocket(url!, {
    authorization: `Bearer ${process.env.ACCESS_TOKEN}`,
    "chatgpt-account-id": process.env.ACCOUNT_ID ?? "",
    "openai-beta": "responses_websockets=2026-02-06",
    originator: "codex_cli_rs",
  });
}

function turn(c: Conversation, frame: string, res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const onMessage = (data: WebSocket.RawData) => {
    const text = data.toString();
    const e = JSON.parse(text) as {
      type: string;
      item?: { type?: string; call_id?: string; name?: string; arguments?: string };
      response?: { id?: string };
    };
    if (e.type === "response.created") c.responseId = e.response?.id ?? "";
    res.write(`data: ${text}\n\n`);
    if (e.item?.type === "function_call" && e.type.startsWith("response.output_item.")) {
      const done = e.type === "response.output_item.done";
      const call = done
        ? { function: { arguments: e.item.arguments } }
        : { id: e.item.call_id, type: "function", function: { name: e.item.name } };
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { tool_calls: [call] } }] })}\n\n`);
    }
    if (e.type === "response.completed" || e.type === "error") {
      c.ws.off("message", onMessage);
      res.end("data: [DONE]\n\n");
    }
  };
  c.ws.on("message", onMessage);
  c.ws.send(frame);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    void (async () => {
      const json = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        model?: string;
        messages: Record<string, unknown>[];
      };
      // The bench's conversations differ in their first user message.
      const key = JSON.stringify(json.messages[1]);
      let c = conversations.get(key);
      if (!c) {
        // The first turn is converted as the relay would (not timed against the goal: turn 30 is).
        const body = toResponsesRequest(parseChatRequest(json), {
          model: String(json.model ?? ""),
          defaults: { effort: "medium", summary: "auto" },
          instructions: String(defaultModels().find((m) => m.slug === json.model)?.base_instructions ?? ""),
          instructionsMode: "developer",
          promptCacheKey: deriveConversationKey(parseChatRequest(json)),
        });
        const { input, ...settings } = body;
        c = { ws: await connect(), responseId: "", settings };
        conversations.set(key, c);
        return turn(c, JSON.stringify({ type: "response.create", ...settings, input }), res);
      }
      const last = json.messages.at(-1)!;
      const input = [{ type: "function_call_output", call_id: last.tool_call_id, output: last.content }];
      const frame = { type: "response.create", ...c.settings, input, previous_response_id: c.responseId };
      turn(c, JSON.stringify(frame), res);
    })().catch(() => res.destroy());
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ type: "ready", port: typeof address === "object" && address ? address.port : 0 });
});
process.on("SIGTERM", () => {
  for (const c of conversations.values()) c.ws.terminate();
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
