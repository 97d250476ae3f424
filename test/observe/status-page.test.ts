// The status page in a real headless Chromium (Debian's chromium, driven by playwright-core): it shows every account
// of the pool (two sign-ins on the fake backend, one parked by its usage limit) with plan, token expiry, usage
// windows and state, and a request made just before; with OPENAI_API_KEY set, nothing private shows
// until the key is entered, and then the details do. Saves docs/status-page.png for the README.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { fingerprint } from "../../src/core/logger.ts";
import { startFakeUpstream } from "../fakes/server.ts";
import { usageLimitReached } from "../fakes/fake-chatgpt.ts";

const ALICE = "aaaaaaaa-0000-4000-8000-0000000000a1";
const BOB = "bbbbbbbb-0000-4000-8000-0000000000b2";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI === "true")
    throw new Error(`the status page suite needs Chromium at ${CHROMIUM} (CI=true)`);
  console.warn(
    `[status-page] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

/**
 * docs/status-page.png (the README's picture) is written when missing or with UPDATE_SCREENSHOTS=true; otherwise
 * the screenshot goes to test-results/ (ignored by git), so a test run never leaves a changed file in the checkout
 * (every run differs: times, ports, fingerprints).
 */
function screenshotPath(): string {
  const docs = join(ROOT, "docs", "status-page.png");
  if (process.env.UPDATE_SCREENSHOTS === "true" || !existsSync(docs)) return docs;
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  return join(ROOT, "test-results", "status-page.png");
}

let browser: Browser;
beforeAll(async () => {
  if (!available) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

function chat(t: TestRelay, headers: Record<string, string> = {}) {
  return fetch(`${t.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "gpt-5.5-high",
      messages: [{ role: "user", content: "Hello from the test" }],
    }),
  }).then((r) => r.text().then(() => r.status));
}

function accountOf(t: TestRelay) {
  const doc = JSON.parse(readFileSync(join(t.codexHome, "auth.json"), "utf8")) as {
    tokens: { account_id: string };
  };
  return doc.tokens.account_id;
}

