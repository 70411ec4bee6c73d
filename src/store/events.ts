import { type QueryCreator, type RawBuilder, type Selectable, sql } from 'kysely'
import type { TagChange } from '../domain/tags.js'
import type { ContactLifecycleEvent, WebhookEventType } from '../domain/webhooks.js'
import { compiledOnce } from './compiledOnce.js'
import { keyRangeOf } from './contactTags.js'
import type { Db } from './database.js'
import { isOneOf, outOfIndexChoice, rowsAsTable, typedValue, writesChainInOneStatement } from './dialect.js'
import type { ActivitiesTable, EventsTable, Schema } from './schema.js'
import {
  enqueueDeliveries,
  enqueueDeliveriesAfter,
  latestEventId,
  PENDING_DELIVERY_COLUMNS,
  pendingDeliveriesOf,
} from './webhookDeliveries.js'
import { locationHasWebhooks } from './webhooks.js'

export const CONTACT_TAG_UPDATE = 'ContactTagUpdate'

/**
 * How an event's type is stored (migration 0023): a code rather than the name, 2 bytes on
 * PostgreSQL where `ContactTagUpdate` took 17 of every event's. The codes are a closed set, so
 * statements carry them as literals; rows are read back through eventTypeOf.
 */
export const EVENT_TYPE_CODES: Readonly<Record<WebhookEventType, number>> = Object.freeze({
  ContactTagUpdate: 1,
  ContactCreate: 2,
  ContactDelete: 3,
})

const EVENT_TYPES_BY_CODE: ReadonlyMap<number, WebhookEventType> = new Map(
  Object.entries(EVENT_TYPE_CODES).map(([name, code]) => [code, name as WebhookEventType]),
)

/** The stored code of an event type, as a literal of the statement. */
function storedEventType(type: WebhookEventType) {
  return sql.lit(EVENT_TYPE_CODES[type])
}

/** The type an event row's code stands for (SQLite answers the code as text). */
export function eventTypeOf(stored: Selectable<EventsTable>['type']): WebhookEventType {
  const type = EVENT_TYPES_BY_CODE.get(Number(stored))
  if (type === undefined) throw new Error(`an event's type code ${String(stored)} is not in EVENT_TYPE_CODES`)
  return type
}

/**
 * The source of the events an activity's chunks write, an undo's included. Their activity_id names
 * the activity and its row the kind, so the label does not repeat it. As it was
 * (`constantcontact.contacts_taggings_add`) it made 37 of an event's 227 bytes, ~36 B of
 * PostgreSQL WAL per changed contact (bench:activity, 100 000 contacts, three runs each:
 * 1 533–1 636 -> 1 497–1 501 B/c). Events written before keep their label.
 */
export const ACTIVITY_SOURCE = 'activity'

/** An event as the store answers it: its type by name. */
export type EventRow = Omit<Selectable<EventsTable>, 'type'> & { type: WebhookEventType }

export type ContactTagUpdate = {
  contactId: string
  tagsAdded: readonly string[]
  tagsRemoved: readonly string[]
}

/** Where a change came from: a label, and the activity whose chunk made it (if any). */
export type EventOrigin = { source: string; activityId?: string | null }

/**
 * The ids of the first and last event a statement wrote, and how many it wrote. An activity keeps
 * the window its chunks wrote in (recordChunkProgress), which is how its events are read back.
 */
export type EventWindow = EventIdRange & { count: number }

/** The first and last id of events written together. */
type EventIdRange = { first: number; last: number }

/**
 * Runs `write` (which appends events) and queues a webhook delivery for each event it wrote, to
 * every webhook of the location. Locations without webhooks pay one indexed lookup.
 */
async function withWebhookDeliveries<T>(
  db: Db,
  locationId: string,
  now: string,
  write: () => Promise<T>,
): Promise<T> {
  if (!(await locationHasWebhooks(db, locationId))) return write()
  const before = await latestEventId(db, locationId)
  const result = await write()
  await enqueueDeliveriesAfter(db, locationId, before, now)
  return result
}

