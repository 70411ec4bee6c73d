import type { Selectable } from 'kysely'
import type { WebhookEventType } from '../domain/webhooks.js'
import { compiledOnce } from './compiledOnce.js'
import type { Db } from './database.js'
import type { WebhooksTable } from './schema.js'

type StoredWebhook = Selectable<WebhooksTable>

/** The endpoint's last failed attempt: what went wrong, and when. */
export type EndpointError = { message: string; at: string | null }

/**
 * A registration as the rest of the code sees it: its event types decoded (stored
 * space-separated), its last error and its time as one value.
 */
export type WebhookRow = Omit<
  StoredWebhook,
  'event_types' | 'last_error' | 'last_error_at' | 'sender_owner' | 'sender_lease_expires_at'
> & {
  event_types: WebhookEventType[]
  last_error: EndpointError | null
}

function decodeWebhook({
  last_error,
  last_error_at,
  sender_owner: _sender,
  sender_lease_expires_at: _senderLease,
  ...row
}: StoredWebhook): WebhookRow {
  return {
    ...row,
    event_types: row.event_types.split(' ') as WebhookEventType[],
    last_error: last_error === null ? null : { message: last_error, at: last_error_at },
  }
}

export async function insertWebhook(
  db: Db,
  row: {
    location_id: string
    id: string
    url: string
    app_id: string
    event_types: readonly WebhookEventType[]
    created_at: string
  },
): Promise<WebhookRow> {
  const stored = await db.kysely
    .insertInto('webhooks')
    .values({ ...row, event_types: row.event_types.join(' ') })
    .returningAll()
    .executeTakeFirstOrThrow()
  return decodeWebhook(stored)
}

export async function listWebhooks(db: Db, locationId: string): Promise<WebhookRow[]> {
  const rows = await db.kysely
    .selectFrom('webhooks')
    .selectAll()
    .where('location_id', '=', locationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map(decodeWebhook)
}

export async function findWebhook(db: Db, locationId: string, id: string): Promise<WebhookRow | undefined> {
  const row = await db.kysely
    .selectFrom('webhooks')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row && decodeWebhook(row)
}

/** Removes the registration and (by cascade) every delivery still owed to it. */
export async function deleteWebhook(db: Db, locationId: string, id: string): Promise<boolean> {
  const result = await db.kysely
    .deleteFrom('webhooks')
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}

export async function locationHasWebhooks(db: Db, locationId: string): Promise<boolean> {
  const { rows } = await db.kysely.executeQuery(findingAnyWebhookOnce(db, { locationId }))
  return rows.length > 0
}

/** Every write of tags asks this first: compiled once (store/compiledOnce.ts). */
export function findingAnyWebhook(db: Db, v: { locationId: string }) {
  return db.kysely.selectFrom('webhooks').select('id').where('location_id', '=', v.locationId).limit(1)
}

export const findingAnyWebhookOnce = compiledOnce(findingAnyWebhook)

/** Any success closes the endpoint's backoff. */
export async function recordEndpointSuccess(db: Db, locationId: string, id: string): Promise<void> {
  await db.kysely
    .updateTable('webhooks')
    .set({ consecutive_failures: 0, paused_until: null })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('consecutive_failures', '>', 0), eb('paused_until', 'is not', null)]))
    .execute()
}

/**
 * Counts `failures` more in a row, keeps the last one's error, and pauses the endpoint for a time
 * that grows with them.
 */
export async function recordEndpointFailure(
  db: Db,
  locationId: string,
  id: string,
  failures: number,
  lastError: { message: string; at: string },
  pausedUntil: (consecutiveFailures: number) => string,
): Promise<void> {
  const row = await db.kysely
    .updateTable('webhooks')
    .set((eb) => ({
      consecutive_failures: eb('consecutive_failures', '+', failures),
      last_error: lastError.message.slice(0, 500),
      last_error_at: lastError.at,
    }))
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .returning('consecutive_failures')
    .executeTakeFirst()
  if (!row) return
  await db.kysely
    .updateTable('webhooks')
    .set({ paused_until: pausedUntil(row.consecutive_failures) })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .execute()
}

/** Lifts an endpoint's pause (re-drive): its due deliveries go out at once. */
export async function resumeEndpoint(db: Db, locationId: string, id: string): Promise<void> {
  await db.kysely
    .updateTable('webhooks')
    .set({ consecutive_failures: 0, paused_until: null })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .execute()
}
