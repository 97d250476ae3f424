// The environment a test gives a child process it starts with an explicit env: PATH and HOME, plus the private
// CODEX_RELAY_HOME / CODEX_HOME of the test (test/helpers/private-homes.ts), which the caller's own values override.

export function childProcessEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "CODEX_RELAY_HOME", "CODEX_HOME"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
