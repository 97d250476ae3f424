// No Docker engine runs here, so this suite runs what the image runs: it reads the Dockerfile's final stage (CMD,
// ENV, USER, VOLUME, HEALTHCHECK), runs the build stage's build step, then starts exactly that CMD with exactly
// that environment against the fake backend (the repository root standing in for WORKDIR /app, a temp dir for the
// /data volume), runs the HEALTHCHECK command, and stops the server with SIGTERM as `docker stop` does.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { finalImage } from "../helpers/dockerfile.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const image = finalImage(join(ROOT, "Dockerfile"));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(ok: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs an exec-form command as the image would: `node` is this Node, the repository root is WORKDIR. */
function run(cmd: string[], env: Record<string, string>): ChildProcess {
  expect(cmd[0]).toBe("node");
  return spawn(process.execPath, cmd.slice(1), { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
  });
}

describe("the Dockerfile", () => {
  it("builds in one stage and runs production dependencies only, as a non-root user, with /data as a volume", () => {
    const [build, runtime] = [image.stages.at(0)!, image.stages.at(-1)!];
    expect(image.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of image.stages) expect(stage.from).toMatch(/^node:\d+(\.\d+)*-[a-z]+-slim$/);
    const runs = (s: typeof build) => s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
    expect(runs(build).some((r) => r.includes("npm ci"))).toBe(true);
    expect(runs(build).some((r) => r.includes("npm run build"))).toBe(true);
    expect(runs(runtime).some((r) => /npm ci .*--omit=dev/.test(r))).toBe(true);
    expect(runtime.instructions.some((i) => i.keyword === "COPY" && i.args.includes("--from=build"))).toBe(
      true,
    );
    expect(image.user).not.toBeNull();
    expect(["root", "0"]).not.toContain(image.user);
    expect(image.env.HOST).toBe("0.0.0.0");
    expect(image.env.CODEX_HOME).toBe("/data");
    expect(image.volumes).toContain("/data");
    expect(image.expose).toContain(image.env.PORT);
    // Exec form, `node` as PID 1: SIGTERM reaches the server (no npm, no shell in between).
    expect(image.cmd?.[0]).toBe("node");
    expect(image.cmd?.join(" ")).not.toMatch(/npm|sh -c/);
    expect(image.healthcheck?.cmd?.[0]).toBe("node");
    expect(image.healthcheck?.cmd?.join(" ")).toContain("/health");
  });

  it("the bundle needs nothing outside package.json's dependencies (the runtime stage has no dev dependencies)", () => {
    const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const entry = image.cmd!.find((a) => a.endsWith(".js"))!;
    const bundle = readFileSync(join(ROOT, entry), "utf8");
    const bare = new Set<string>();
    // Static imports start a line in esbuild's output; a mere `from"` inside a string (the status page's script
    // has `"sign-in from"), el(`) is not one.
    const imports =
      /^\s*(?:import|export)\b[^"]*?\bfrom\s*"([^".][^"]*)"|\bimport\s*\(\s*"([^".][^"]*)"\s*\)/gm;
    for (const m of bundle.matchAll(imports)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith("node:")) continue;
      bare.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
    expect(bare.size).toBeGreaterThan(0);
    for (const name of bare) expect(Object.keys(pkg.dependencies), name).toContain(name);
  });
});

describe("the image's start command, run against the fake backend", () => {
  let fake: FakeUpstream;
  let data: string;
  let env: Record<string, string>;
  let server: ChildProcess;
  let output = "";
  let url = "";

  beforeAll(async () => {
    fake = await startFakeUpstream();
    data = mkdtempSync(join(tmpdir(), "codex-relay-docker-data-"));
    writeFileSync(join(data, "auth.json"), JSON.stringify(fake.issuer.login()), { mode: 0o600 });
    // The image's ENV, with /data → a temp dir, the port a user would pass with -e PORT, and the fake backend.
    const port = await freePort();
    env = {
      PATH: process.env.PATH ?? "",
      ...image.env,
      CODEX_HOME: image.env.CODEX_HOME!.replace(/^\/data/, data),
      ...(image.env.CODEX_RELAY_HOME
        ? { CODEX_RELAY_HOME: image.env.CODEX_RELAY_HOME.replace(/^\/data/, data) }
        : {}),
      PORT: String(port),
      OPENAI_API_KEY: "sk-docker-test",
      ...fake.env(),
    };
    const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    server = run(image.cmd!, env);
    server.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    server.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    await waitFor(
      () => /listening on (http:\/\/\S+)/.test(output),
      20_000,
      () => output,
    );
    url = `http://127.0.0.1:${port}`;
  }, 60_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    await fake?.close();
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it("listens on HOST=0.0.0.0 and the PORT given", () => {
    expect(output).toContain(`listening on http://0.0.0.0:${env.PORT}`);
  });

  it("the HEALTHCHECK command passes against it", async () => {
    const check = run(image.healthcheck!.cmd!, env);
    expect(await exitOf(check)).toBe(0);
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
    expect(health.status).toBe("ok");
  });

  it("answers with the tokens from the /data volume", async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-docker-test" },
      body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain("Echo: hi");
  });

  it("SIGTERM (docker stop) drains an open stream, then the process exits 0 and the HEALTHCHECK fails", async () => {
    fake.enqueue({
      kind: "text",
      text: Array.from({ length: 20 }, (_, i) => `w${i}`).join(" "),
      delayMs: 40,
    });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-docker-test" },
      body: JSON.stringify({ model: "gpt-5.5", stream: true, messages: [{ role: "user", content: "long" }] }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value, { stream: true });
    server.kill((image.stopSignal ?? "SIGTERM") as NodeJS.Signals);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain("w19");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await exitOf(server)).toBe(0);
    expect(await exitOf(run(image.healthcheck!.cmd!, env))).toBe(1);
  }, 30_000);
});

describe("binding to the network without OPENAI_API_KEY", () => {
  async function startOutput(extra: Record<string, string>): Promise<string> {
    const fake = await startFakeUpstream();
    const home = mkdtempSync(join(tmpdir(), "codex-relay-docker-warn-"));
    try {
      const env = {
        PATH: process.env.PATH ?? "",
        ...image.env,
        CODEX_HOME: home,
        CODEX_RELAY_HOME: join(home, "relay"),
        PORT: String(await freePort()),
        ...fake.env(),
        ...extra,
      };
      const child = run(image.cmd!, env);
      let out = "";
      child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      await waitFor(
        () => out.includes("listening on"),
        20_000,
        () => out,
      );
      await new Promise((r) => setTimeout(r, 200));
      child.kill("SIGTERM");
      await exitOf(child);
      return out;
    } finally {
      await fake.close();
      rmSync(home, { recursive: true, force: true });
    }
  }

  it("prints a loud warning on the image's HOST=0.0.0.0, and none on loopback or with a key", async () => {
    const open = await startOutput({});
    expect(open).toMatch(/^!!!!+$/m);
    expect(open).toContain("WARNING: codex-relay listens on 0.0.0.0");
    expect(open).toContain("OPENAI_API_KEY is not set");
    const loopback = await startOutput({ HOST: "127.0.0.1" });
    expect(loopback).not.toContain("WARNING: codex-relay listens on");
    const keyed = await startOutput({ OPENAI_API_KEY: "sk-x" });
    expect(keyed).not.toContain("OPENAI_API_KEY is not set");
  }, 90_000);
});
