// The `codex-relay` command. `serve` (the default) runs the gateway; `status` shows the sign-in state.

import { Command } from "commander";
import { existsSync } from "node:fs";
import { loadConfig } from "../config.ts";
import { RELAY_VERSION } from "../upstream/codex-client.ts";
import { main as serve } from "../node/main.ts";
import { createNodeStore } from "../node/server.ts";
import { createTokenManager } from "../auth/token-manager.ts";
import { silentLogger } from "../core/logger.ts";

const program = new Command()
  .name("codex-relay")
  .description("OpenAI- and Ollama-compatible API for the Codex models of a ChatGPT plan")
  .version(RELAY_VERSION);

program
  .command("serve", { isDefault: true })
  .description("run the gateway (HOST, PORT and the rest come from the environment or .env)")
  .action(async () => {
    await serve();
  });

program
  .command("status")
  .description("show where the ChatGPT tokens come from and when they expire (no secrets)")
  .action(async () => {
    if (existsSync(".env")) process.loadEnvFile(".env");
    const config = loadConfig(process.env);
    const { store, seedLoader } = await createNodeStore(config);
    const tokens = createTokenManager({ config, store, seedLoader, logger: silentLogger });
    console.log(JSON.stringify(await tokens.loadStatus(), null, 2));
  });

await program.parseAsync(process.argv);
