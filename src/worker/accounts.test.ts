import { describe, expect, it } from "vitest";
import { ConfigError } from "../config.ts";
import { accountAuthJson, workerAccounts } from "./accounts.ts";

const signIn = (n: string) => JSON.stringify({ tokens: { id_token: n, access_token: n, refresh_token: n } });

describe("the accounts of a Worker, from its secrets", () => {
  it("OPENAI_CODEX_AUTH is the default account; each OPENAI_CODEX_AUTH_<NAME> adds <name>", () => {
    const vars = {
      OPENAI_CODEX_AUTH: signIn("d"),
      OPENAI_CODEX_AUTH_WORK: signIn("w"),
      OPENAI_CODEX_AUTH_Home_2: signIn("h"),
      OPENAI_API_KEY: "sk-x",
    };
    expect(workerAccounts(vars).map((a) => [a.key, a.variable])).toEqual([
      ["default", "OPENAI_CODEX_AUTH"],
      ["home_2", "OPENAI_CODEX_AUTH_Home_2"],
      ["work", "OPENAI_CODEX_AUTH_WORK"],
    ]);
    expect(accountAuthJson(vars, "work")).toBe(signIn("w"));
    expect(accountAuthJson(vars, "default")).toBe(signIn("d"));
  });

  it("only named accounts: no default one; nothing at all: the default one, unseeded", () => {
    expect(workerAccounts({ OPENAI_CODEX_AUTH_A: signIn("a") }).map((a) => a.key)).toEqual(["a"]);
    expect(workerAccounts({})).toEqual([{ key: "default", variable: "OPENAI_CODEX_AUTH", authJson: null }]);
  });

  it("a malformed or duplicate sign-in is a configuration error naming the variable", () => {
    expect(() => workerAccounts({ OPENAI_CODEX_AUTH_X: "{oops" })).toThrow(ConfigError);
    expect(() => workerAccounts({ OPENAI_CODEX_AUTH_X: "{oops" })).toThrow(/OPENAI_CODEX_AUTH_X/);
    expect(() =>
      workerAccounts({ OPENAI_CODEX_AUTH_A: signIn("1"), OPENAI_CODEX_AUTH_a: signIn("2") }),
    ).toThrow(/OPENAI_CODEX_AUTH_a: names the same account as OPENAI_CODEX_AUTH_A/);
    expect(() =>
      workerAccounts({ OPENAI_CODEX_AUTH: signIn("1"), OPENAI_CODEX_AUTH_DEFAULT: signIn("2") }),
    ).toThrow(/OPENAI_CODEX_AUTH_DEFAULT/);
  });
});
