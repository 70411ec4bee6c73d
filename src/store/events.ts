import { type Selectable, sql } from 'kysely'
import type { TagChange } from '../domain/tags.js'
import type { ContactLifecycleEvent, WebhookEventType } from '../domain/webhooks.js'
import { compiledOnce } from './compiledOnce.js'
import { touchContacts, touchingContacts } from './contacts.js'
import { type IdRange, keyRangeOf } from './contactTags.js'
import type { Db } from './database.js'
import { isOneOf, outOfIndexChoice, rowsAsTable, typedValue, writesChainInOneStatement } from './dialect.js'
import type { ActivitiesTable, EventsTable } from './schema.js'
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
export type EventWindow = { first: number; last: number; count: number }

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
 * webhook delivery of each event to every webhook of the location, and the contacts' updated_at.
 * Callers run this in the transaction that made the change (with the contacts locked), so an
 * event and its deliveries exist if and only if the change does. Contacts in `writtenAtNow` were
 * inserted or updated by this transaction with updated_at = now already and are not touched again.
 *
 * PostgreSQL writes all three in one statement (data-modifying WITH), one round trip; SQLite runs
 * them in-process and, as its writers are serialised, queues the events by id range instead of
 * having the insert return them (RETURNING doubled the insert's cost at 5000 events). Answers the
 * window of the events written (null for none).
 */
export async function recordContactTagUpdates(
  db: Db,
  locationId: string,
  updates: readonly ContactTagUpdate[],
  origin: EventOrigin,
  now: string,
  writtenAtNow: ReadonlySet<string> = new Set(),
): Promise<EventWindow | null> {
  if (updates.length === 0) return null
  const toTouch = updates.map((u) => u.contactId).filter((id) => !writtenAtNow.has(id))
  const values = tagUpdateStatementValues(locationId, toTouch, updates, origin, now)
  if (writesChainInOneStatement(db)) return touchLogAndQueue(db, values)
  return withWebhookDeliveries(db, locationId, now, async () => {
    await touchContacts(db, locationId, toTouch, now, rangeOf(values))
    const inserted = await insertingTagUpdateEvents(db, values).executeTakeFirst()
    // One INSERT under SQLite's single writer takes consecutive rowids, the last one reported.
    const count = Number(inserted.numInsertedOrUpdatedRows ?? 0n)
    const last = Number(inserted.insertId ?? 0n)
    return count === 0 ? null : { first: last - count + 1, last, count }
  })
}

/**
 * The INSERT of one event per row (run on its own, or as part of a WITH). What differs per event
 * (contact, tags added, tags removed, as JSON) is bound as one table of rows; what the events
 * share is bound once, so 5000 events are a statement of a handful of parameters, not 40 000.
 */
function insertingEvents(
  db: Db,
  locationId: string,
  rows: ReadonlyArray<{ contact_id: string; tags_added: string; tags_removed: string }>,
  shared: { type: WebhookEventType; source: string; activityId: string | null; now: string },
) {
  const changes = rowsAsTable(db, rows, 'changes', {
    contact_id: 'text',
    tags_added: 'text',
    tags_removed: 'text',
  })
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
        ]),
    )
}

/** One ContactTagUpdate event per row of `v.events` (see insertingEvents). */
function insertingTagUpdateEvents(db: Db, v: TouchLogAndQueueValues) {
  return insertingEvents(db, v.locationId, v.events, {
    type: CONTACT_TAG_UPDATE,
    source: v.source,
    activityId: v.activityId,
    now: v.now,
  })
}

/**
 * What the writes of recordContactTagUpdates bind, derived from its arguments once: the contacts
 * to touch and their key range, and each update's event row (its tags as JSON).
 */