/**
 * Records that these contacts' tags changed: one ContactTagUpdate event per contact, a pending
 * webhook delivery of each event to every webhook of the location, and the contacts' updated_at
 * and last_tag_event_id (the event just written, which links to the one before: migration 0024).
 * Callers run this in the transaction that made the change (with the contacts locked), so an
 * event and its deliveries exist if and only if the change does, and no other writer moves a
 * contact's chain between the event's read of it and the contact's update. Each contact appears
 * once in `updates`.
 *
 * PostgreSQL writes all three in one statement (data-modifying WITH), one round trip; SQLite runs
 * them in-process and, as its writers are serialised, finds the events by id range instead of
 * having the insert return them (RETURNING doubled the insert's cost at 5000 events). Answers the
 * window of the events written (null for none).
 */
export async function recordContactTagUpdates(
  db: Db,
  locationId: string,
  updates: readonly ContactTagUpdate[],
  origin: EventOrigin,
  now: string,
): Promise<EventWindow | null> {
  if (updates.length === 0) return null
  const values = tagUpdateStatementValues(locationId, updates, origin, now)
  if (writesChainInOneStatement(db)) return touchLogAndQueue(db, values)
  return withWebhookDeliveries(db, locationId, now, async () => {
    const inserted = await db.kysely.executeQuery(insertingTagUpdateEventsOnce(db, values))
    // One INSERT under SQLite's single writer takes consecutive rowids, the last one reported.
    const count = Number(inserted.numAffectedRows ?? 0n)
    const last = Number(inserted.insertId ?? 0n)
    if (count === 0) return null
    const window = { first: last - count + 1, last, count }
    await db.kysely.executeQuery(
      linkingAndTouchingContactsOnce(db, { locationId, first: window.first, last, now }),
    )
    return window
  })
}

/**
 * SQLite's two writes of recordContactTagUpdates, compiled once (store/compiledOnce.ts): a small
 * bulk request runs both, and building them was ~30 µs of its ~0.5 ms of CPU (a profile of 24 000).
 */
export const insertingTagUpdateEventsOnce = compiledOnce(insertingTagUpdateEvents)

export type LinkAndTouchValues = EventIdRange & { locationId: string; now: string }

/** The link of recordContactTagUpdates, which also touches the contacts (see linkingContactsToEventsIn). */
export function linkingAndTouchingContacts(db: Db, v: LinkAndTouchValues) {
  return linkingContactsToEventsIn(db, v.locationId, v, v.now)
}

export const linkingAndTouchingContactsOnce = compiledOnce(linkingAndTouchingContacts)

/**
 * The INSERT of one event per row (run on its own, or as part of a WITH). What differs per event
 * (contact, tags added, tags removed, as JSON) is bound as one table of rows; what the events
 * share is bound once, so 5000 events are a statement of a handful of parameters, not 40 000.
 * A ContactTagUpdate links to its contact's newest one, read from the contact as this statement
 * finds it (the caller holds the contact's lock).
 */
function insertingEvents(
  db: Db,
  locationId: string,
  rows: ReadonlyArray<EventValues>,
  shared: { type: WebhookEventType; source: string; activityId: string | null; now: string },
) {
  const changes = rowsAsTable(db, rows, 'changes', {
    contact_id: 'text',
    tags_added: 'text',
    tags_removed: 'text',
  })
  const linked = shared.type === CONTACT_TAG_UPDATE
  return db.kysely
    .insertInto('events')
    .columns([
      'location_id',
      'contact_id',
      'type',
      'tags_added',
      'tags_removed',
      'source',
      'activity_id',
      'created_at',
      'previous_tag_event_id',
    ])
    .expression((eb) =>
      eb
        .selectFrom(changes)
        .select((s) => [
          s.val(locationId).as('location_id'),
          'changes.contact_id',
          storedEventType(shared.type).as('type'),
          'changes.tags_added',
          'changes.tags_removed',
          s.val(shared.source).as('source'),
          typedValue(db, shared.activityId, 'uuid').as('activity_id'),
          typedValue(db, shared.now, 'timestamptz').as('created_at'),
          linked
            ? s
                .selectFrom('contacts')
                .select('contacts.last_tag_event_id')
                .where('contacts.location_id', '=', locationId)
                .whereRef('contacts.id', '=', 'changes.contact_id')
                .as('previous_tag_event_id')
            : sql<null>`null`.as('previous_tag_event_id'),
        ]),
    )
}

