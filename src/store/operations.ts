import { sql } from 'kysely'
import type { Db } from './database.js'

/** Reads about the whole installation (every tenant) for operators: health and metrics. */

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely)
}

export async function countActivitiesByState(db: Db): Promise<Array<{ state: string; n: number }>> {
  const rows = await db.kysely
    .selectFrom('activities')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute()
  return rows.map((r) => ({ state: r.state, n: Number(r.n) }))
}

/** When the oldest activity still waiting to start was queued (null: none waiting). */
export async function oldestQueuedActivityAt(db: Db): Promise<string | null> {
  const row = await db.kysely
    .selectFrom('activities')
    .select((eb) => eb.fn.min('created_at').as('at'))
    .where('state', '=', 'initialized')
    .executeTakeFirst()
  return (row?.at as string | null | undefined) ?? null
}

/** When the oldest pending webhook delivery became due (null: none due). */
export async function oldestDueDeliveryAt(db: Db, now: string): Promise<string | null> {
  const row = await db.kysely
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where(sql<boolean>`webhook_deliveries.state IN ('pending', 'delivering')`)
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .executeTakeFirst()
  return (row?.at as string | null | undefined) ?? null
}

export async function countDeliveriesByStateEverywhere(db: Db): Promise<Array<{ state: string; n: number }>> {
  const rows = await db.kysely
    .selectFrom('webhook_deliveries')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where(sql<boolean>`webhook_deliveries.state IN ('pending', 'delivering')`)
    .groupBy('state')
    .execute()
  return rows.map((r) => ({ state: r.state, n: Number(r.n) }))
}
