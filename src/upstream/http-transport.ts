// The HTTP/SSE transport: one POST to {base}/responses per attempt, the reply read as Server-Sent Events.

import type { TransportAttempt, TransportOutcome, UpstreamTransport } from "./transport.ts";
import { readSseEvents } from "./sse-event-stream.ts";

export interface HttpTransportDeps {
  url: string;
  fetch?: typeof fetch;
}

export function createHttpTransport(deps: HttpTransportDeps): UpstreamTransport {
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));
  async function send(attempt: TransportAttempt): Promise<TransportOutcome> {
    const res = await doFetch(deps.url, {
      method: "POST",
      headers: { ...attempt.headers, accept: "text/event-stream", "content-type": "application/json" },
      body: attempt.payload,
      signal: attempt.controller.signal,
    });
    if (res.ok && res.body) {
      return {
        ok: true,
        headers: res.headers,
        events: readSseEvents(res.body, attempt.controller, attempt.idleMs, attempt.clientSignal),
      };
    }
    const text = await res.text().catch(() => "");
    return { ok: false, status: res.status, text, headers: res.headers };
  }
  return { send };
}