/**
 * SQLite: points each contact of the ContactTagUpdate events in `window` (written by this
 * transaction, SQLite's writers being serialised) at its event, and touches it when `now` is given.
 * One pass over the window's rowids, a key seek per contact.
 */
function linkingContactsToEventsIn(db: Db, locationId: string, window: EventIdRange, now: string | null) {
  return (
    db.kysely
      .updateTable('contacts')
      .from('events')
      .set((eb) => ({
        last_tag_event_id: eb.ref('events.id'),
        ...(now === null ? {} : { updated_at: now }),
      }))
      .where('events.id', '>=', window.first)
      .where('events.id', '<=', window.last)
      .where('events.location_id', '=', locationId)
      // A literal: SQLite's text column compares equal to a literal 1, not to a bound one.
      .where('events.type', '=', storedEventType(CONTACT_TAG_UPDATE))
      .where('contacts.location_id', '=', locationId)
      .whereRef('contacts.id', '=', 'events.contact_id')
  )
}

/** What differs per event: its contact and its tag lists as JSON. */
type EventValues = { contact_id: string; tags_added: string; tags_removed: string }

/** One ContactTagUpdate event per row of `v.events` (see insertingEvents). */
export function insertingTagUpdateEvents(db: Db, v: TouchLogAndQueueValues) {
  return insertingEvents(db, v.locationId, v.events, {
    type: CONTACT_TAG_UPDATE,
    source: v.source,
    activityId: v.activityId,
    now: v.now,
  })
}

/**
 * What the writes of recordContactTagUpdates bind, derived from its arguments once: the contacts'
 * key range, and each update's event row (its tags as JSON).
 */
export function tagUpdateStatementValues(
  locationId: string,
  updates: readonly ContactTagUpdate[],
  origin: EventOrigin,
  now: string,
): TouchLogAndQueueValues {
  const range = keyRangeOf(updates.map((u) => u.contactId))
  return {
    locationId,
    first: range?.first,
    last: range?.last,
    events: updates.map((u) => ({
      contact_id: u.contactId,
      tags_added: JSON.stringify(u.tagsAdded),
      tags_removed: JSON.stringify(u.tagsRemoved),
    })),
    source: origin.source,
    activityId: origin.activityId ?? null,
    now,
  }
}

/** What the touch, events and deliveries statement binds (see tagUpdateStatementValues). */
export type TouchLogAndQueueValues = {
  locationId: string
  /** The contacts' key range: both absent when there are no updates. */
  first: string | undefined
  last: string | undefined
  events: ReadonlyArray<EventValues>
  source: string
  activityId: string | null
  now: string
}

/**
 * PostgreSQL, one statement: insert the events, touch their contacts and point each at its event,
 * queue each event to every webhook, and answer the window of the events written. The insert reads
 * each contact's previous event before the update (one snapshot for the whole statement). The
 * contacts' key range bounds the update's scan of the key.
 */
export function touchingLoggingAndQueueing(db: Db, v: TouchLogAndQueueValues) {
  return db.kysely
    .with('written', () => insertingTagUpdateEvents(db, v).returning(['id', 'contact_id']))
    .with('queued', (qc) => queueingWritten(qc, v))
    .with('touched', (qc) =>
      qc
        .updateTable('contacts')
        .from('written')
        .set((eb) => ({ updated_at: v.now, last_tag_event_id: eb.ref('written.id') }))
        .where('contacts.location_id', '=', v.locationId)
        .where('contacts.id', '>=', v.first as string)
        .where('contacts.id', '<=', v.last as string)
        .whereRef('contacts.id', '=', 'written.contact_id')
        .returning('contacts.id'),
    )
    .selectFrom('written')
    .select((eb) => [
      eb.fn.min('written.id').as('first'),
      eb.fn.max('written.id').as('last'),
      eb.fn.countAll().as('count'),
    ])
}

