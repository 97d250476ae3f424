// `npm start`: the bundled server (rebuilt first if a source file changed).
import { ensureBuilt } from "./build.mjs";

await ensureBuilt();
const { main } = await import("../dist/node/main.js");
await main();
