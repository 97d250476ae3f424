import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { scriptedRelay, textEvents } from "../routes/route-test-relay.ts";
import type { Credentials } from "../auth/types.ts";
import { openResponsesSocket } from "../routes/openai-responses-socket.ts";

/** A relay whose upstream tells when the credentials were asked for, and a body that ends only on request. */
function setup(env: Record<string, string> = {}) {
  const s = scriptedRelay(env);
  const events: string[] = [];
  const ahead = Promise.resolve({ accessToken: "tok", accountId: "acct" } as Credentials);
  Object.assign(s.relay.upstream, {
    credentialsAhead() {
      events.push("credentials asked");
      return ahead;
    },
  });
  const app = createApp(s.relay);
  /** Sends `json` in two pieces; the second only once the first was read and a few loop turns passed. */
  const post = (path: string, json: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(json);
    const encoder = new TextEncoder();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) {
          sent = 1;
          controller.enqueue(encoder.encode(text.slice(0, 10)));
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
        controller.enqueue(encoder.encode(text.slice(10)));
        events.push("body sent");
        controller.close();
      },
    });
    return app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      duplex: "half",
    } as RequestInit);
  };
  return { ...s, events, ahead, post };
}

describe("credentials read ahead", () => {
  it.each([
    ["/v1/chat/completions", { model: "gpt-5.5", messages: [{ role: "user", content: "Hi" }] }],
    ["/v1/completions", { model: "gpt-5.5", prompt: "Hi" }],
    ["/v1/responses", { model: "gpt-5.5", input: "Hi" }],
    ["/v1/messages", { model: "gpt-5.5", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] }],
  ])(
    "%s asks for the turn's credentials before its body has arrived, and the turn uses them",
    async (path, json) => {
      const t = setup();
      t.enqueue(textEvents("resp_1", "Hello."));
      const res = await t.post(path, json);
      expect(res.status).toBe(200);
      await res.text();
      expect(t.events).toEqual(["credentials asked", "body sent"]);
      expect(t.calls[0]!.options.credentials).toBe(t.ahead);
    },
  );

  it("a Responses WebSocket turn asks for them when its frame arrives, and uses them", async () => {
    const t = setup();
    t.enqueue(textEvents("resp_1", "Hello."));
    const sent: string[] = [];
    const session = openResponsesSocket(t.relay, { send: (text) => sent.push(text) }, () => undefined);
    session.message(JSON.stringify({ type: "response.create", model: "gpt-5.5", input: "Hi" }));
    await session.idle();
    expect(sent.at(-1)).toContain('"response.completed"');
    expect(t.events).toEqual(["credentials asked"]);
    expect(t.calls[0]!.options.credentials).toBe(t.ahead);
  });

  it("asks nothing for a caller without the API key, nor on routes that start no turn", async () => {
    const t = setup({ OPENAI_API_KEY: "sk-relay" });
    const res = await t.post("/v1/chat/completions", { model: "gpt-5.5", messages: [] });
    expect(res.status).toBe(401);
    const counted = await t.post(
      "/v1/messages/count_tokens",
      { model: "gpt-5.5", messages: [] },
      {
        authorization: "Bearer sk-relay",
      },
    );
    await counted.text();
    expect(t.events).not.toContain("credentials asked");
  });
});
