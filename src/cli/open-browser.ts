// Opens a URL in the user's browser when there is one: `open` on macOS, `start` on Windows, `xdg-open` on other
// systems with a display. Never waits for the browser and never fails the login: the URL is printed anyway.

import { spawn } from "node:child_process";

export function canOpenBrowser(env: Record<string, string | undefined> = process.env): boolean {
  if (process.platform === "darwin" || process.platform === "win32") return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY || env.BROWSER);
}

export function openBrowser(url: string): boolean {
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", '""', url.replace(/&/g, "^&")]]
        : [process.env.BROWSER || "xdg-open", [url]];
  try {
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
