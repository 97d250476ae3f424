// `npm start`: the bundled server (rebuilt first if a source file changed), run in this process.
//
// npm runs this under `sh -c`. A SIGTERM (or SIGINT) sent to npm alone is passed to that shell, which exits
// without passing it on, and a SIGKILL of npm reaches nobody: the server would be left running without the process
// the user started. So it watches its parent and grandparent and, once one of them is gone, stops as on a SIGTERM
// (gracefully: open streams finish, a refresh in flight is saved).
import { readFileSync } from "node:fs";
import { clearInterval, setInterval } from "node:timers";
import { ensureBuilt } from "./build.mjs";

await ensureBuilt();
const { main } = await import("../dist/node/main.js");
await main();
stopWithParents();

function stopWithParents() {
  const parent = process.ppid;
  // pid 1 (init, a container runtime) is no process the user started: nothing to watch there.
  const watched = [parent, grandparentOf(parent)].filter((pid) => Number.isInteger(pid) && pid > 1);
  if (watched.length === 0) return;
  const timer = setInterval(() => {
    if (process.ppid === parent && watched.every(isAlive)) return;
    clearInterval(timer);
    process.kill(process.pid, "SIGTERM");
  }, 250);
  timer.unref();
}

/** The parent of `pid` (Linux /proc); null where it cannot be read (then only the parent is watched). */
function grandparentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}