describe.skipIf(!available)("the status page in Chromium", () => {
  it("shows every account of the pool (one parked), their usage, the request just made; saves the screenshot", async () => {
    const fake = await startFakeUpstream();
    const relayHome = mkdtempSync(join(tmpdir(), "codex-relay-page-"));
    mkdirSync(join(relayHome, "accounts"));
    for (const [name, accountId, planType] of [
      ["alice", ALICE, "plus"],
      ["bob", BOB, "pro"],
    ] as const) {
      const doc = fake.issuer.login({ accountId, planType, email: `${name}@example.com` });
      writeFileSync(join(relayHome, "accounts", `${name}.json`), JSON.stringify(doc), { mode: 0o600 });
    }
    // Bob's plan is used up for the next hour: his first request parks him and moves on to alice.
    fake.onRequest = (r) =>
      r.headers["chatgpt-account-id"] === BOB
        ? usageLimitReached({ resetsInSeconds: 3600, planType: "pro" })
        : undefined;
    const t = await startTestRelay({ fake, signedOut: true, env: { CODEX_RELAY_HOME: relayHome } });
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    try {
      for (let i = 0; i < 4 && !fake.requests.some((r) => r.status === 429); i++)
        expect(await chat(t, { "x-session-id": `page-${i}` })).toBe(200);
      expect(fake.requests.some((r) => r.headers["chatgpt-account-id"] === BOB && r.status === 429)).toBe(
        true,
      );
      const res = await page.goto(t.url + "/");
      expect(res?.headers()["content-type"]).toContain("text/html");
      const alice = page.locator(`[data-account="${fingerprint(ALICE)}"]`);
      const bob = page.locator(`[data-account="${fingerprint(BOB)}"]`);
      await alice.locator(".plan").filter({ hasText: "plus" }).waitFor({ timeout: 15_000 });
      expect(await page.locator("#verdict").textContent()).toBe("ready");
      expect(await page.locator("#accounts .account").count()).toBe(2);
      expect(await page.locator("#accounts-count").textContent()).toBe("1 of 2 ready");

      expect(await alice.locator(".email").textContent()).toBe("alice@example.com");
      expect(await alice.locator(".badge").textContent()).toBe("ready");
      expect(await alice.locator(".expires").textContent()).toMatch(/\(in \d/);
      // The fake backend's x-codex-* headers: 12 % of the 5-hour window, 34 % of the week.
      const primary = alice.locator('[data-window="5-hour window"]');
      expect(await primary.textContent()).toContain("12% used");
      expect(await primary.textContent()).toMatch(/resets in \d/);
      expect(await alice.locator('[data-window="weekly window"]').textContent()).toContain("34% used");
      expect(await alice.locator(".inflight").textContent()).toBe("0");

      expect(await bob.locator(".email").textContent()).toBe("bob@example.com");
      expect(await bob.locator(".plan").textContent()).toBe("pro");
      expect(await bob.locator(".badge").textContent()).toMatch(
        /^parked until .+ \(in (59 min|1 h 0 min)\)$/,
      );
      expect(await bob.locator('[data-window="5-hour window"]').textContent()).toContain("100% used");
      expect(await bob.locator('[data-window="5-hour window"] .bar.high').count()).toBe(1);

      const row = page.locator("#requests tbody tr").filter({ hasText: "POST /v1/chat/completions" });
      await row.first().waitFor();
      const cells = await row.last().locator("td").allTextContents();
      expect(cells).toContain("gpt-5.5");
      expect(cells).toContain("high");
      expect(cells).toContain("200");
      // Every request was served by alice (bob's one refused turn moved to her): the account column says so.
      const accounts = await row.locator("td:last-child").allTextContents();
      expect(accounts.length).toBeGreaterThanOrEqual(2);
      expect(new Set(accounts)).toEqual(new Set([fingerprint(ALICE)]));
      expect(await page.locator("#models").textContent()).toContain("gpt-5.5");
      expect(await page.locator("#settings").textContent()).toContain(`${t.url}/v1`);
      await page.screenshot({ path: screenshotPath(), fullPage: true });
    } finally {
      await page.close();
      await t.close();
      await fake.close();
      rmSync(relayHome, { recursive: true, force: true });
    }
  }, 60_000);

  it("with a key set shows nothing private before the key is entered, and the details after", async () => {
    const KEY = "sk-status-page-key";
    const t = await startTestRelay({ env: { OPENAI_API_KEY: KEY } });
    const page = await browser.newPage();
    try {
      expect(await chat(t, { authorization: `Bearer ${KEY}` })).toBe(200);
      const account = accountOf(t);
      await page.goto(t.url + "/");
      await page.locator("#keyform").waitFor({ state: "visible", timeout: 15_000 });
      await page.locator("#verdict").filter({ hasText: "ready" }).waitFor();
      const before = (await page.content()) + (await page.locator("body").innerText());
      for (const secret of [
        "codex-user@example.com",
        account,
        fingerprint(account)!,
        "plus",
        "12%",
        "/v1/chat/completions 200",
      ])
        expect(before).not.toContain(secret);
      expect(await page.locator("#details").isVisible()).toBe(false);

      await page.locator("#key").fill("wrong-key");
      await page.locator("#keyform button").click();
      await page.locator("#keyerr").waitFor({ state: "visible" });
      expect(await page.locator("#details").isVisible()).toBe(false);

      await page.locator("#key").fill(KEY);
      await page.locator("#keyform button").click();
      const block = page.locator(`[data-account="${fingerprint(account)}"]`);
      await block
        .locator(".email")
        .filter({ hasText: "codex-user@example.com" })
        .waitFor({ timeout: 15_000 });
      expect(await block.locator(".plan").textContent()).toBe("plus");
      expect(await page.locator("#requests").textContent()).toContain("/v1/chat/completions");
      expect(await page.locator("#locked").isVisible()).toBe(false);
    } finally {
      await page.close();
      await t.close();
    }
  }, 60_000);
});
