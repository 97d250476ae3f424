// `codex-relay login` against the fake issuer, with the test playing the browser (it follows the authorize URL
// and the redirect back) or the user at another machine (it pastes the redirect address), plus the device-code
// flow and the failure paths.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readdirSync, rmSync, statSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { startFakeUpstream, type FakeUpstream } from "../fakes/server.ts";
import { runLogin, type LoginOptions } from "../../src/cli/login.ts";
import { writeAccountFile } from "../../src/auth/account-files.ts";
import { LoginError } from "../../src/auth/login-error.ts";
import { LOGIN_SCOPE } from "../../src/auth/oauth-endpoints.ts";
import { DEFAULT_CLIENT_ID } from "../../src/config.ts";

let fake: FakeUpstream;
let home: string;

beforeAll(async () => {
  fake = await startFakeUpstream({ deviceIntervalSeconds: 0.05 });
});
afterAll(() => fake.close());
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "codex-relay-login-"));
  fake.issuer.signInAs({ email: "ada@example.com", planType: "pro" });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

class Capture {
  text = "";
  isTTY = false;
  private waiters: (() => void)[] = [];
  write(s: string) {
    this.text += s;
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  /** Resolves with the first match of `re` once it has been written. */
  async waitFor(re: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in:\n${this.text}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

function start(overrides: Partial<LoginOptions> = {}, input: PassThrough | null = new PassThrough()) {
  const out = new Capture();
  const err = new Capture();
  const config = {
    oauthIssuer: fake.issuerUrl,
    oauthTokenUrl: fake.tokenUrl,
    clientId: DEFAULT_CLIENT_ID,
    originator: "codex_cli_rs",
  };
  const done = runLogin(
    { config, save: (doc) => writeAccountFile(home, doc), ports: [0], browser: false, ...overrides },
    { out, err, input },
  );
  // The tests look at failures themselves; never an unhandled rejection.
  done.catch(() => undefined);
  return { out, err, input, done };
}

const URL_RE = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/;

async function rejection(p: Promise<unknown>): Promise<LoginError> {
  try {
    await p;
  } catch (e) {
    return e as LoginError;
  }
  throw new Error("expected the login to fail");
}

function accountFiles(): string[] {
  try {
    return readdirSync(join(home, "accounts")).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
}

/** The test as browser: open the authorize URL; the issuer answers with a redirect to the callback. */
async function authorize(url: string): Promise<string> {
  const res = await fetch(url, { redirect: "manual" });
  expect(res.status).toBe(302);
  return res.headers.get("location")!;
}

describe("browser sign-in (PKCE, local callback)", () => {
  it("prints the URL with the Codex CLI's parameters, exchanges the code and writes auth.json (0600)", async () => {
    const login = start();
    const [, url] = await login.out.waitFor(URL_RE);
    const q = new URL(url!).searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: "code",
      client_id: DEFAULT_CLIENT_ID,
      scope: LOGIN_SCOPE,
      code_challenge_method: "S256",
      id_token_add_organizations: "true",
      codex_cli_simplified_flow: "true",
      originator: "codex_cli_rs",
    });
    expect(LOGIN_SCOPE).toBe("openid profile email offline_access api.connectors.read api.connectors.invoke");
    expect(q.get("redirect_uri")).toMatch(/^http:\/\/localhost:\d+\/auth\/callback$/);
    expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/); // SHA-256

    const callback = await authorize(url!);
    expect(callback.startsWith(q.get("redirect_uri")!)).toBe(true);
    const page = await fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Signed in");
    const result = await login.done;

    // The exchange: form-encoded authorization_code grant with the verifier (the fake checks it against the challenge).
    const exchange = fake.issuer.tokenRequests.at(-1)!;
    expect(exchange).toMatchObject({
      grant_type: "authorization_code",
      client_id: DEFAULT_CLIENT_ID,
      redirect_uri: q.get("redirect_uri"),
    });
    expect(exchange.code_verifier).toMatch(/^[A-Za-z0-9_-]{86}$/); // 64 random bytes

    const files = accountFiles();
    expect(files).toEqual(["ada@example.com-4f8b2c1e.json"]);
    const path = join(home, "accounts", files[0]!);
    expect(result.path).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(path, "utf8"));
    expect(Object.keys(doc)).toEqual(["auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh"]);
    expect(doc).toMatchObject({ auth_mode: "chatgpt", OPENAI_API_KEY: null });
    expect(doc.tokens.account_id).toBe("4f8b2c1e-7a3d-4e9f-b6c5-2d1a0e9f8c7b");
    expect(fake.issuer.isAccessTokenValid(doc.tokens.access_token)).toBe(true);
    expect(login.out.text).toContain("Signed in as ada@example.com (plan pro)");
    expect(login.out.text).toContain("codex-relay status");
  });

  it("paste flow: the redirect address pasted at the prompt completes the sign-in", async () => {
    const login = start();
    const [, url] = await login.out.waitFor(URL_RE);
    expect(login.out.text).toContain("paste here the address the browser ends on");
    const callback = await authorize(url!);
    // The browser on the other machine cannot reach our port: the user copies the address instead.
    login.input!.write(`  ${callback}  \n`);
    await login.done;
    expect(accountFiles()).toHaveLength(1);
  });

  it("paste flow: an address of another sign-in is refused with a hint and the prompt stays", async () => {
    const login = start();
    const [, url] = await login.out.waitFor(URL_RE);
    const callback = new URL(await authorize(url!));
    const forged = new URL(callback);
    forged.searchParams.set("state", "not-this-login");
    const exchangesBefore = fake.issuer.tokenRequests.length;
    login.input!.write(`${forged}\nnot an address at all\n`);
    await login.err.waitFor(/another sign-in/);
    await login.err.waitFor(/not an address/);
    expect(fake.issuer.tokenRequests.length).toBe(exchangesBefore);
    login.input!.write(`${callback}\n`);
    await login.done;
    expect(accountFiles()).toHaveLength(1);
  });

  it("state mismatch on the callback: 400, no code exchange, the login keeps waiting", async () => {
    const exchangesBefore = fake.issuer.tokenRequests.length;
    const login = start();
    const [, url] = await login.out.waitFor(URL_RE);
    const callback = new URL(await authorize(url!));
    const forged = new URL(callback);
    forged.searchParams.set("state", "attacker");
    const res = await fetch(forged);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("State mismatch");
    expect(fake.issuer.tokenRequests.length).toBe(exchangesBefore);
    await login.err.waitFor(/state does not match/);
    // The real redirect still completes it.
    expect((await fetch(callback)).status).toBe(200);
    await login.done;
    expect(accountFiles()).toHaveLength(1);
  });

  it("consent denied: the browser comes back with error=access_denied; nothing is written", async () => {
    fake.issuer.denyNextAuthorization();
    const login = start();
    const [, url] = await login.out.waitFor(URL_RE);
    const callback = await authorize(url!);
    expect(new URL(callback).searchParams.get("error")).toBe("access_denied");
    const page = await fetch(callback);
    expect(await page.text()).toContain("refused");
    const err = await rejection(login.done);
    expect(err).toBeInstanceOf(LoginError);
    expect(err.code).toBe("access_denied");
    expect(err.message).toContain("`codex-relay login`");
    expect(accountFiles()).toEqual([]);
  });

  describe("ports", () => {
    const busy: Server[] = [];
    async function occupy(): Promise<number> {
      const s = createServer((_req, res) => res.end("someone else"));
      await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
      busy.push(s);
      return (s.address() as AddressInfo).port;
    }
    afterEach(async () => {
      await Promise.all(busy.splice(0).map((s) => new Promise((r) => s.close(r))));
    });

    it("the first port taken: the fallback port is used (as 1455 → 1457)", async () => {
      const taken = await occupy();
      const login = start({ ports: [taken, 0], bindAttempts: 2 });
      const [, url] = await login.out.waitFor(URL_RE);
      const redirect = new URL(new URL(url!).searchParams.get("redirect_uri")!);
      expect(Number(redirect.port)).not.toBe(taken);
      await fetch(await authorize(url!));
      await login.done;
    });

    it("every port taken: a clear error naming them and the way out", async () => {
      const a = await occupy();
      const b = await occupy();
      const login = start({ ports: [a, b], bindAttempts: 2 });
      const err = await rejection(login.done);
      expect(err.code).toBe("port_busy");
      expect(err.message).toContain(`127.0.0.1:${a} and 127.0.0.1:${b} are already in use`);
      expect(err.message).toContain("codex-relay login --device");
    });
  });

  it("issuer down at the code exchange: a clear error, nothing written", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const login = start({
      config: {
        oauthIssuer: fake.issuerUrl,
        oauthTokenUrl: `${deadUrl}/oauth/token`,
        clientId: DEFAULT_CLIENT_ID,
        originator: "codex_cli_rs",
      },
    });
    const [, url] = await login.out.waitFor(URL_RE);
    const page = await fetch(await authorize(url!));
    expect(await page.text()).toContain("Could not reach the sign-in server");
    const err = await rejection(login.done);
    expect(err.code).toBe("issuer_unreachable");
    expect(err.message).toContain("ECONNREFUSED");
    expect(accountFiles()).toEqual([]);
  });
});

