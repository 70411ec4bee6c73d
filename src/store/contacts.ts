import {
  CompiledQuery,
  type Insertable,
  type Selectable,
  type SelectQueryBuilder,
  sql,
  type Updateable,
} from 'kysely'
import { compiledOnce } from './compiledOnce.js'
import { carriesAnyTag, inAnyList } from './contactFilters.js'
import { keyRangeOf, rangeHoldsOnly } from './contactTags.js'
import type { Db } from './database.js'
import {
  isOneOf,
  lockingSelectedRows,
  numbersContactsItself,
  refreshPlannerStatistics,
  rowsAsTable,
} from './dialect.js'
import type { ContactsTable, Schema } from './schema.js'

type StoredContact = Selectable<ContactsTable>

/** Fields kept verbatim without being interpreted (gender, dndSettings, customFields, ...). */
export type ContactExtra = Record<string, unknown>

/** A contact as the rest of the code sees it: `extra` decoded. */
export type ContactRow = Omit<StoredContact, 'extra'> & { extra: ContactExtra }
/** `seq` is the store's to give (see insertContacts), never the caller's. */
export type NewContactRow = Omit<Insertable<ContactsTable>, 'extra' | 'seq'> & { extra: ContactExtra }
export type ContactPatch = Omit<
  Updateable<ContactsTable>,
  'location_id' | 'id' | 'created_at' | 'extra' | 'seq' | 'last_tag_event_id'
> & {
  extra?: ContactExtra
}

function decodeContact(row: StoredContact): ContactRow {
  return { ...row, extra: JSON.parse(row.extra) as ContactExtra }
}

export function decodeContacts(rows: StoredContact[]): ContactRow[] {
  return rows.map(decodeContact)
}

function encodeNewContact(row: NewContactRow): Insertable<ContactsTable> {
  return { ...row, extra: JSON.stringify(row.extra) }
}

function encodePatch(patch: ContactPatch): Updateable<ContactsTable> {
  const { extra, ...rest } = patch
  return extra === undefined ? rest : { ...rest, extra: JSON.stringify(extra) }
}

export async function insertContact(db: Db, row: NewContactRow): Promise<void> {
  await insertContacts(db, [row])
}

/** How each column of a new contact is bound (see rowsAsTable); `seq` is added on SQLite. */
const NEW_CONTACT_COLUMNS = {
  location_id: 'text',
  id: 'text',
  first_name: 'text',
  last_name: 'text',
  name: 'text',
  email: 'text',
  email_lower: 'text',
  phone: 'text',
  company_name: 'text',
  address1: 'text',
  city: 'text',
  state: 'text',
  postal_code: 'text',
  country: 'text',
  website: 'text',
  timezone: 'text',
  source: 'text',
  date_of_birth: 'text',
  assigned_to: 'text',
  dnd: 'bigint',
  extra: 'text',
  search_text: 'text',
  created_at: 'text',
  updated_at: 'text',
  deleted_at: 'text',
  subscribed_at: 'text',
  unsubscribed_at: 'text',
  last_tag_event_id: 'bigint',
} as const satisfies Record<keyof Omit<Insertable<ContactsTable>, 'seq'>, 'text' | 'bigint'>

type NewContactColumn = keyof typeof NEW_CONTACT_COLUMNS
const NEW_CONTACT_COLUMN_NAMES = Object.keys(NEW_CONTACT_COLUMNS) as NewContactColumn[]

/**
 * Many new contacts in one statement, numbered in the order given (run it in a transaction on
 * SQLite: the next numbers are read first). A column a row leaves out is written NULL. Neither
 * form goes through Kysely's value parser, which parsed an import batch's 27 000 values one by one.
 */
export async function insertContacts(db: Db, rows: readonly NewContactRow[]): Promise<void> {
  if (rows.length === 0) return
  if (numbersContactsItself(db)) await insertContactsAsBoundTable(db, rows)
  else await insertNumberedContactValues(db, rows)
}

/**
 * PostgreSQL: INSERT ... SELECT over the rows bound as a table (one array per column), so a
 * batch of 1000 is a statement of 27 parameters; the identity column numbers the rows.
 */
