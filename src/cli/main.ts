// The `codex-relay` command: `serve` (the default) runs the gateway; `login`, `status` and `logout` manage the
// ChatGPT sign-ins. Every command has --help, which lists the environment variables it reads.

import { Command, InvalidArgumentError, Option } from "commander";
import { existsSync } from "node:fs";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { RELAY_VERSION } from "../upstream/codex-client.ts";
import { main as serve } from "../node/main.ts";
import { writeAccountFile } from "../auth/account-files.ts";
import { defaultAuthPath, writeAtomic } from "../auth/file-store.ts";
import { LoginError } from "../auth/login-error.ts";
import { DEFAULT_CALLBACK_PORT, FALLBACK_CALLBACK_PORT } from "../auth/oauth-endpoints.ts";
import { runLogin } from "./login.ts";
import { runLogout } from "./logout.ts";
import { collectStatus, printStatus } from "./status.ts";
import { canOpenBrowser, openBrowser } from "./open-browser.ts";
import { stylesFor } from "./terminal.ts";

const ENV_COMMON = `
Environment (also read from .env in the working directory):
  CODEX_RELAY_HOME         the relay's own folder; sign-ins in <it>/accounts/ (default ~/.codex-relay)
  CODEX_HOME               the Codex CLI's folder with its auth.json (default ~/.codex)
  CHATGPT_ACCESS_TOKEN     use this access token as is (never refreshed)
  OPENAI_CODEX_AUTH        the JSON content of an auth.json
  TOKEN_STORE              file (default), memory, or redis (the accounts every instance shares)
  REDIS_URL                with TOKEN_STORE=redis: redis://[:password@]host:6379[/db]
  TOKEN_ENCRYPTION_KEY     the key the tokens in Redis are sealed with`;

const ENV_OAUTH = `
  CHATGPT_OAUTH_ISSUER     the sign-in server (default https://auth.openai.com)
  CHATGPT_OAUTH_TOKEN_URL  its token endpoint (default <issuer>/oauth/token)
  CHATGPT_LOCAL_CLIENT_ID  the OAuth client id (default the Codex CLI's)`;

const ENV_USAGE = `
  CHATGPT_RESPONSES_URL    the backend (default https://chatgpt.com/backend-api/codex/responses)
  CHATGPT_USAGE_URL        the usage endpoint (default <backend origin>/backend-api/wham/usage)`;

const ENV_SERVE = `
  HOST, PORT               where to listen (default 127.0.0.1:8787)
  OPENAI_API_KEY           the relay's own client key
  …and the rest of the configuration table in README.md`;

function loadEnv(): Config {
  if (existsSync(".env")) process.loadEnvFile(".env");
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
    throw err;
  }
}

function fail(message: string, code = 1): never {
  const s = stylesFor(process.stderr);
  process.stderr.write(`${s.red("codex-relay:")} ${message}\n`);
  process.exit(code);
}

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError("not a port number (0-65535)");
  return Number(value);
}

const program = new Command()
  .name("codex-relay")
  .description("OpenAI-, Ollama- and Anthropic-compatible API for the Codex models of a ChatGPT plan")
  .version(RELAY_VERSION)
  .showHelpAfterError("(run with --help for usage)")
  .showSuggestionAfterError(true);

program
  .command("serve", { isDefault: true })
  .description("run the gateway (the default command)")
  .option("--port <port>", "port to listen on (overrides PORT)", portNumber)
  .option("--host <host>", "address to listen on (overrides HOST)")
  .addHelpText("after", ENV_COMMON + ENV_SERVE + "\n")
  .action(async (opts: { port?: number; host?: string }) => {
    await serve({ port: opts.port, host: opts.host });
  });

program
  .command("login")
  .description("sign in with your ChatGPT account; each sign-in adds an account to the relay's pool")
  .option("--device", "sign in with a one-time code instead of a local browser callback (headless machines)")
  .option("--no-browser", "print the sign-in address without opening a browser")
  .option(
    "--codex-home",
    "write the Codex CLI's $CODEX_HOME/auth.json instead of the relay's own sign-in (shared with the CLI)",
  )
  .addOption(
    new Option(
      "--callback-port <port>",
      `local port for the browser's return (default ${DEFAULT_CALLBACK_PORT}, ${FALLBACK_CALLBACK_PORT} when taken; ` +
        "the real sign-in server accepts only these two)",
    ).argParser(portNumber),
  )
  .addHelpText(
    "after",
    `
The browser sign-in waits on http://localhost:${DEFAULT_CALLBACK_PORT}/auth/callback. On a machine without a
browser, open the printed address anywhere, sign in, and paste the address the browser ends on at the prompt;
or use --device.
` +
      ENV_COMMON +
      ENV_OAUTH +
      "\n",
  )
  .action(
    async (opts: { device?: boolean; browser: boolean; codexHome?: boolean; callbackPort?: number }) => {
      const config = loadEnv();
      const save = opts.codexHome
        ? async (doc: Parameters<typeof writeAccountFile>[1]) => {
            const path = defaultAuthPath(config.codexHome);
            await writeAtomic(path, JSON.stringify(doc, null, 2) + "\n");
            return path;
          }
        : (doc: Parameters<typeof writeAccountFile>[1]) => writeAccountFile(config.relayHome, doc);
      try {
        await runLogin(
          {
            config,
            save,
            device: opts.device,
            browser: opts.browser && canOpenBrowser(),
            ports:
              opts.callbackPort === undefined
                ? undefined
                : opts.callbackPort === DEFAULT_CALLBACK_PORT
                  ? [DEFAULT_CALLBACK_PORT, FALLBACK_CALLBACK_PORT]
                  : [opts.callbackPort],
          },
          { out: process.stdout, err: process.stderr, input: process.stdin, openBrowser },
        );
      } catch (err) {
        if (err instanceof LoginError) fail(err.message);
        throw err;
      }
      process.exit(0);
    },
  );

program
  .command("status")
  .description(
    "show each sign-in (account, e-mail, plan, expiry, last refresh, usage windows); exit 0 when ready",
  )
  .option("--json", "print the report as JSON (for scripts)")
  .addHelpText("after", ENV_COMMON + ENV_OAUTH + ENV_USAGE + "\n")
  .action(async (opts: { json?: boolean }) => {
    const config = loadEnv();
    const report = await collectStatus(config);
    if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else printStatus(report, process.stdout);
    process.exit(report.ready ? 0 : 1);
  });

program
  .command("logout")
  .description("remove the relay's own sign-ins (revoking them at the issuer); the Codex CLI's file stays")
  .option("--account <name>", "only this sign-in (its file name in accounts/ or its e-mail)")
  .option("--codex-home", "also remove the Codex CLI's $CODEX_HOME/auth.json")
  .option("--no-revoke", "do not revoke the refresh tokens at the issuer")
  .addHelpText("after", ENV_COMMON + ENV_OAUTH + "\n")
  .action(async (opts: { account?: string; codexHome?: boolean; revoke: boolean }) => {
    const config = loadEnv();
    const code = await runLogout(
      { config, account: opts.account, codexHome: opts.codexHome, revoke: opts.revoke },
      process.stdout,
      process.stderr,
    );
    process.exit(code);
  });

// With `serve` as the default command, commander would call an unknown word an extra argument of `serve`.
const first = process.argv[2];
const commands = program.commands.map((c) => c.name());
if (first !== undefined && !first.startsWith("-") && first !== "help" && !commands.includes(first)) {
  fail(`unknown command '${first}'. Commands: ${commands.join(", ")} (see codex-relay --help)`);
}

await program.parseAsync(process.argv);
