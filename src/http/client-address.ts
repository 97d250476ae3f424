// The address of the client, for logs: the socket's peer on Node (@hono/node-server passes the IncomingMessage as
// `env.incoming`), the connecting IP on Workers. Never taken from X-Forwarded-For, which any client can set.

import type { Context } from "hono";

export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress;
  if (typeof peer === "string" && peer !== "") return peer;
  return c.req.header("cf-connecting-ip") ?? "unknown";
}