/** The events a WITH has just written (PostgreSQL), as its later parts see them. */
type WithWritten = QueryCreator<Schema & { written: { id: number; contact_id: string } }>

/** PostgreSQL, part of a WITH: a pending delivery of each event of `written` to every webhook. */
function queueingWritten(qc: WithWritten, v: TouchLogAndQueueValues) {
  return qc
    .insertInto('webhook_deliveries')
    .columns(PENDING_DELIVERY_COLUMNS)
    .expression((eb) =>
      eb
        .selectFrom('written')
        .innerJoin('webhooks', (join) => join.on('webhooks.location_id', '=', v.locationId))
        .select(pendingDeliveriesOf('written', v.now)),
    )
}

/**
 * The ContactTagUpdate events of contacts not inserted yet (an import's new ones), written first
 * so that each contact is inserted pointing at its event: an UPDATE of the fresh rows afterwards
 * cost 3.4 ms per 1 000 on SQLite (bench:import, 100 000 rows: 4.9-5.4 -> 5.6-6.3 s). Their chains
 * start here, with no previous change. Queues the deliveries as recordContactTagUpdates does.
 * Answers each contact's event id. SQLite numbers the events itself from the next free id (its
 * writers are serialised), PostgreSQL answers the ids the insert took.
 */
export async function recordTagUpdatesOfNewContacts(
  db: Db,
  locationId: string,
  updates: readonly ContactTagUpdate[],
  origin: EventOrigin,
  now: string,
): Promise<Map<string, number>> {
  if (updates.length === 0) return new Map()
  const v = tagUpdateStatementValues(locationId, updates, origin, now)
  if (db.dialect === 'postgres') {
    const written = await db.kysely
      .with('written', () => insertingTagUpdateEvents(db, v).returning(['id', 'contact_id']))
      .with('queued', (qc) => queueingWritten(qc, v))
      .selectFrom('written')
      .select(['written.id', 'written.contact_id'])
      .execute()
    return new Map(written.map((e) => [e.contact_id, Number(e.id)]))
  }
  return withWebhookDeliveries(db, locationId, now, async () => {
    const first = (await latestEventIdEver(db)) + 1
    const numbered = v.events.map((e, i) => ({ ...e, id: first + i }))
    await insertingNumberedEvents(db, { ...v, events: numbered }).execute()
    return new Map(numbered.map((e) => [e.contact_id, e.id]))
  })
}

/**
 * SQLite: the highest event id ever given out, deleted ones included: AUTOINCREMENT keeps it in
 * sqlite_sequence (raised by explicit ids too; no row before the first event), so ids written
 * after it are new and ascending as the rowids the table gives.
 */
async function latestEventIdEver(db: Db): Promise<number> {
  const { rows } = await sql<{ seq: number }>`
    SELECT seq FROM sqlite_sequence WHERE name = 'events'`.execute(db.kysely)
  return Number(rows[0]?.seq ?? 0)
}

/** SQLite: ContactTagUpdate events of contacts not inserted yet, with the ids given (no previous change). */
function insertingNumberedEvents(
  db: Db,
  v: TouchLogAndQueueValues & { events: ReadonlyArray<EventValues & { id: number }> },
) {
  const changes = rowsAsTable(db, v.events, 'changes', {
    id: 'bigint',
    contact_id: 'text',
    tags_added: 'text',
    tags_removed: 'text',
  })
  return db.kysely
    .insertInto('events')
    .columns([
      'id',
      'location_id',
      'contact_id',
      'type',
      'tags_added',
      'tags_removed',
      'source',
      'activity_id',
      'created_at',
    ])
    .expression((eb) =>
      eb
        .selectFrom(changes)
        .select((s) => [
          'changes.id',
          s.val(v.locationId).as('location_id'),
          'changes.contact_id',
          storedEventType(CONTACT_TAG_UPDATE).as('type'),
          'changes.tags_added',
          'changes.tags_removed',
          s.val(v.source).as('source'),
          s.val(v.activityId).as('activity_id'),
          s.val(v.now).as('created_at'),
        ]),
    )
}

