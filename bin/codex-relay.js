#!/usr/bin/env node
// `npx codex-relay`: the bundled CLI (rebuilt first if a source file changed).
import { ensureBuilt } from "../scripts/build.mjs";

await ensureBuilt();
await import("../dist/cli/main.js");
