// A stable key per Claude Code session, sent as `prompt_cache_key` and `session-id` so that the backend's prompt
// cache keeps hitting turn after turn. From, first that is there:
//   the x-claude-code-session-id header;
//   metadata.user_id — Claude Code puts a JSON string there ({"device_id","account_uuid","session_id"}): its
//   session_id, else the whole string (a plain user id from another client: stable per user);
//   the first system text (billing line stripped) and the first user message, which stay the same as a
//   conversation grows.
// Hashed to a UUID like the chat route's key (hashToUuid), so no client text reaches the backend's headers.

import { hashToUuid } from "../core/hash.ts";
import type { MessagesRequest } from "./request-schema.ts";
import { systemTexts } from "./system-prompt.ts";

const TEXT_LIMIT = 16_384;

export function derivePromptCacheKey(req: MessagesRequest, sessionHeader: string | undefined): string {
  if (sessionHeader && sessionHeader.trim() !== "")
    return hashToUuid(`claude-session\u0000${sessionHeader.trim()}`);
  const userId = req.metadata?.user_id;
  if (typeof userId === "string" && userId !== "") {
    const session = sessionIdIn(userId);
    return session === null
      ? hashToUuid(`anthropic-user\u0000${userId}`)
      : hashToUuid(`claude-session\u0000${session}`);
  }
  const system = systemTexts(req.system)[0] ?? "";
  const first = req.messages.find((m) => m.role === "user");
  let user = "";
  if (first) {
    if (typeof first.content === "string") user = first.content;
    else for (const b of first.content) if (b.type === "text") user += b.text;
  }
  return hashToUuid(
    `anthropic\u0000${req.model}\u0000${system.slice(0, TEXT_LIMIT)}\u0000${user.slice(0, TEXT_LIMIT)}`,
  );
}

function sessionIdIn(userId: string): string | null {
  if (!userId.startsWith("{")) return null;
  try {
    const parsed = JSON.parse(userId) as { session_id?: unknown };
    return typeof parsed.session_id === "string" && parsed.session_id !== "" ? parsed.session_id : null;
  } catch {
    return null;
  }
}