/** touchingLoggingAndQueueing compiled once: its SQL is the same for every call. */
export const touchingLoggingAndQueueingOnce = compiledOnce(touchingLoggingAndQueueing)

async function touchLogAndQueue(db: Db, values: TouchLogAndQueueValues): Promise<EventWindow | null> {
  const { rows } = await db.kysely.executeQuery(touchingLoggingAndQueueingOnce(db, values))
  // An aggregate answers one row, as executeTakeFirstOrThrow required before the statement was compiled once.
  const window = rows[0]
  if (window === undefined) throw new Error('the touch, events and deliveries statement answered no row')
  const count = Number(window.count)
  return count === 0 ? null : { first: Number(window.first), last: Number(window.last), count }
}

/**
 * One ContactCreate or ContactDelete event per contact (no tag change: the tags a create sets are
 * its own ContactTagUpdate, written after this), queued only to the location's webhooks that
 * asked for this type. Two statements whatever the number of contacts.
 */
export async function recordContactLifecycle(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  type: ContactLifecycleEvent,
  source: string,
  now: string,
): Promise<void> {
  if (contactIds.length === 0) return
  const written = await insertingEvents(
    db,
    locationId,
    contactIds.map((contact_id) => ({ contact_id, tags_added: '[]', tags_removed: '[]' })),
    { type, source, activityId: null, now },
  )
    .returning(['id', 'contact_id'])
    .execute()
  await enqueueDeliveries(db, locationId, written, now, type)
}

/**
 * Events for every live contact carrying a tag that is about to be deleted, in one INSERT ... SELECT,
 * each holder pointed at its event. On PostgreSQL the holders are locked first (in key order, as
 * every writer locks contacts), so no concurrent edit of a holder links its own event to the same
 * previous one; the insert and the links are then one statement. Answers how many were written.
 */
export async function appendTagRemovalForHolders(
  db: Db,
  locationId: string,
  tagId: string,
  tagName: string,
  source: string,
  now: string,
): Promise<number> {
  const holders = db.kysely
    .selectFrom('contact_tags')
    .innerJoin('contacts', (join) =>
      join
        .onRef('contacts.location_id', '=', 'contact_tags.location_id')
        .onRef('contacts.id', '=', 'contact_tags.contact_id'),
    )
    .where('contact_tags.location_id', '=', locationId)
    .where('contact_tags.tag_id', '=', tagId)
    .where('contacts.deleted_at', 'is', null)
  const inserting = db.kysely
    .insertInto('events')
    .columns([
      'location_id',
      'contact_id',
      'type',
      'tags_added',
      'tags_removed',
      'source',
      'created_at',
      'previous_tag_event_id',
    ])
    .expression(
      holders
        .select((s) => [
          'contact_tags.location_id',
          'contact_tags.contact_id',
          storedEventType(CONTACT_TAG_UPDATE).as('type'),
          s.val('[]').as('tags_added'),
          s.val(JSON.stringify([tagName])).as('tags_removed'),
          s.val(source).as('source'),
          typedValue(db, now, 'timestamptz').as('created_at'),
          'contacts.last_tag_event_id',
        ])
        .orderBy('contact_tags.contact_id'),
    )
  return withWebhookDeliveries(db, locationId, now, async () => {
    if (db.dialect === 'sqlite') {
      const inserted = await inserting.executeTakeFirst()
      const count = Number(inserted.numInsertedOrUpdatedRows ?? 0n)
      const last = Number(inserted.insertId ?? 0n)
      if (count > 0)
        await linkingContactsToEventsIn(db, locationId, { first: last - count + 1, last }, null).execute()
      return count
    }
    const locking = holders.select('contacts.id').orderBy('contacts.id').forUpdate('contacts')
    await db.kysely
      .selectFrom(locking.as('locked'))
      .select((eb) => eb.fn.countAll().as('count'))
      .execute()
    const written = await db.kysely
      .with('written', () => inserting.returning(['id', 'contact_id']))
      .with('linked', (qc) =>
        qc
          .updateTable('contacts')
          .from('written')
          .set((eb) => ({ last_tag_event_id: eb.ref('written.id') }))
          .where('contacts.location_id', '=', locationId)
          .whereRef('contacts.id', '=', 'written.contact_id')
          .returning('contacts.id'),
      )
      .selectFrom('written')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow()
    return Number(written.count)
  })
}