async function insertContactsAsBoundTable(db: Db, rows: readonly NewContactRow[]): Promise<void> {
  const bound = rowsAsTable(
    db,
    rows.map(encodeNewContact) as unknown as ReadonlyArray<Record<NewContactColumn, string | number>>,
    'new_contacts',
    NEW_CONTACT_COLUMNS,
  )
  await db.kysely
    .insertInto('contacts')
    .columns(NEW_CONTACT_COLUMN_NAMES)
    // The bound table's columns come in the order of the names.
    .expression((eb) => eb.selectFrom(bound).selectAll('new_contacts'))
    .execute()
}

/**
 * SQLite: one multi-row VALUES with a placeholder per value, the text made once per row count
 * (and prepared once, see sqliteStatements.ts). A bound JSON table is slower here: SQLite reads
 * each of a row's 28 fields out of its JSON text separately (an import of 100 000 rows 5.6 -> 6.8 s).
 * Each contact gets the next `seq` of its location.
 */
async function insertNumberedContactValues(db: Db, rows: readonly NewContactRow[]): Promise<void> {
  const next = new Map<string, number>()
  for (const locationId of new Set(rows.map((r) => r.location_id)))
    next.set(locationId, (await latestSeq(db, locationId)) + 1)
  const width = NEW_CONTACT_COLUMN_NAMES.length + 1
  const parameters: unknown[] = new Array(rows.length * width)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as NewContactRow
    setNewContactValues(row, parameters, i * width)
    const seq = next.get(row.location_id) as number
    next.set(row.location_id, seq + 1)
    parameters[i * width + width - 1] = seq
  }
  await db.kysely.executeQuery(CompiledQuery.raw(numberedContactValuesSql(rows.length), parameters))
}

/**
 * Writes a new contact's values into `values` from `at`, in NEW_CONTACT_COLUMN_NAMES order (a
 * missing column as NULL). Generated from the names once: a loop's `row[column]` is a keyed read
 * that V8 looks up column by column, 3.4x the generated named reads (1000 rows of an import
 * batch: 2.0-2.7 ms -> 0.6 ms).
 */
const setNewContactValues = new Function(
  'row',
  'values',
  'at',
  NEW_CONTACT_COLUMN_NAMES.map(
    (column, i) =>
      `values[at + ${i}] = ${column === 'extra' ? 'JSON.stringify(row.extra)' : `row.${column} ?? null`}`,
  ).join('\n'),
) as (row: NewContactRow, values: unknown[], at: number) => void

const valuesSqlByRowCount = new Map<number, string>()

function numberedContactValuesSql(rowCount: number): string {
  let text = valuesSqlByRowCount.get(rowCount)
  if (text === undefined) {
    const columns = [...NEW_CONTACT_COLUMN_NAMES, 'seq'].map((c) => `"${c}"`).join(', ')
    const row = `(${new Array(NEW_CONTACT_COLUMN_NAMES.length + 1).fill('?').join(', ')})`
    text = `insert into "contacts" (${columns}) values ${new Array(rowCount).fill(row).join(', ')}`
    // Batches come in a few sizes (a full import batch, its last one, single contacts).
    if (valuesSqlByRowCount.size < 64) valuesSqlByRowCount.set(rowCount, text)
  }
  return text
}

async function latestSeq(db: Db, locationId: string): Promise<number> {
  const row = await db.kysely
    .selectFrom('contacts')
    .select((eb) => eb.fn.max('seq').as('latest'))
    .where('location_id', '=', locationId)
    .executeTakeFirst()
  return Number(row?.latest ?? 0)
}

/** The contact in this location, deleted or not. */
export async function findContact(db: Db, locationId: string, id: string): Promise<ContactRow | undefined> {
  const row = await db.kysely
    .selectFrom('contacts')
    .selectAll()
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row && decodeContact(row)
}

