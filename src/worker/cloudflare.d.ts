// The few Workers runtime types the Worker entry uses. @cloudflare/workers-types would redeclare the DOM globals the
// rest of the project is typed with (Request, Response, fetch), so only what is needed is declared here.

interface KVNamespace {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

interface DurableObjectId {
  toString(): string;
}

/** A stub: every method of the object, called over RPC (results always come back as promises). */
type DurableObjectStub<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

interface DurableObjectNamespace<T = unknown> {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub<T>;
}

interface DurableObjectStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
}

interface DurableObjectState {
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  props: unknown;
}

declare module "cloudflare:workers" {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
}

/** Workers' WebSocket: the standard one, plus accept() (a socket from a WebSocketPair or a fetch upgrade). */
interface WorkersWebSocket extends WebSocket {
  accept(): void;
}

/** A WebSocket's two ends: the client's (returned in the 101 response) and the Worker's. */
declare class WebSocketPair {
  0: WorkersWebSocket;
  1: WorkersWebSocket;
}
