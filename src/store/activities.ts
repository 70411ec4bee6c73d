import type { Insertable, Selectable, UpdateQueryBuilder, UpdateResult } from 'kysely'
import { type ActivityState, RUNNABLE_ACTIVITY_STATES } from '../domain/activities.js'
import type { ContactSelector } from '../domain/selectors.js'
import type { Db } from './database.js'
import { claimingSelectedRowsSkippingLocked } from './dialect.js'
import type { EventWindow } from './events.js'
import type { Lease } from './leases.js'
import type { ActivitiesTable, Schema } from './schema.js'

type StoredActivity = Selectable<ActivitiesTable>

/** An activity as the rest of the code sees it: the JSON columns decoded. */
export type ActivityRow = Omit<
  StoredActivity,
  'tag_ids' | 'tag_names' | 'list_ids' | 'selector' | 'errors'
> & {
  tag_ids: string[]
  tag_names: string[] | null
  /** The lists a list-membership activity (or its undo) works on; null for tag activities. */
  list_ids: string[] | null
  selector: ContactSelector | null
  errors: string[]
}

export type NewActivity = Omit<
  Insertable<ActivitiesTable>,
  'tag_ids' | 'tag_names' | 'list_ids' | 'selector' | 'errors'
> & {
  tag_ids: readonly string[]
  tag_names?: readonly string[]
  list_ids?: readonly string[]
  selector: ContactSelector | null
}

type ActivityKey = Pick<ActivityRow, 'location_id' | 'id'>

type ActivityUpdate = UpdateQueryBuilder<Schema, 'activities', 'activities', UpdateResult>

/** The activity's row, only while `owner` holds its lease: every write a worker makes goes through this. */
function whileLeaseHeld(query: ActivityUpdate, activity: ActivityKey, owner: string): ActivityUpdate {
  return query
    .where('location_id', '=', activity.location_id)
    .where('id', '=', activity.id)
    .where('lease_owner', '=', owner)
}

function decodeActivity(row: StoredActivity): ActivityRow {
  return {
    ...row,
    tag_ids: JSON.parse(row.tag_ids) as string[],
    tag_names: row.tag_names === null ? null : (JSON.parse(row.tag_names) as string[]),
    list_ids: row.list_ids === null ? null : (JSON.parse(row.list_ids) as string[]),
    selector: row.selector === null ? null : (JSON.parse(row.selector) as ContactSelector),
    errors: JSON.parse(row.errors) as string[],
  }
}

export async function insertActivity(db: Db, activity: NewActivity): Promise<ActivityRow> {
  const row = await db.kysely
    .insertInto('activities')
    .values({
      ...activity,
      tag_ids: JSON.stringify(activity.tag_ids),
      tag_names: activity.tag_names === undefined ? null : JSON.stringify(activity.tag_names),
      list_ids: activity.list_ids === undefined ? null : JSON.stringify(activity.list_ids),
      selector: activity.selector === null ? null : JSON.stringify(activity.selector),
      errors: '[]',
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return decodeActivity(row)
}

/**
 * The tags an undo restores, once it has recreated them (the undo of a tag deletion): written
 * only while `owner` holds the lease, in the start step's transaction.
 */
export async function setActivityTagIds(
  tx: Db,
  activity: ActivityKey,
  owner: string,
  tagIds: readonly string[],
): Promise<boolean> {
  const result = await tx.kysely
    .updateTable('activities')
    .set({ tag_ids: JSON.stringify(tagIds) })
    .$call((q) => whileLeaseHeld(q, activity, owner))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function findActivity(db: Db, locationId: string, id: string): Promise<ActivityRow | undefined> {
  const row = await db.kysely
    .selectFrom('activities')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row && decodeActivity(row)
}

/** Newest first. */
/** Where a newest-first page of activities ended: the next page starts after this one. */
export type ActivityPosition = { createdAt: string; id: string }

export async function listActivities(
  db: Db,
  locationId: string,
  options: { limit: number; state?: ActivityState; after?: ActivityPosition },
): Promise<ActivityRow[]> {
  const after = options.after
  const rows = await db.kysely
    .selectFrom('activities')
    .selectAll()
    .where('location_id', '=', locationId)
    .$if(options.state !== undefined, (q) => q.where('state', '=', options.state as ActivityState))
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('created_at', '<', (after as ActivityPosition).createdAt),
          eb.and([
            eb('created_at', '=', (after as ActivityPosition).createdAt),
            eb('id', '<', (after as ActivityPosition).id),
          ]),
        ]),
      ),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit)
    .execute()
  return rows.map(decodeActivity)
}

export type { Lease } from './leases.js'

/**
 * Takes the oldest runnable activity whose lease is free or expired, for `lease.owner` until
 * `lease.expiresAt`. On PostgreSQL the candidate row is locked with FOR UPDATE SKIP LOCKED, so
 * concurrent workers each take a different activity without waiting on one another; SQLite
 * serialises writers, which gives the same guarantee.
 */
export type ClaimedActivity = Pick<StoredActivity, 'location_id' | 'id' | 'failed_attempts'>

/**
 * (Returns the claimed activity's key and failure count only: a row whose stored data cannot be
 * read must still be claimable, so its step can fail and be counted.)
 */
export async function claimRunnableActivity(tx: Db, lease: Lease): Promise<ClaimedActivity | undefined> {
  const candidate = await claimingSelectedRowsSkippingLocked(
    tx,
    tx.kysely
      .selectFrom('activities')
      .select(['location_id', 'id'])
      .where('state', 'in', RUNNABLE_ACTIVITY_STATES)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', lease.now)]))
      .orderBy('created_at')
      .limit(1),
  ).executeTakeFirst()
  if (!candidate) return undefined
  return tx.kysely
    .updateTable('activities')
    .set({ lease_owner: lease.owner, lease_expires_at: lease.expiresAt, updated_at: lease.now })
    .where('location_id', '=', candidate.location_id)
    .where('id', '=', candidate.id)
    .returning(['location_id', 'id', 'failed_attempts'])
    .executeTakeFirst()
}