/** The oldest live contact of this location with this lower-cased email. */
export async function findLiveContactByEmail(
  db: Db,
  locationId: string,
  emailLower: string,
): Promise<ContactRow | undefined> {
  const row = await liveContactsWith(db, locationId, 'email_lower', [emailLower])
    .selectAll()
    .limit(1)
    .executeTakeFirst()
  return row && decodeContact(row)
}

/** The oldest live contact of this location with this phone. */
export async function findLiveContactByPhone(
  db: Db,
  locationId: string,
  phone: string,
): Promise<ContactRow | undefined> {
  const row = await liveContactsWith(db, locationId, 'phone', [phone]).selectAll().limit(1).executeTakeFirst()
  return row && decodeContact(row)
}

/**
 * What an import matches its rows on: a live contact's id and the two keys (the import then
 * locks and reads the matched contacts whole). Reading every column cost a re-import of
 * 100 000 rows ~1 s of SQLite time, twice, for the ids alone.
 */
export type ContactKeys = { id: string; email_lower: string | null; phone: string | null }

/** Keys of live contacts of this location with any of these lower-cased emails, oldest first. */
export async function findLiveContactKeysByEmails(
  db: Db,
  locationId: string,
  emailsLower: readonly string[],
): Promise<ContactKeys[]> {
  if (emailsLower.length === 0) return []
  return liveContactsWith(db, locationId, 'email_lower', emailsLower)
    .select(['id', 'email_lower', 'phone'])
    .execute()
}

/** Keys of live contacts of this location with any of these phones, oldest first. */
export async function findLiveContactKeysByPhones(
  db: Db,
  locationId: string,
  phones: readonly string[],
): Promise<ContactKeys[]> {
  if (phones.length === 0) return []
  return liveContactsWith(db, locationId, 'phone', phones).select(['id', 'email_lower', 'phone']).execute()
}

/** Live contacts of the location whose email or phone is one of `values`, oldest first. */
function liveContactsWith(
  db: Db,
  locationId: string,
  column: 'email_lower' | 'phone',
  values: readonly string[],
) {
  return (
    db.kysely
      .selectFrom('contacts')
      .where('location_id', '=', locationId)
      // One bound array, not a parameter per value (an import batch is 1000).
      .where(isOneOf(db, column, values))
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
  )
}

export async function updateContact(
  db: Db,
  locationId: string,
  id: string,
  patch: ContactPatch,
): Promise<void> {
  await db.kysely
    .updateTable('contacts')
    .set(encodePatch(patch))
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .execute()
}

