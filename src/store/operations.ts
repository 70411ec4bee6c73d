import { sql } from 'kysely'
import { RUNNABLE_ACTIVITY_STATES } from '../domain/activities.js'
import type { Db } from './database.js'
import { openDeliveries } from './webhookDeliveries.js'

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
    .where(openDeliveries())
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .executeTakeFirst()
  return (row?.at as string | null | undefined) ?? null
}

export async function countDeliveriesByStateEverywhere(db: Db): Promise<Array<{ state: string; n: number }>> {
  const rows = await db.kysely
    .selectFrom('webhook_deliveries')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where(openDeliveries())
    .groupBy('state')
    .execute()
  return rows.map((r) => ({ state: r.state, n: Number(r.n) }))
}

/** Activities queued or running, per location that has any. */
export async function countRunnableActivitiesPerLocation(db: Db): Promise<Map<string, number>> {
  const rows = await db.kysely
    .selectFrom('activities')
    .select(['location_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', 'in', RUNNABLE_ACTIVITY_STATES)
    .groupBy('location_id')
    .execute()
  return new Map(rows.map((r) => [r.location_id, Number(r.n)]))
}

/** Registered webhooks, and how many of them are paused after failures, per location that has any. */
export async function countWebhooksPerLocation(
  db: Db,
  now: string,
): Promise<Map<string, { webhooks: number; paused: number }>> {
  const rows = await db.kysely
    .selectFrom('webhooks')
    .select((eb) => [
      'location_id',
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>(eb.case().when('paused_until', '>', now).then(1).else(0).end()).as('paused'),
    ])
    .groupBy('location_id')
    .execute()
  return new Map(rows.map((r) => [r.location_id, { webhooks: Number(r.n), paused: Number(r.paused ?? 0) }]))
}
