// Bundles the server and the CLI into dist/ with esbuild (about 0.1 s), so `npm start` runs plain JavaScript and
// is listening well under a second. `ensureBuilt()` rebuilds only when a source file is newer than the bundle,
// so there is never a build step to remember and never a stale bundle.

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRIES = { "node/main": "src/node/main.ts", "cli/main": "src/cli/main.ts" };
const OUT = join(ROOT, "dist");

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleTime() {
  try {
    return Math.min(...Object.keys(ENTRIES).map((name) => statSync(join(OUT, `${name}.js`)).mtimeMs));
  } catch {
    return 0;
  }
}

export async function build() {
  const { build: esbuild } = await import("esbuild");
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: OUT,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  });
}

export async function ensureBuilt() {
  const sources = Math.max(newestSource(join(ROOT, "src")), statSync(join(ROOT, "package.json")).mtimeMs);
  if (bundleTime() < sources) await build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
