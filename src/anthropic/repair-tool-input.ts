// Fix-ups of tool arguments GPT models get wrong for Claude Code's tools. GPT-5.x fills optional string parameters
// with "": Claude Code's Read then fails with "Invalid pages parameter" (codex-proxy#533, sub2api#1995). The
// arguments of these tools are small, so they are held to the end of the call and repaired before they are sent.

export const BUFFERED_TOOLS: ReadonlySet<string> = new Set(["Read"]);

/** Optional parameters that must be left out rather than sent empty. */
const DROP_WHEN_EMPTY: Record<string, readonly string[]> = { Read: ["pages"] };

export function repairToolInput(name: string, args: string): string {
  const drop = DROP_WHEN_EMPTY[name];
  if (!drop) return args;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return args;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return args;
  const input = parsed as Record<string, unknown>;
  let changed = false;
  for (const key of drop) {
    if (input[key] === "" || input[key] === null) {
      delete input[key];
      changed = true;
    }
  }
  return changed ? JSON.stringify(input) : args;
}