export function tagUpdateStatementValues(
  locationId: string,
  contactIds: readonly string[],
  updates: readonly ContactTagUpdate[],
  origin: EventOrigin,
  now: string,
): TouchLogAndQueueValues {
  const range = keyRangeOf(contactIds)
  return {
    locationId,
    contactIds,
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

function rangeOf(v: TouchLogAndQueueValues): IdRange | undefined {
  return v.first === undefined || v.last === undefined ? undefined : { first: v.first, last: v.last }
}

/** What the touch, events and deliveries statement binds (see tagUpdateStatementValues). */
export type TouchLogAndQueueValues = {
  locationId: string
  contactIds: readonly string[]
  /** The contacts' key range: both absent when there are no contacts to touch. */
  first: string | undefined
  last: string | undefined
  events: ReadonlyArray<{ contact_id: string; tags_added: string; tags_removed: string }>
  source: string
  activityId: string | null
  now: string
}

/**
 * One statement: touch the contacts, insert the events, queue each event to every webhook, and
 * answer the window of the events written.
 */
export function touchingLoggingAndQueueing(db: Db, v: TouchLogAndQueueValues) {
  return db.kysely
    .with('touched', () =>
      touchingContacts(db, db.kysely, v.locationId, v.contactIds, v.now, rangeOf(v)).returning('id'),
    )
    .with('written', () => insertingTagUpdateEvents(db, v).returning(['id', 'contact_id']))
    .with('queued', (qc) =>
      qc
        .insertInto('webhook_deliveries')
        .columns(PENDING_DELIVERY_COLUMNS)
        .expression((eb) =>
          eb
            .selectFrom('written')
            .innerJoin('webhooks', (join) => join.on('webhooks.location_id', '=', v.locationId))
            .select(pendingDeliveriesOf('written', v.now)),
        ),
    )
    .selectFrom('written')
    .select((eb) => [
      eb.fn.min('written.id').as('first'),
      eb.fn.max('written.id').as('last'),
      eb.fn.countAll().as('count'),
    ])
}

/** touchingLoggingAndQueueing compiled once, for the calls that touch at least one contact. */
export const touchingLoggingAndQueueingOnce = compiledOnce(touchingLoggingAndQueueing)

/** The statement run: compiled once unless there is no contact to touch (that SQL differs). */
async function touchLogAndQueue(db: Db, values: TouchLogAndQueueValues): Promise<EventWindow | null> {
  const { rows } = await db.kysely.executeQuery(
    rangeOf(values) === undefined
      ? touchingLoggingAndQueueing(db, values).compile()
      : touchingLoggingAndQueueingOnce(db, values),
  )
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

/** Events for every live contact carrying a tag that is about to be deleted, in one INSERT ... SELECT. */
export async function appendTagRemovalForHolders(
  db: Db,
  locationId: string,
  tagId: string,
  tagName: string,
  source: string,
  now: string,
): Promise<number> {
  return withWebhookDeliveries(db, locationId, now, async () => {
    const result = await db.kysely
      .insertInto('events')
      .columns(['location_id', 'contact_id', 'type', 'tags_added', 'tags_removed', 'source', 'created_at'])
      .expression((eb) =>
        eb
          .selectFrom('contact_tags')
          .innerJoin('contacts', (join) =>
            join
              .onRef('contacts.location_id', '=', 'contact_tags.location_id')
              .onRef('contacts.id', '=', 'contact_tags.contact_id'),
          )
          .select((s) => [
            'contact_tags.location_id',
            'contact_tags.contact_id',
            storedEventType(CONTACT_TAG_UPDATE).as('type'),
            s.val('[]').as('tags_added'),
            s.val(JSON.stringify([tagName])).as('tags_removed'),
            s.val(source).as('source'),
            typedValue(db, now, 'timestamptz').as('created_at'),
          ])
          .where('contact_tags.location_id', '=', locationId)
          .where('contact_tags.tag_id', '=', tagId)
          .where('contacts.deleted_at', 'is', null)
          .orderBy('contact_tags.contact_id'),
      )
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0n)
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
  const range = keyRangeOf(ids)
  if (range === undefined) return []
  const rows = await db.kysely
    .selectFrom('events')
    .select(['id', 'type'])
    .where('location_id', '=', locationId)
    .where(isOneOf(db, 'id', ids, 'bigint'))
    // On SQLite a filter only: there the range could be chosen over the ids, and a lease that
    // holds an old retry among new events spans much of the tenant's log.
    .where(outOfIndexChoice<number>(db, 'id'), '>=', range.first)
    .where(outOfIndexChoice<number>(db, 'id'), '<=', range.last)
    .execute()
  return rows.map((row) => ({ id: row.id, type: eventTypeOf(row.type) }))
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
  return (
    db.kysely
      .selectFrom('events')
      .select(['events.id', 'events.contact_id', 'events.tags_added', 'events.tags_removed'])
      // SQLite would rather seek the contact index by location alone (every event of the tenant).
      .where(outOfIndexChoice<string>(db, 'events.location_id'), '=', activity.location_id)
      .where('events.id', '>=', Math.max(first, afterEventId + 1))
      .where('events.id', '<=', last)
      .where('events.activity_id', '=', activity.id)
      .orderBy('events.id')
      .limit(limit)
      .execute()
  )
}

/**
 * Every event of each contact after that contact's own mark (its event being undone or
 * delivered), in no particular order: one seek of the contact index per contact, and only the
 * later events are read, so the usual answer (nothing happened since) costs no rows. A contact
 * marked twice counts from its earliest mark. PostgreSQL joins LATERAL, which makes the seek per
 * contact whatever its statistics say (taken while the log was small, they had it hash every
 * event of the tenant, each chunk). SQLite loops over the marks itself; there `id` is the rowid
 * and the bound is kept out of index choice (unary plus), or its planner would rather read every
 * later event of the tenant.
 */
export async function listEventsAfterEach(
  db: Db,
  locationId: string,
  marks: ReadonlyArray<{ contact_id: string; id: number }>,
): Promise<LoggedChange[]> {
  const earliest = new Map<string, number>()
  for (const mark of marks)
    earliest.set(mark.contact_id, Math.min(mark.id, earliest.get(mark.contact_id) ?? mark.id))
  if (earliest.size === 0) return []
  const marked = rowsAsTable(
    db,
    [...earliest].map(([contact_id, after_id]) => ({ contact_id, after_id })),
    'marked',
    { contact_id: 'text', after_id: 'bigint' },
  )
  if (db.dialect === 'postgres') {
    const range = keyRangeOf([...earliest.keys()])
    return db.kysely
      .selectFrom('events')
      .innerJoin(marked, (join) =>
        join.onRef('marked.contact_id', '=', 'events.contact_id').onRef('events.id', '>', 'marked.after_id'),
      )
      .select(['events.id', 'events.contact_id', 'events.tags_added', 'events.tags_removed'])
      .where('events.location_id', '=', locationId)
      .where('events.contact_id', '>=', range?.first as string)
      .where('events.contact_id', '<=', range?.last as string)
      .execute()
  }
  return db.kysely
    .selectFrom(marked)
    .innerJoin('events', (join) =>
      join
        .on('events.location_id', '=', locationId)
        .onRef('events.contact_id', '=', 'marked.contact_id')
        .on(outOfIndexChoice(db, 'events.id'), '>', sql.ref('marked.after_id')),
    )
    .select(['events.id', 'events.contact_id', 'events.tags_added', 'events.tags_removed'])
    .execute()
}

/** The tag names an event added and removed, decoded from their JSON columns. */
export function tagChangeOf(event: Pick<EventRow, 'tags_added' | 'tags_removed'>): TagChange {
  return {
    tagsAdded: JSON.parse(event.tags_added) as string[],
    tagsRemoved: JSON.parse(event.tags_removed) as string[],
  }
}
