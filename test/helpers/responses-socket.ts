// A client of the relay's Responses WebSocket (GET /v1/responses with an upgrade), for the tests of that endpoint.

import WebSocket from "ws";

export type SocketEvent = Record<string, unknown> & { type: string };

const TERMINAL = ["response.completed", "response.failed", "response.incomplete", "error"];

/** Opens a WebSocket to `relayUrl`'s /v1/responses; rejects with the HTTP status of a refused upgrade. */
export function connectResponsesSocket(
  relayUrl: string,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${relayUrl.replace(/^http/, "ws")}/v1/responses`, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

/** Sends one frame and collects the events until the turn's terminal one (or an error frame). */
export function socketTurn(ws: WebSocket, frame: Record<string, unknown>): Promise<SocketEvent[]> {
  return new Promise((resolve) => {
    const events: SocketEvent[] = [];
    const onMessage = (data: WebSocket.RawData) => {
      const e = JSON.parse(data.toString()) as SocketEvent;
      events.push(e);
      if (TERMINAL.includes(e.type)) {
        ws.off("message", onMessage);
        resolve(events);
      }
    };
    ws.on("message", onMessage);
    ws.send(JSON.stringify(frame));
  });
}
