// Starts a real redis-server for a suite: its own free port on 127.0.0.1, its own temp dir (append-only file on,
// so a stop and restart keeps the data, like a production Redis with persistence), stopped by the suite.
// Missing redis-server: the suite fails under CI=true and is skipped loudly otherwise.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const CANDIDATES = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

export function findRedisServer(): string | null {
  for (const p of [
    ...CANDIDATES,
    ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "redis-server")),
  ]) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

/**
 * Whether the suite can run. Under CI=true a missing redis-server throws (the suite fails); otherwise it warns,
 * naming what is missing, and the suite is skipped.
 */
export function redisServerAvailable(suite: string): boolean {
  if (findRedisServer() !== null) return true;
  const message = `${suite}: redis-server is not installed (apt-get install -y redis-server)`;
  if (process.env.CI === "true") throw new Error(`${message}; it is required in CI`);
  console.warn(`SKIPPED ${message}`);
  return false;
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SIGTERM: it writes its data out first). */
  stop(): Promise<void>;
  /** Starts it again on the same port and dir. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered (a hung or very slow Redis). */
  pause(): void;
  resume(): void;
  /** Stops it for good and removes its dir. */
  close(): Promise<void>;
  readonly running: boolean;
}

export interface RedisServerOptions {
  password?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  if (bin === null) throw new Error("redis-server is not installed");
  const dir = mkdtempSync(join(tmpdir(), "codex-relay-redis-"));
  const port = await freePort();
  let child: ChildProcess | null = null;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--save",
        "",
        "--daemonize",
        "no",
        "--loglevel",
        "notice",
      ];
      if (options.password) args.push("--requirepass", options.password);
      const c = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
      child = c;
      let out = "";
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
      c.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      c.once("exit", (code) => {
        clearTimeout(timer);
        if (child === c) child = null;
        reject(new Error(`redis-server exited with ${code}:\n${out}`));
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      const c = child as ChildProcess | null;
      if (!c || c.exitCode !== null) return resolve();
      c.once("exit", () => resolve());
      c.kill("SIGCONT"); // a paused server would not act on SIGTERM
      c.kill("SIGTERM");
    });

  await launch();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start: launch,
    pause: () => void (child as ChildProcess | null)?.kill("SIGSTOP"),
    resume: () => void (child as ChildProcess | null)?.kill("SIGCONT"),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    get running() {
      return child !== null && child.exitCode === null;
    },
  };
}