export async function listEvents(db: Db, locationId: string, contactId?: string): Promise<EventRow[]> {
  const rows = await db.kysely
    .selectFrom('events')
    .selectAll()
    .where('location_id', '=', locationId)
    .$if(contactId !== undefined, (q) => q.where('contact_id', '=', contactId as string))
    .orderBy('id')
    .execute()
  return rows.map((row) => ({ ...row, type: eventTypeOf(row.type) }))
}

/**
 * The type of each of these events (a webhook lease's payloads need no more of them): two
 * columns of the event rather than its tag lists, source and times. The ids' range bounds the
 * read as well: given the list alone PostgreSQL's planner scanned a tenant's 20 000 events for a
 * lease's 512 (3.1 ms, against 0.1 ms with the range). Its btree seeks each id within the range,
 * so a wide range costs no more than the list.
 */
export async function findEventTypesByIds(
  db: Db,
  locationId: string,
  ids: readonly number[],
): Promise<Array<Pick<EventRow, 'id' | 'type'>>> {
  const rows = await eventsByIds(db, locationId, ids)?.select(['id', 'type']).execute()
  return (rows ?? []).map((row) => ({ id: row.id, type: eventTypeOf(row.type) }))
}

/** The location's events of these ids, to select from; undefined for none (see findEventTypesByIds). */
function eventsByIds(db: Db, locationId: string, ids: readonly number[]) {
  const range = keyRangeOf(ids)
  if (range === undefined) return undefined
  return (
    db.kysely
      .selectFrom('events')
      .where('location_id', '=', locationId)
      .where(isOneOf(db, 'id', ids, 'bigint'))
      // On SQLite a filter only: there the range could be chosen over the ids, and a lease that
      // holds an old retry among new events spans much of the tenant's log.
      .where(outOfIndexChoice<number>(db, 'id'), '>=', range.first)
      .where(outOfIndexChoice<number>(db, 'id'), '<=', range.last)
  )
}

export type LoggedChange = Pick<EventRow, 'id' | 'contact_id' | 'tags_added' | 'tags_removed'>

/** What finds an activity's events: its key and the window its chunks logged them in. */
export type ActivityEventWindow = Pick<
  Selectable<ActivitiesTable>,
  'location_id' | 'id' | 'first_event_id' | 'last_event_id'
>

/**
 * The changes an activity made (its events) after `afterEventId`, in id order: an undo's next
 * chunk, and the activity's per-contact results. One range of the events' key, the activity's
 * window: events other writers logged meanwhile fall in it too and are read and passed over.
 */
export async function listActivityChanges(
  db: Db,
  activity: ActivityEventWindow,
  afterEventId: number,
  limit: number,
): Promise<LoggedChange[]> {
  const { first_event_id: first, last_event_id: last } = activity
  if (first === null || last === null) return []
  return db.kysely
    .selectFrom('events')
    .select(['events.id', 'events.contact_id', 'events.tags_added', 'events.tags_removed'])
    .where('events.location_id', '=', activity.location_id)
    .where('events.id', '>=', Math.max(first, afterEventId + 1))
    .where('events.id', '<=', last)
    .where('events.activity_id', '=', activity.id)
    .orderBy('events.id')
    .limit(limit)
    .execute()
}

