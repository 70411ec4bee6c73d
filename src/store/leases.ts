import { sql } from 'kysely'
import type { Db } from './database.js'

/**
 * A lease: `owner` holds a row (an activity, a webhook delivery) until `expiresAt`; `now` is when
 * it was taken or renewed. Both come from the database's clock (as graphile-worker does), never
 * from the host's, so a host whose clock runs ahead cannot see live leases as expired and take
 * them over. ISO strings, as stored.
 *
 * The verbs are the same for every leased row: claim (take rows whose lease is free or expired),
 * renew (record progress and push the expiry), finish (the work ended; the lease goes with it),
 * release (give the row back untouched). Each verb that needs the lease returns false, or leaves
 * the row out of what it returns, when the lease was lost: the caller then drops its work.
 */
export type Lease = { owner: string; now: string; expiresAt: string }

/** Milliseconds since the epoch by the database's clock. */
export async function readDatabaseClock(db: Db): Promise<number> {
  const query =
    db.dialect === 'postgres'
      ? sql<{ ms: number | string }>`select floor(extract(epoch from clock_timestamp()) * 1000) as ms`
      : sql<{
          ms: number | string
        }>`select cast(round((julianday('now') - 2440587.5) * 86400000) as integer) as ms`
  const { rows } = await query.execute(db.kysely)
  return Number(rows[0]?.ms)
}

/** A lease for `owner` lasting `leaseMs` from the database's clock now. */
export async function leaseFromDatabaseClock(db: Db, owner: string, leaseMs: number): Promise<Lease> {
  return leaseAt(owner, leaseMs, await readDatabaseClock(db))
}

export function leaseAt(owner: string, leaseMs: number, nowMs: number): Lease {
  return { owner, now: new Date(nowMs).toISOString(), expiresAt: new Date(nowMs + leaseMs).toISOString() }
}