describe("device-code sign-in", () => {
  const DEVICE_RE = /Enter the code (\S+)/;

  it("shows the code and a countdown, polls until the user approves, then writes auth.json", async () => {
    const login = start({ device: true }, null);
    const [, userCode] = await login.out.waitFor(DEVICE_RE);
    expect(login.out.text).toContain(`${fake.issuerUrl}/codex/device`);
    expect(login.out.text).toContain("expires in 15 minutes");
    expect(login.out.text).toMatch(/waiting for the code to be entered \(1[45]:\d\d left\)/);
    const device = fake.issuer.deviceAuthorizations.get(userCode!)!;
    await expect.poll(() => device.polls).toBeGreaterThan(1); // pending (403) answers are waited out
    fake.issuer.approveDevice(userCode!, { email: "grace@example.com", accountId: "acct-device-0001" });
    await login.done;
    expect(accountFiles()).toEqual(["grace@example.com-acct-dev.json"]);
    // The exchange used the issuer's device callback and the verifier the issuer handed out.
    expect(fake.issuer.tokenRequests.at(-1)).toMatchObject({
      grant_type: "authorization_code",
      redirect_uri: `${fake.issuerUrl}/deviceauth/callback`,
      code_verifier: device.grant!.code_verifier,
    });
  });

  it("on a terminal the countdown is redrawn in place", async () => {
    const out = new Capture();
    out.isTTY = true;
    const config = {
      oauthIssuer: fake.issuerUrl,
      oauthTokenUrl: fake.tokenUrl,
      clientId: DEFAULT_CLIENT_ID,
      originator: "codex_cli_rs",
    };
    const done = runLogin(
      { config, save: (doc) => writeAccountFile(home, doc), device: true },
      { out, err: new Capture(), input: null },
    );
    done.catch(() => undefined);
    const [, styled] = await out.waitFor(DEVICE_RE);
    // eslint-disable-next-line no-control-regex -- strips the terminal's colour codes
    const userCode = styled!.replace(/\x1b\[\d+m/g, "");
    await out.waitFor(/\r {2}waiting for the code to be entered … 1[45]:\d\d left/);
    expect(out.text).toContain("\x1b["); // colours on a terminal
    fake.issuer.approveDevice(userCode);
    await done;
  });

  it("device code expired: the poll gives up with the command to start again", async () => {
    const login = start({ device: true, deviceLifetimeMs: 300 }, null);
    await login.out.waitFor(DEVICE_RE);
    const err = await rejection(login.done);
    expect(err.code).toBe("device_code_expired");
    expect(err.message).toContain("`codex-relay login --device`");
    expect(accountFiles()).toEqual([]);
  });

  it("the user refuses: the login stops", async () => {
    const login = start({ device: true }, null);
    const [, userCode] = await login.out.waitFor(DEVICE_RE);
    fake.issuer.denyDevice(userCode!);
    const err = await rejection(login.done);
    expect(err.code).toBe("device_code_failed");
  });

  it("issuer down: the code request fails at once with a clear error", async () => {
    const login = start(
      {
        device: true,
        config: {
          oauthIssuer: "http://127.0.0.1:9",
          oauthTokenUrl: null as unknown as string,
          clientId: DEFAULT_CLIENT_ID,
          originator: "codex_cli_rs",
        },
      },
      null,
    );
    const err = await rejection(login.done);
    expect(err.code).toBe("issuer_unreachable");
    expect(err.message).toContain("http://127.0.0.1:9");
    expect(err.message).toContain("CHATGPT_OAUTH_ISSUER");
  });
});