/** A link of a contact's chain, with the mark the walk down it stops at. */
type ChainStep = LoggedChange & { previous_tag_event_id: number | null; after_id: number }

/**
 * Every tag change (ContactTagUpdate) of each contact after that contact's own mark (its event
 * being undone or delivered), in no particular order: a walk down each contact's chain
 * (contacts.last_tag_event_id, then each event's previous_tag_event_id) until it reaches the mark.
 * The first statement reads the contacts and their newest changes; each further one the changes
 * before those, for the contacts whose walk goes on, so the usual answer (nothing happened since)
 * is one statement that reads the contacts alone, and a contact changed k times since takes k.
 * Links are never rewritten (a new change starts the chain anew at the contact), so the walk needs
 * no transaction. A contact marked twice counts from its earliest mark.
 */
export async function listEventsAfterEach(
  db: Db,
  locationId: string,
  marks: ReadonlyArray<{ contact_id: string; id: number }>,
): Promise<LoggedChange[]> {
  const earliest = new Map<string, number>()
  for (const mark of marks)
    earliest.set(mark.contact_id, Math.min(mark.id, earliest.get(mark.contact_id) ?? mark.id))
  const changes: LoggedChange[] = []
  let steps = earliest.size === 0 ? [] : await listNewestTagChangesAfter(db, locationId, earliest)
  while (steps.length > 0) {
    const markOfPrevious = new Map<number, number>()
    for (const { previous_tag_event_id: previous, after_id, ...change } of steps) {
      changes.push(change)
      if (previous !== null && previous > after_id) markOfPrevious.set(previous, after_id)
    }
    const previous = await eventsByIds(db, locationId, [...markOfPrevious.keys()])
      ?.select(['id', 'contact_id', 'tags_added', 'tags_removed', 'previous_tag_event_id'])
      .execute()
    steps = (previous ?? []).map((e) => ({ ...e, after_id: markOfPrevious.get(e.id) as number }))
  }
  return changes
}

/**
 * Each contact's newest tag change, if it is after the contact's mark: two key seeks per contact.
 * On PostgreSQL each seek is a LATERAL subquery of one row (the LIMIT keeps the planner from
 * flattening it into a join), which makes it a seek whatever the statistics say: as a join it
 * hashed every contact of the tenant.
 */
async function listNewestTagChangesAfter(
  db: Db,
  locationId: string,
  marks: ReadonlyMap<string, number>,
): Promise<ChainStep[]> {
  const marked = rowsAsTable(
    db,
    [...marks].map(([contact_id, after_id]) => ({ contact_id, after_id })),
    'marked',
    { contact_id: 'text', after_id: 'bigint' },
  )
  const seek = (table: 'contacts' | 'events', alias: string, where: RawBuilder<unknown>) =>
    db.dialect === 'postgres'
      ? sql`CROSS JOIN LATERAL (SELECT * FROM ${sql.table(table)} AS ${sql.id(alias)} WHERE ${where} LIMIT 1) AS ${sql.id(alias)}`
      : sql`JOIN ${sql.table(table)} AS ${sql.id(alias)} ON ${where}`
  const { rows } = await sql<ChainStep>`
    SELECT e.id, e.contact_id, e.tags_added, e.tags_removed, e.previous_tag_event_id, marked.after_id
    FROM ${marked}
    ${seek('contacts', 'c', sql`c.location_id = ${locationId} AND c.id = marked.contact_id AND c.last_tag_event_id > marked.after_id`)}
    ${seek('events', 'e', sql`e.location_id = ${locationId} AND e.id = c.last_tag_event_id`)}`.execute(
    db.kysely,
  )
  return rows
}

/** The tag names an event added and removed, decoded from their JSON columns. */
export function tagChangeOf(event: Pick<EventRow, 'tags_added' | 'tags_removed'>): TagChange {
  return {
    tagsAdded: JSON.parse(event.tags_added) as string[],
    tagsRemoved: JSON.parse(event.tags_removed) as string[],
  }
}
