// Parkings shared by the isolates of a Worker through KV, `pool:parked:<account>` (a SharedParking as JSON, expiring
// shortly after its reset). Isolates share no memory and have no pub/sub, so: an isolate that parks an account
// writes it after its response (ctx.waitUntil); it reads every account's entry while it builds its app, and again
// after a response once its view is older than PARKINGS_REFRESH_MS; never on a request's path. KV is eventually
// consistent (a write reaches other locations within about a minute): until then an isolate meets the limit
// itself, and that request moves to the next account before any byte, as on Node.

import {
  parseSharedParking,
  type AccountPool,
  type PoolSharing,
  type SharedParking,
} from "../auth/account-pool.ts";

export const PARKINGS_REFRESH_MS = 10_000;
/** KV's shortest expiration. */
const KV_MIN_TTL_S = 60;
/** A parking until a new sign-in is kept this long at most (a new sign-in usually ends it sooner). */
const SIGN_IN_PARKING_TTL_S = 7 * 24 * 3600;

export function parkingKey(accountKey: string): string {
  return `pool:parked:${accountKey}`;
}

export class ParkingSharing implements PoolSharing {
  /** Parkings (null: their end) this isolate owes KV. */
  private readonly pending = new Map<string, SharedParking | null>();
  private readAt = -Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  announceParking(key: string, parking: SharedParking | null): void {
    this.pending.set(key, parking);
  }

  /** Every account's entry, applied to the pool. */
  async read(kv: KVNamespace, pool: AccountPool): Promise<void> {
    this.readAt = this.now();
    const keys = pool.accounts.map((a) => a.key);
    const values = await Promise.all(keys.map((k) => kv.get(parkingKey(k))));
    values.forEach((v, i) => {
      const parking = v === null ? null : parseSharedParking(v);
      if (parking) pool.applyParking(keys[i]!, parking);
    });
  }

  /** After a response: the writes owed and, when due, a fresh read; null when there is nothing to do. */
  afterResponse(kv: KVNamespace, pool: AccountPool): Promise<void> | null {
    const work: Promise<unknown>[] = [];
    for (const [key, parking] of this.pending) {
      work.push(
        parking === null
          ? kv.delete(parkingKey(key))
          : kv.put(parkingKey(key), JSON.stringify(parking), { expirationTtl: this.ttlSeconds(parking) }),
      );
    }
    this.pending.clear();
    if (this.now() - this.readAt >= PARKINGS_REFRESH_MS) work.push(this.read(kv, pool));
    return work.length ? Promise.all(work).then(() => undefined) : null;
  }

  private ttlSeconds(parking: SharedParking): number {
    if (parking.until === null) return SIGN_IN_PARKING_TTL_S;
    return Math.max(KV_MIN_TTL_S, Math.ceil((parking.until - this.now()) / 1000) + 60);
  }
}
