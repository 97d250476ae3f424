// The settings the hardening work added: DEBUG_ROUTES and SHUTDOWN_TIMEOUT_MS.

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("DEBUG_ROUTES and SHUTDOWN_TIMEOUT_MS", () => {
  it("default to off and 10 s", () => {
    const c = loadConfig({});
    expect(c.debugRoutes).toBe(false);
    expect(c.shutdownTimeoutMs).toBe(10_000);
  });

  it("read booleans and milliseconds", () => {
    expect(loadConfig({ DEBUG_ROUTES: "true" }).debugRoutes).toBe(true);
    expect(loadConfig({ DEBUG_ROUTES: "off" }).debugRoutes).toBe(false);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: "0" }).shutdownTimeoutMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: "30000" }).shutdownTimeoutMs).toBe(30_000);
  });

  it.each([
    ["DEBUG_ROUTES", "sometimes", /DEBUG_ROUTES.*boolean/],
    ["SHUTDOWN_TIMEOUT_MS", "soon", /SHUTDOWN_TIMEOUT_MS.*whole number/],
    ["SHUTDOWN_TIMEOUT_MS", "99999999", /SHUTDOWN_TIMEOUT_MS.*out of range/],
  ])("refuse %s=%s naming the variable", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
