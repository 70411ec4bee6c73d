import { sql } from 'kysely'
import { groupBy } from '../domain/collections.js'
import type { Db } from './database.js'

type ActivityKey = { location_id: string; id: string }

/**
 * Records contacts the activity left unchanged, with why, as its next row (one statement; the
 * lease makes the activity's chunks one writer, so max(seq) + 1 is not raced).
 */
export async function recordSkippedContacts(
  tx: Db,
  activity: ActivityKey,
  reason: string,
  contactIds: readonly string[],
): Promise<void> {
  if (contactIds.length === 0) return
  await tx.kysely
    .insertInto('activity_skips')
    .values({
      location_id: activity.location_id,
      activity_id: activity.id,
      seq: sql<number>`coalesce((select max(s.seq) from activity_skips s where s.location_id = ${activity.location_id} and s.activity_id = ${activity.id}), 0) + 1`,
      reason,
      contact_ids: JSON.stringify(contactIds),
    })
    .execute()
}

/** Records skipped contacts with their reasons: one row per reason, in first-seen order. */
export async function recordSkippedContactsByReason(
  tx: Db,
  activity: ActivityKey,
  skips: ReadonlyArray<{ contactId: string; reason: string }>,
): Promise<void> {
  for (const [reason, ids] of groupBy(
    skips,
    (s) => s.reason,
    (s) => s.contactId,
  ))
    await recordSkippedContacts(tx, activity, reason, ids)
}

/** Where a page of skipped contacts ended: row `seq`, and how many of its ids were given. */
export type SkipPosition = { seq: number; index: number }

/** Up to `limit` skipped contacts after `after`, in record order, and where to go on (if more). */
export async function listSkippedContacts(
  db: Db,
  locationId: string,
  activityId: string,
  after: SkipPosition | null,
  limit: number,
): Promise<{ skipped: Array<{ contactId: string; reason: string }>; next: SkipPosition | null }> {
  const skipped: Array<{ contactId: string; reason: string }> = []
  let position = after ?? { seq: 0, index: 0 }
  for (;;) {
    const rows = await db.kysely
      .selectFrom('activity_skips')
      .select(['seq', 'reason', 'contact_ids'])
      .where('location_id', '=', locationId)
      .where('activity_id', '=', activityId)
      .where('seq', '>=', position.seq)
      .orderBy('seq')
      .limit(8)
      .execute()
    if (rows.length === 0) return { skipped, next: null }
    for (const row of rows) {
      const ids = JSON.parse(row.contact_ids) as string[]
      const start = row.seq === position.seq ? position.index : 0
      for (let i = start; i < ids.length; i++) {
        if (skipped.length === limit) return { skipped, next: { seq: row.seq, index: i } }
        skipped.push({ contactId: ids[i] as string, reason: row.reason })
      }
      position = { seq: row.seq + 1, index: 0 }
    }
  }
}
