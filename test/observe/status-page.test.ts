// The status page in a real headless Chromium (Debian's chromium, driven by playwright-core): it shows the fake
// account's plan and usage windows and a request made just before; with OPENAI_API_KEY set, nothing private shows
// until the key is entered, and then the details do. Saves docs/status-page.png for the README.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { startTestRelay, type TestRelay } from "../helpers/relay.ts";
import { fingerprint } from "../../src/core/logger.ts";

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
  it("shows the plan, the usage windows and the request just made; saves the screenshot", async () => {
    const t = await startTestRelay();
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    try {
      expect(await chat(t)).toBe(200);
      const res = await page.goto(t.url + "/");
      expect(res?.headers()["content-type"]).toContain("text/html");
      await page.locator("#plan").filter({ hasText: "plus" }).waitFor({ timeout: 15_000 });
      expect(await page.locator("#verdict").textContent()).toBe("ready");
      expect(await page.locator("#email").textContent()).toBe("codex-user@example.com");
      // The fake backend's x-codex-* headers: 12 % of the 5-hour window, 34 % of the week.
      const primary = page.locator('[data-window="5-hour window"]');
      expect(await primary.textContent()).toContain("12% used");
      expect(await primary.textContent()).toMatch(/resets in \d/);
      expect(await page.locator('[data-window="weekly window"]').textContent()).toContain("34% used");
      const row = page.locator("#requests tbody tr").filter({ hasText: "POST /v1/chat/completions" });
      await row.first().waitFor();
      const cells = await row.first().locator("td").allTextContents();
      expect(cells).toContain("gpt-5.5");
      expect(cells).toContain("high");
      expect(cells).toContain("200");
      expect(cells).toContain(fingerprint(accountOf(t)));
      expect(await page.locator("#models").textContent()).toContain("gpt-5.5");
      expect(await page.locator("#settings").textContent()).toContain(`${t.url}/v1`);
      await page.screenshot({ path: screenshotPath(), fullPage: true });
    } finally {
      await page.close();
      await t.close();
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
      await page.locator("#email").filter({ hasText: "codex-user@example.com" }).waitFor({ timeout: 15_000 });
      expect(await page.locator("#plan").textContent()).toBe("plus");
      expect(await page.locator("#requests").textContent()).toContain("/v1/chat/completions");
      expect(await page.locator("#locked").isVisible()).toBe(false);
    } finally {
      await page.close();
      await t.close();
    }
  }, 60_000);
});