/** Fixes what the activity covers and moves it to processing; only its lease holder may. */
export async function markActivityStarted(
  tx: Db,
  activity: ActivityKey,
  lease: Lease,
  start: { snapshotSeq: number; itemsTotal: number; skipped?: number; errors?: readonly string[] },
): Promise<boolean> {
  const result = await tx.kysely
    .updateTable('activities')
    .set({
      state: 'processing',
      snapshot_seq: start.snapshotSeq,
      items_total: start.itemsTotal,
      ...(start.skipped ? { items_skipped: start.skipped } : {}),
      ...(start.errors ? { errors: JSON.stringify(start.errors) } : {}),
      started_at: lease.now,
      updated_at: lease.now,
      lease_expires_at: lease.expiresAt,
    })
    .where('state', '=', 'initialized')
    .$call((q) => whileLeaseHeld(q, activity, lease.owner))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * Records a processed chunk and renews the lease, in the transaction that applied the chunk.
 * Returns false when the lease was lost or the activity was cancelled meanwhile: the caller
 * must then roll the chunk back.
 */
export async function recordChunkProgress(
  tx: Db,
  activity: ActivityKey,
  lease: Lease,
  progress: {
    cursor: string
    processed: number
    skipped?: number
    errors?: readonly string[]
    /** The events the chunk logged; chunks run one after another, so each window is later. */
    events?: EventWindow | null
  },
): Promise<boolean> {
  const events = progress.events
  const result = await tx.kysely
    .updateTable('activities')
    .set((eb) => ({
      cursor: progress.cursor,
      items_completed: eb('items_completed', '+', progress.processed),
      ...(progress.skipped ? { items_skipped: eb('items_skipped', '+', progress.skipped) } : {}),
      ...(progress.errors ? { errors: JSON.stringify(progress.errors) } : {}),
      ...(events
        ? {
            first_event_id: eb.fn.coalesce('first_event_id', eb.val(events.first)),
            last_event_id: events.last,
            events_logged: eb('events_logged', '+', events.count),
          }
        : {}),
      updated_at: lease.now,
      lease_expires_at: lease.expiresAt,
    }))
    .where('state', '=', 'processing')
    .$call((q) => whileLeaseHeld(q, activity, lease.owner))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Ends an activity its lease holder is running; returns false when the lease was lost. */
export async function finishActivity(
  tx: Db,
  activity: ActivityKey,
  lease: Lease,
  outcome: { state: 'completed' | 'failed'; errors?: readonly string[] },
): Promise<boolean> {
  const result = await tx.kysely
    .updateTable('activities')
    .set({
      state: outcome.state,
      completed_at: lease.now,
      updated_at: lease.now,
      lease_owner: null,
      lease_expires_at: null,
      ...(outcome.errors ? { errors: JSON.stringify(outcome.errors) } : {}),
    })
    .where('state', 'in', RUNNABLE_ACTIVITY_STATES)
    .$call((q) => whileLeaseHeld(q, activity, lease.owner))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * Gives the activity back so another worker can take it: at once (shutdown, database trouble), or
 * after a step failed for reasons of its own, with the failure counted and `retryAt` as the
 * lease's expiry, so other activities (other tenants' first) are claimed before this one is tried
 * again. Only the lease holder may.
 */
export async function releaseActivityLease(
  db: Db,
  activity: ActivityKey,
  owner: string,
  release: { now: string; retryAt?: string; failedAttempts?: number },
): Promise<void> {
  await db.kysely
    .updateTable('activities')
    .set({
      lease_owner: null,
      lease_expires_at: release.retryAt ?? null,
      updated_at: release.now,
      ...(release.failedAttempts === undefined ? {} : { failed_attempts: release.failedAttempts }),
    })
    .$call((q) => whileLeaseHeld(q, activity, owner))
    .execute()
}

/** The activity failed too often: it ends as failed, with why in its errors. Only the lease holder may. */
export async function markActivityFailed(
  db: Db,
  activity: ActivityKey,
  owner: string,
  failure: { now: string; attempts: number; errors: readonly string[] },
): Promise<void> {
  await db.kysely
    .updateTable('activities')
    .set({
      state: 'failed',
      failed_attempts: failure.attempts,
      errors: JSON.stringify(failure.errors),
      completed_at: failure.now,
      updated_at: failure.now,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('state', 'in', RUNNABLE_ACTIVITY_STATES)
    .$call((q) => whileLeaseHeld(q, activity, owner))
    .execute()
}

/** Cancels a not yet finished activity; whatever chunk is in flight is rolled back by its worker. */
export async function cancelActivity(
  db: Db,
  locationId: string,
  id: string,
  now: string,
): Promise<ActivityRow | undefined> {
  const row = await db.kysely
    .updateTable('activities')
    .set({
      state: 'cancelled',
      completed_at: now,
      updated_at: now,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .where('state', 'in', RUNNABLE_ACTIVITY_STATES)
    .returningAll()
    .executeTakeFirst()
  return row && decodeActivity(row)
}

/** An undo of `activityId` that has not failed or been cancelled, if any. */
export async function findLiveUndoOf(
  db: Db,
  locationId: string,
  activityId: string,
): Promise<ActivityRow | undefined> {
  const row = await db.kysely
    .selectFrom('activities')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('undo_of', '=', activityId)
    .where('state', 'not in', ['failed', 'cancelled'])
    .executeTakeFirst()
  return row && decodeActivity(row)
}
