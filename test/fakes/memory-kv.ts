// A KVNamespace in memory for unit tests of the Worker's sharing through KV (the workerd suite uses real KV): it
// counts the reads and keeps every write with its expiration.

export class MemoryKv implements KVNamespace {
  readonly values = new Map<string, string>();
  readonly puts: { key: string; value: string; expirationTtl?: number }[] = [];
  gets = 0;

  get(key: string): Promise<string | null> {
    this.gets++;
    return Promise.resolve(this.values.get(key) ?? null);
  }
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void> {
    this.puts.push({ key, value, expirationTtl: options?.expirationTtl });
    this.values.set(key, value);
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.values.delete(key);
    return Promise.resolve();
  }
}