export async function softDeleteContact(
  db: Db,
  locationId: string,
  id: string,
  now: string,
): Promise<boolean> {
  const result = await db.kysely
    .updateTable('contacts')
    .set({ deleted_at: now, updated_at: now })
    .where('location_id', '=', locationId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * The live contacts of this location among `ids`, in id order. On PostgreSQL the rows are locked
 * (in id order, so concurrent bulk requests cannot deadlock) until the transaction ends, which
 * makes what is read afterwards — or here, with lockAndReadLiveContacts — the state the change is
 * applied to; a read under the lock waits for a concurrent writer and returns what it committed.
 * SQLite transactions are already serialised.
 */
export function liveContactsLocked(db: Db, v: LockValues) {
  return lockingSelectedRows(
    db,
    db.kysely
      .selectFrom('contacts')
      .where('location_id', '=', v.locationId)
      .where(isOneOf(db, 'id', v.ids))
      .where('id', '>=', v.first)
      .where('id', '<=', v.last)
      .where('deleted_at', 'is', null)
      .orderBy('id'),
  )
}

/** What the lock binds: the ids, and their smallest and largest (keyRangeOf). */
export type LockValues = { locationId: string; ids: readonly string[]; first: string; last: string }

/**
 * The lock, compiled once per engine (store/compiledOnce.ts): a small bulk request runs it, and
 * Kysely built it in ~23 µs of CPU each time.
 */
export const lockingLiveContactIds = compiledOnce((db: Db, v: LockValues) =>
  liveContactsLocked(db, v).select('id'),
)
export const lockingLiveContactRows = compiledOnce((db: Db, v: LockValues) =>
  liveContactsLocked(db, v).selectAll(),
)

function lockValues(locationId: string, ids: readonly string[]): LockValues {
  const range = keyRangeOf(ids)
  if (range === undefined) throw new Error('no contact to lock')
  return { locationId, ids, ...range }
}

/** Locks the live contacts among `ids` (see liveContactsLocked) and returns their ids. */
export async function lockLiveContacts(
  db: Db,
  locationId: string,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length === 0) return []
  const { rows } = await db.kysely.executeQuery(lockingLiveContactIds(db, lockValues(locationId, ids)))
  return rows.map((r) => r.id)
}

/** Locks the live contacts among `ids` and reads them whole: write from these, never from an earlier read. */
export async function lockAndReadLiveContacts(
  db: Db,
  locationId: string,
  ids: readonly string[],
): Promise<ContactRow[]> {
  if (ids.length === 0) return []
  const { rows } = await db.kysely.executeQuery(lockingLiveContactRows(db, lockValues(locationId, ids)))
  return decodeContacts(rows)
}

/** Where ids live, across all locations: used only to say why an id cannot be tagged here. */
export async function findContactHomes(
  db: Db,
  ids: readonly string[],
): Promise<Array<{ id: string; location_id: string; deleted: boolean }>> {
  if (ids.length === 0) return []
  const rows = await db.kysely
    .selectFrom('contacts')
    .select(['id', 'location_id', 'deleted_at'])
    .where('id', 'in', ids)
    .execute()
  return rows.map((r) => ({ id: r.id, location_id: r.location_id, deleted: r.deleted_at !== null }))
}

/**
 * Sets `updated_at` on these contacts: ids of existing contacts of the location (what the caller
 * changed in this transaction), `range` their smallest and largest. When the range holds no
 * other contact (an activity chunk whose contacts all changed) SQLite updates the range itself
 * (see rangeHoldsOnly): 7-9 ms for 5 000 contacts where the id list took 19-20.
 */
export async function touchContacts(
  db: Db,
  locationId: string,
  ids: readonly string[],
  now: string,
  range?: { first: string; last: string },
): Promise<void> {
  if (ids.length === 0) return
  const wholeRange = range !== undefined && (await rangeHoldsOnly(db, locationId, ids, range))
  await touchingContacts(db, locationId, ids, now, range, wholeRange).execute()
}

/**
 * The UPDATE touchContacts runs. `wholeRange`: the range holds only these contacts
 * (rangeHoldsOnly), so it alone is named.
 */
function touchingContacts(
  db: Db,
  locationId: string,
  ids: readonly string[],
  now: string,
  range?: { first: string; last: string },
  wholeRange = false,
) {
  return db.kysely
    .updateTable('contacts')
    .set({ updated_at: now })
    .where('location_id', '=', locationId)
    .$if(!(wholeRange && range !== undefined), (u) => u.where(isOneOf(db, 'id', ids)))
    .$if(range !== undefined, (u) =>
      u.where('id', '>=', range?.first as string).where('id', '<=', range?.last as string),
    )
}

export type ContactPageQuery = { query?: string; limit: number; startAfterId?: string }

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function liveContactsMatching(db: Db, locationId: string, query: string | undefined) {
  return db.kysely
    .selectFrom('contacts')
    .where('location_id', '=', locationId)
    .where('deleted_at', 'is', null)
    .$if(query !== undefined && query.length > 0, (q) =>
      q.where(sql<boolean>`search_text like ${`%${escapeLike((query ?? '').toLowerCase())}%`} escape '\\'`),
    )
}

/** One keyset page of live contacts ordered by id. */
export async function listLiveContacts(
  db: Db,
  locationId: string,
  page: ContactPageQuery,
): Promise<ContactRow[]> {
  const rows = await liveContactsMatching(db, locationId, page.query)
    .selectAll()
    .$if(page.startAfterId !== undefined, (q) => q.where('id', '>', page.startAfterId as string))
    .orderBy('id')
    .limit(page.limit)
    .execute()
  return decodeContacts(rows)
}

export async function countLiveContacts(
  db: Db,
  locationId: string,
  query: string | undefined,
): Promise<number> {
  if (query === undefined || query.length === 0) return countAllLiveContacts(db, locationId)
  const row = await liveContactsMatching(db, locationId, query)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Every live contact of the tenant: countLiveContactsPerLocation, narrowed to one location. */
async function countAllLiveContacts(db: Db, locationId: string): Promise<number> {
  return (await countLiveContactsPerLocation(db, locationId)).get(locationId) ?? 0
}

/**
 * Live contacts per location (of every location, or of `only`): all of them counted on the
 * primary key alone, minus the deleted ones on their own partial index, so no row is read.
 * Filtering on deleted_at instead reads every row (0.5 s for 200 000 contacts on SQLite). Two
 * statements for any number of locations (the dashboard's sidebar).
 */
export async function countLiveContactsPerLocation(db: Db, only?: string): Promise<Map<string, number>> {
  const counted = (deletedOnly: boolean) =>
    db.kysely
      .selectFrom('contacts')
      .select((eb) => ['location_id', eb.fn.countAll<number>().as('n')])
      .$if(only !== undefined, (q) => q.where('location_id', '=', only as string))
      .$if(deletedOnly, (q) => q.where('deleted_at', 'is not', null))
      .groupBy('location_id')
      .execute()
  const [all, deleted] = await Promise.all([counted(false), counted(true)])
  const gone = new Map(deleted.map((r) => [r.location_id, Number(r.n)]))
  return new Map(all.map((r) => [r.location_id, Number(r.n) - (gone.get(r.location_id) ?? 0)]))
}

export type ContactStatusFilter = 'all' | 'active' | 'unsubscribed' | 'deleted'

export type ContactFilter = {
  status: ContactStatusFilter
  /** Contacts carrying any of these tags. */
  tagIds?: readonly string[]
  /** Members of any of these lists. */
  listIds?: readonly string[]
  /** The contact whose email is this, compared case-insensitively (pass it lower-cased). */
  emailLower?: string
  /** ISO instants (as stored: `toISOString()`), `after` inclusive, `before` exclusive. */
  createdAfter?: string
  createdBefore?: string
  updatedAfter?: string
  updatedBefore?: string
}

export type KeysetPage = { afterId?: string; limit: number }

type FilteredContacts<O> = SelectQueryBuilder<Schema, 'contacts', O>

/** Every given filter as WHERE clauses, the tenant's key first. */
function whereFiltered<O>(
  query: FilteredContacts<O>,
  locationId: string,
  filter: ContactFilter,
): FilteredContacts<O> {
  let q = query.where('contacts.location_id', '=', locationId)
  if (filter.status === 'deleted') q = q.where('contacts.deleted_at', 'is not', null)
  else q = q.where('contacts.deleted_at', 'is', null)
  if (filter.status === 'active') q = q.where('contacts.unsubscribed_at', 'is', null)
  if (filter.status === 'unsubscribed') q = q.where('contacts.unsubscribed_at', 'is not', null)
  const tagIds = filter.tagIds ?? []
  if (tagIds.length > 0) q = q.where((eb) => carriesAnyTag(eb, locationId, tagIds))
  const listIds = filter.listIds ?? []
  if (listIds.length > 0) q = q.where((eb) => inAnyList(eb, locationId, listIds))
  if (filter.emailLower !== undefined) q = q.where('contacts.email_lower', '=', filter.emailLower)
  if (filter.createdAfter !== undefined) q = q.where('contacts.created_at', '>=', filter.createdAfter)
  if (filter.createdBefore !== undefined) q = q.where('contacts.created_at', '<', filter.createdBefore)
  if (filter.updatedAfter !== undefined) q = q.where('contacts.updated_at', '>=', filter.updatedAfter)
  if (filter.updatedBefore !== undefined) q = q.where('contacts.updated_at', '<', filter.updatedBefore)
  return q
}

/** A keyset page (id order) of contacts matching every given filter. */
export async function listContactsFiltered(
  db: Db,
  locationId: string,
  filter: ContactFilter,
  page: KeysetPage,
): Promise<ContactRow[]> {
  const query = whereFiltered(db.kysely.selectFrom('contacts').selectAll('contacts'), locationId, filter)
  return decodeContacts(
    await query
      .$if(page.afterId !== undefined, (q) => q.where('contacts.id', '>', page.afterId as string))
      .orderBy('contacts.id')
      .limit(page.limit)
      .execute(),
  )
}

/** How many contacts match every given filter (all pages). */
export async function countContactsFiltered(
  db: Db,
  locationId: string,
  filter: ContactFilter,
): Promise<number> {
  const row = await whereFiltered(
    db.kysely.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')),
    locationId,
    filter,
  ).executeTakeFirst()
  return Number(row?.n ?? 0)
}

export type ConsentCounts = {
  total: number
  explicit: number
  implicit: number
  pending: number
  unsubscribed: number
  /** Subscribed at or after the given instant (and not unsubscribed since). */
  newSubscribers: number
}

/**
 * The tenant's live contacts by consent, in one pass: unsubscribed ones, then the others by the
 * permission they were given (`permissionToSend` in `extra`; none given counts as implicit, as the
 * contact is shown). Contacts `not_set` or on `temp_hold` are in the total only.
 */
export async function countContactsByConsent(
  db: Db,
  locationId: string,
  newSubscriberSince: string,
): Promise<ConsentCounts> {
  const permission =
    db.dialect === 'postgres'
      ? sql<string | null>`(contacts.extra::jsonb ->> 'permissionToSend')`
      : sql<string | null>`json_extract(contacts.extra, '$.permissionToSend')`
  const subscribed = sql<boolean>`contacts.unsubscribed_at is null`
  const row = await db.kysely
    .selectFrom('contacts')
    .select([
      sql<number>`count(*)`.as('total'),
      sql<number>`coalesce(sum(case when ${subscribed} and ${permission} = 'explicit' then 1 else 0 end), 0)`.as(
        'explicit',
      ),
      sql<number>`coalesce(sum(case when ${subscribed} and ${permission} = 'pending_confirmation' then 1 else 0 end), 0)`.as(
        'pending',
      ),
      sql<number>`coalesce(sum(case when ${subscribed} and coalesce(${permission}, 'implicit') = 'implicit' then 1 else 0 end), 0)`.as(
        'implicit',
      ),
      sql<number>`coalesce(sum(case when ${subscribed} then 0 else 1 end), 0)`.as('unsubscribed'),
      sql<number>`coalesce(sum(case when ${subscribed} and contacts.subscribed_at >= ${newSubscriberSince} then 1 else 0 end), 0)`.as(
        'new_subscribers',
      ),
    ])
    .where('contacts.location_id', '=', locationId)
    .where('contacts.deleted_at', 'is', null)
    .executeTakeFirstOrThrow()
  return {
    total: Number(row.total),
    explicit: Number(row.explicit),
    implicit: Number(row.implicit),
    pending: Number(row.pending),
    unsubscribed: Number(row.unsubscribed),
    newSubscribers: Number(row.new_subscribers),
  }
}

/** These contacts of the location, deleted ones included (in no particular order). */
export async function findContactsByIds(
  db: Db,
  locationId: string,
  ids: readonly string[],
): Promise<ContactRow[]> {
  if (ids.length === 0) return []
  const rows = await db.kysely
    .selectFrom('contacts')
    .selectAll()
    .where('location_id', '=', locationId)
    .where(isOneOf(db, 'id', ids))
    .execute()
  return decodeContacts(rows)
}

/**
 * Fresh statistics for the tables an import or an activity fills: contacts, their tag rows and
 * their events. A table filled within minutes still has the statistics of an empty one:
 * PostgreSQL's plans then apply a batch's id list as a filter over the whole tenant (a webhook
 * lease read 20 000 events to find its 512), and SQLite's pick an index that reads every row to
 * count a tenant's tags.
 */
export async function refreshContactStatistics(db: Db): Promise<void> {
  // SQLite re-analyses (sampled, see openSqlite) only the tables that grew enough to need it.
  await refreshPlannerStatistics(db, ['contacts', 'contact_tags', 'events'])
}
