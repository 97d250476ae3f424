// The parts of `cloudflare:test` (@cloudflare/vitest-pool-workers) the Worker suite uses; see src/worker/cloudflare.d.ts
// for why the full Workers types are not loaded.

declare module "cloudflare:test" {
  import type { WorkerEnv } from "../../src/worker/env.ts";
  export const env: WorkerEnv;
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
  export function runInDurableObject<O, R>(
    stub: DurableObjectStub<O>,
    callback: (instance: O, state: DurableObjectState) => R | Promise<R>,
  ): Promise<R>;
}
