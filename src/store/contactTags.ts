import { sql } from 'kysely'
import { compiledOnce, derived } from './compiledOnce.js'
import type { Db } from './database.js'
import {
  idsAsTable,
  isOneOf,
  keepingSelectedRowsFromDeletion,
  rowsAsTable,
  writesChainInOneStatement,
} from './dialect.js'

export type ContactTagName = { contact_id: string; tag_id: string; name: string }

/**
 * The smallest and largest of a set of contact ids. Activity chunks are keyset slices, so their
 * ids fill a narrow key range; naming it lets every statement seek that range even when the
 * planner's statistics are stale (a freshly filled table looks empty and the IN list alone would
 * be applied as a filter over the whole tenant).
 */
export type IdRange = KeyRange<string>
/** The smallest and largest of some keys: contact ids, or event ids. */
export type KeyRange<K extends string | number> = { first: K; last: K }
export type ContactTagPair = { contact_id: string; tag_id: string }

/** The smallest and largest of some ids (none: undefined). */
export function keyRangeOf<K extends string | number>(ids: readonly K[]): KeyRange<K> | undefined {
  let first: K | undefined
  let last: K | undefined
  for (const id of ids) {
    if (first === undefined || id < first) first = id
    if (last === undefined || id > last) last = id
  }
  return first === undefined || last === undefined ? undefined : { first, last }
}

/**
 * Touches of n contacts through the id list and through a count plus the range, SQLite, 100 000
 * contacts: n = 10: 37-46 and 47-55 µs; 30: 79-99 and 75-78; 100: 272-294 and 169-213; 1000:
 * 3.2-4.0 and 1.6-1.8 ms.
 */
export const RANGE_WRITES_FROM_IDS = 32

/**
 * Whether the location's contacts in `range` are exactly `ids` (ids of existing contacts, range
 * their smallest and largest), so that a write can name the range instead of the list. Only on
 * SQLite, where an UPDATE or DELETE whose WHERE has a subquery (the bound id list) runs in two
 * passes, first copying every matching row aside, and a range is one pass; writers are
 * serialised there, so the answer stays true until the write. Counts at most one contact more
 * than the ids: ids scattered over a large location cost what they number, not the location.
 * Below RANGE_WRITES_FROM_IDS ids the count costs what the second pass saves.
 */
export async function rangeHoldsOnly(
  db: Db,
  locationId: string,
  ids: readonly string[],
  range: IdRange,
): Promise<boolean> {
  if (db.dialect !== 'sqlite' || ids.length < RANGE_WRITES_FROM_IDS) return false
  const size = new Set(ids).size
  const row = await db.kysely
    .selectFrom((eb) =>
      eb
        .selectFrom('contacts')
        .select('id')
        .where('location_id', '=', locationId)
        .where('id', '>=', range.first)
        .where('id', '<=', range.last)
        .limit(size + 1)
        .as('in_range'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n) === size
}

/** Current tags of these contacts, ordered by contact then tag name. */
export async function listTagsOfContacts(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
): Promise<ContactTagName[]> {
  const range = keyRangeOf(contactIds)
  if (!range) return []
  const { rows } = await db.kysely.executeQuery(
    readingTagsOfContactsOnce(db, { locationId, contactIds, first: range.first, last: range.last }),
  )
  return rows
}

/** What the read of contacts' tags binds: the ids (at least one) and their key range. */
export type TagsOfContactsValues = { locationId: string; contactIds: readonly string[] } & IdRange

/**
 * The read of listTagsOfContacts. Its ids are bound as one list (isOneOf), so its SQL is the same
 * for any number of them and it is compiled once: Kysely's build of it cost ~21-47 µs a request
 * (npm run bench:statements: 20.8 -> 0.4 µs on 2026-12-06).
 */
export function readingTagsOfContacts(db: Db, v: TagsOfContactsValues) {
  return (
    db.kysely
      .selectFrom('contact_tags')
      // Each tag row's tag is one seek of the tags' key. On PostgreSQL a LATERAL subquery with a
      // LIMIT (a key has one row; the LIMIT keeps the planner from flattening it back into a join)
      // makes it so: with few tag rows estimated (the chunk's key range and its id list are counted
      // as independent), it would otherwise merge-join them with every tag of the tenant.
      .$call((q) =>
        db.dialect === 'postgres'
          ? q.innerJoinLateral(
              (eb) =>
                eb
                  .selectFrom('tags')
                  .select('tags.name')
                  .whereRef('tags.location_id', '=', 'contact_tags.location_id')
                  .whereRef('tags.id', '=', 'contact_tags.tag_id')
                  .limit(1)
                  .as('tags'),
              (join) => join.onTrue(),
            )
          : q.innerJoin('tags', (join) =>
              join
                .onRef('tags.location_id', '=', 'contact_tags.location_id')
                .onRef('tags.id', '=', 'contact_tags.tag_id'),
            ),
      )
      .select(['contact_tags.contact_id', 'contact_tags.tag_id', 'tags.name'])
      .where('contact_tags.location_id', '=', v.locationId)
      // The ids' key range lets every plan seek the primary key, whatever the statistics say.
      .where('contact_tags.contact_id', '>=', v.first)
      .where('contact_tags.contact_id', '<=', v.last)
      .where(isOneOf(db, 'contact_tags.contact_id', v.contactIds))
      .orderBy('contact_tags.contact_id')
      .orderBy('tags.name')
  )
}

export const readingTagsOfContactsOnce = compiledOnce(readingTagsOfContacts)

/**
 * Gives every contact every tag in one INSERT ... SELECT; pairs already present are skipped by
 * ON CONFLICT DO NOTHING (given the contacts' key range, by insertMissingPairs), so what comes back
 * is exactly what was added. The contacts are the caller's: live contacts of the
 * location it read (and, on PostgreSQL, locked) in this transaction; they are not read again.
 * Tags not in the location (or deleted) are left out.
 */
export async function attachTags(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  tagIds: readonly string[],
  range?: IdRange,
): Promise<ContactTagPair[]> {
  if (contactIds.length === 0 || tagIds.length === 0) return []
  if (range !== undefined) {
    return insertMissingPairs(db, locationId, [...new Set(contactIds)], [...new Set(tagIds)], range)
  }
  const { rows } = await db.kysely.executeQuery(attachingTagsOnce(db, { locationId, contactIds, tagIds }))
  return rows
}

/** What a tag-row write of listed contacts and tags binds: at least one of each. */
export type ContactsAndTagsValues = {
  locationId: string
  contactIds: readonly string[]
  tagIds: readonly string[]
}

/** attachTags' INSERT ... SELECT ... ON CONFLICT DO NOTHING, its lists bound as one value each. */
export function attachingTags(db: Db, v: ContactsAndTagsValues) {
  return insertingPairs(db)
    .expression(everyContactWithEveryTag(db, v.locationId, v.contactIds, v.tagIds))
    .onConflict((oc) => oc.columns(['location_id', 'contact_id', 'tag_id']).doNothing())
    .returning(['contact_id', 'tag_id'])
}

export const attachingTagsOnce = compiledOnce(attachingTags)

function insertingPairs(db: Db) {
  return db.kysely.insertInto('contact_tags').columns(['location_id', 'contact_id', 'tag_id'])
}

/**
 * The rows that give every contact every tag of the location among `tagIds`. contact_tags has no
 * foreign keys (migration 0008): the tags read here are held instead.
 */
function everyContactWithEveryTag(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  tagIds: readonly string[],
) {
  return db.kysely
    .selectFrom(idsAsTable(db, contactIds, 'chunk'))
    .innerJoin('tags', (join) => join.on(sql<boolean>`true`))
    .select(['tags.location_id', 'chunk.id as contact_id', 'tags.id as tag_id'])
    .where('tags.location_id', '=', locationId)
    .where(isOneOf(db, 'tags.id', tagIds))
    .$call((q) => keepingSelectedRowsFromDeletion(db, q, 'tags'))
}

/** The rows of these pairs whose tag is one of the location's, the tags held as above. */
function pairsOfLocationTags(db: Db, locationId: string, pairs: readonly ContactTagPair[]) {
  return db.kysely
    .selectFrom(rowsAsTable(db, pairs, 'wanted', { contact_id: 'text', tag_id: 'text' }))
    .innerJoin('tags', (join) =>
      join.on('tags.location_id', '=', locationId).onRef('tags.id', '=', 'wanted.tag_id'),
    )
    .select(['tags.location_id', 'wanted.contact_id', 'tags.id as tag_id'])
    .$call((q) => keepingSelectedRowsFromDeletion(db, q, 'tags'))
}

/**
 * attachTags for a chunk of contacts in their key range: the pairs the range holds of these tags
 * are read first (one range scan of the primary key) and only the missing pairs are inserted, by a
 * plain INSERT. ON CONFLICT DO NOTHING would write, on PostgreSQL, a confirmation record per
 * inserted row on top of the row (96 B of WAL per contact given two tags) and probe the key per
 * pair before inserting. Exact because every writer of tag rows holds the contacts' row locks,
 * as the chunk does (SQLite: its one writer): nothing can add a pair between the read and the
 * insert (if something did, the insert fails on the key and the chunk is retried, it never writes
 * a pair twice).
 *
 * On SQLite the insert returns nothing: the pairs inserted are the missing ones of the location's
 * tags, and the count the insert reports confirms it. RETURNING cost SQLite about as much as the
 * insert itself: a chunk of 5 000 contacts × 2 tags, 14.0-16.6 ms with it, 8.2-8.7 ms with the
 * read and without it.
 */
async function insertMissingPairs(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  tagIds: readonly string[],
  range: IdRange,
): Promise<ContactTagPair[]> {
  const held = await readPairsInRange(db, locationId, null, tagIds, range)
  const missing = held.length === 0 ? null : missingPairs(contactIds, tagIds, held)
  if (missing?.length === 0) return []
  const rows =
    missing === null
      ? everyContactWithEveryTag(db, locationId, contactIds, tagIds)
      : pairsOfLocationTags(db, locationId, missing)
  if (db.dialect === 'postgres')
    return insertingPairs(db).expression(rows).returning(['contact_id', 'tag_id']).execute()
  return insertWithoutReturning(db, locationId, rows, missing ?? missingPairs(contactIds, tagIds, []))
}

/**
 * SQLite's insert of the missing pairs, confirmed by the count of rows it reports. Pairs naming a
 * tag that is not the location's are left out by the insert, as on PostgreSQL; only when the count
 * says some were are the tags read, to answer without them.
 */
async function insertWithoutReturning(
  db: Db,
  locationId: string,
  rows: ReturnType<typeof everyContactWithEveryTag> | ReturnType<typeof pairsOfLocationTags>,
  missing: ContactTagPair[],
): Promise<ContactTagPair[]> {
  const inserted = await insertingPairs(db).expression(rows).executeTakeFirstOrThrow()
  const count = Number(inserted.numInsertedOrUpdatedRows ?? 0n)
  if (count === missing.length) return missing
  const tagIds = [...new Set(missing.map((pair) => pair.tag_id))]
  const known = new Set(
    (
      await db.kysely
        .selectFrom('tags')
        .select('id')
        .where('location_id', '=', locationId)
        .where('id', 'in', tagIds)
        .execute()
    ).map((tag) => tag.id),
  )
  const added = missing.filter((pair) => known.has(pair.tag_id))
  if (count !== added.length) throw new Error(`tag rows: ${added.length} missing pairs, ${count} inserted`)
  return added
}

/** Every contact × tag pair not among `held`, contact by contact in the order given. */
function missingPairs(
  contactIds: readonly string[],
  tagIds: readonly string[],
  held: readonly ContactTagPair[],
): ContactTagPair[] {
  const present = new Set(held.map((pair) => `${pair.contact_id}\u0000${pair.tag_id}`))
  const missing: ContactTagPair[] = []
  for (const contact_id of contactIds) {
    for (const tag_id of tagIds) {
      if (!present.has(`${contact_id}\u0000${tag_id}`)) missing.push({ contact_id, tag_id })
    }
  }
  return missing
}

/**
 * attachTags for tags given by name, in one statement when every name is a tag of the location:
 * the tags are read (held FOR KEY SHARE, as attachTags holds them) and the pairs inserted
 * together, answering the tags and the pairs added. A bulk request's tags nearly always exist, so
 * this saves PostgreSQL a round trip per request. Null when a name is not a tag yet (nothing is
 * written: the caller creates the missing tags and attaches by id), and on SQLite, where the
 * separate statements cost no round trip.
 */
export async function attachExistingTagsByName(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  names: readonly string[],
): Promise<{ tags: Array<{ id: string; name: string }>; added: ContactTagPair[] } | null> {
  const wanted = [...new Set(names)]
  if (!writesChainInOneStatement(db) || contactIds.length === 0 || wanted.length === 0) return null
  const { rows } = await db.kysely.executeQuery(
    attachingExistingTagsByNameOnce(db, { locationId, contactIds, names: wanted, nameCount: wanted.length }),
  )
  if (rows.length < wanted.length) return null
  return {
    tags: rows.map((row) => ({ id: row.id, name: row.name })),
    added: rows.flatMap((row) => row.contacts.map((contact_id) => ({ contact_id, tag_id: row.id }))),
  }
}

/** What attachExistingTagsByName binds: distinct names, and how many. */
export type AttachByNameValues = {
  locationId: string
  contactIds: readonly string[]
  names: readonly string[]
  nameCount: number
}

/** attachExistingTagsByName's statement (PostgreSQL), its lists bound as one value each. */
export function attachingExistingTagsByName(db: Db, v: AttachByNameValues) {
  return db.kysely
    .with('named', (qc) =>
      qc
        .selectFrom('tags')
        .select(['tags.location_id', 'tags.id', 'tags.name'])
        .where('tags.location_id', '=', v.locationId)
        .where(isOneOf(db, 'tags.name', v.names))
        .forKeyShare(),
    )
    .with('added', (qc) =>
      qc
        .insertInto('contact_tags')
        .columns(['location_id', 'contact_id', 'tag_id'])
        .expression((eb) =>
          eb
            .selectFrom(idsAsTable(db, v.contactIds, 'chunk'))
            .innerJoin('named', (join) => join.on(sql<boolean>`true`))
            .select(['named.location_id', 'chunk.id as contact_id', 'named.id as tag_id'])
            // All or nothing: with a tag missing, the caller attaches after creating it.
            .where(sql<number>`(select count(*) from named)`, '=', v.nameCount),
        )
        .onConflict((oc) => oc.columns(['location_id', 'contact_id', 'tag_id']).doNothing())
        .returning(['contact_id', 'tag_id']),
    )
    .selectFrom('named')
    .leftJoin('added', 'added.tag_id', 'named.id')
    .select([
      'named.id',
      'named.name',
      sql<
        string[]
      >`coalesce(array_agg(added.contact_id) filter (where added.contact_id is not null), '{}')`.as(
        'contacts',
      ),
    ])
    .groupBy(['named.id', 'named.name'])
}

export const attachingExistingTagsByNameOnce = compiledOnce(attachingExistingTagsByName)

/**
 * Gives each contact its own tags: one INSERT ... SELECT over (contact, tag) pairs, returning the
 * pairs that were added (present ones are skipped). The contacts are the caller's, as for
 * attachTags; pairs naming a tag not in the location are left out.
 */
export async function attachTagPairs(
  db: Db,
  locationId: string,
  pairs: readonly ContactTagPair[],
): Promise<ContactTagPair[]> {
  if (pairs.length === 0) return []
  return insertingPairs(db)
    .expression(pairsOfLocationTags(db, locationId, pairs))
    .onConflict((oc) => oc.columns(['location_id', 'contact_id', 'tag_id']).doNothing())
    .returning(['contact_id', 'tag_id'])
    .execute()
}

/**
 * attachTagPairs for contacts the caller's transaction created, each pair once: none of their
 * pairs can be present (nobody else sees the contacts before the commit), so nothing is checked
 * for conflicts, and every pair is added. On SQLite, which serialises writers, the pairs go in as
 * given: the tags named are the transaction's own (looked up or created in it), which nothing can
 * delete before it commits. The join with `tags` and ON CONFLICT of attachTagPairs doubled the
 * insert's time there (100 batches of 1 750 pairs: 0.89-1.20 s against 0.46-0.48). On PostgreSQL
 * the tags are still joined and held (FOR KEY SHARE) against a concurrent delete; only ON
 * CONFLICT goes, and with it a confirmation record per row.
 */
export async function attachTagPairsOfNewContacts(
  db: Db,
  locationId: string,
  pairs: readonly ContactTagPair[],
): Promise<ContactTagPair[]> {
  if (pairs.length === 0) return []
  if (db.dialect === 'postgres')
    return insertingPairs(db)
      .expression(pairsOfLocationTags(db, locationId, pairs))
      .returning(['contact_id', 'tag_id'])
      .execute()
  await insertingPairs(db)
    .expression(
      db.kysely
        .selectFrom(rowsAsTable(db, pairs, 'wanted', { contact_id: 'text', tag_id: 'text' }))
        .select([sql<string>`${locationId}`.as('location_id'), 'wanted.contact_id', 'wanted.tag_id']),
    )
    .execute()
  return [...pairs]
}

/** Removes these tags (or, with `'all'`, every tag) from the contacts; returns what was removed. */
export async function detachTags(
  db: Db,
  locationId: string,
  contactIds: readonly string[],
  tagIds: readonly string[] | 'all',
  range?: IdRange,
): Promise<ContactTagPair[]> {
  if (contactIds.length === 0 || (tagIds !== 'all' && tagIds.length === 0)) return []
  // A bulk request's removal: the one shape that is compiled once.
  if (range === undefined && tagIds !== 'all') {
    const { rows } = await db.kysely.executeQuery(
      detachingListedTagsOnce(db, { locationId, contactIds, tagIds }),
    )
    return rows
  }
  // A whole chunk's contacts, alone in their key range (see rangeHoldsOnly): the range is named.
  const wholeRange = range !== undefined && (await rangeHoldsOnly(db, locationId, contactIds, range))
  const listed = wholeRange ? null : contactIds
  if (db.dialect === 'sqlite' && range !== undefined)
    return detachReadPairs(db, locationId, listed, tagIds, range)
  return detaching(db, locationId, listed, tagIds, range).returning(['contact_id', 'tag_id']).execute()
}

/**
 * detachTags over a chunk's key range on SQLite: the pairs are read, then deleted by a DELETE that
 * returns nothing, the count it reports confirming them (the one writer holds the file: nothing
 * changes the rows in between). Reading and deleting took 14.1-16.7 ms for a chunk of 5 000
 * contacts × 2 tags, DELETE ... RETURNING 16.9-19.7 ms (a micro-benchmark): SQLite keeps a
 * statement's returned rows aside until it has finished, where a read hands each row over as it
 * finds it.
 */
async function detachReadPairs(
  db: Db,
  locationId: string,
  contactIds: readonly string[] | null,
  tagIds: readonly string[] | 'all',
  range: IdRange,
): Promise<ContactTagPair[]> {
  const pairs = await readPairsInRange(db, locationId, contactIds, tagIds, range)
  if (pairs.length === 0) return []
  const deleted = await detaching(db, locationId, contactIds, tagIds, range).executeTakeFirstOrThrow()
  const count = Number(deleted.numDeletedRows)
  if (count !== pairs.length) throw new Error(`tag rows: ${pairs.length} read to remove, ${count} removed`)
  return pairs
}

/** The pairs of these tags (`'all'`: any) that the range's contacts (or the listed ones among them) hold. */
function readPairsInRange(
  db: Db,
  locationId: string,
  contactIds: readonly string[] | null,
  tagIds: readonly string[] | 'all',
  range: IdRange,
): Promise<ContactTagPair[]> {
  return db.kysely
    .selectFrom('contact_tags')
    .select(['contact_id', 'tag_id'])
    .where('location_id', '=', locationId)
    .$if(contactIds !== null, (q) => q.where(isOneOf(db, 'contact_id', contactIds as readonly string[])))
    .where('contact_id', '>=', range.first)
    .where('contact_id', '<=', range.last)
    .$if(tagIds !== 'all', (q) => q.where('tag_id', 'in', tagIds as readonly string[]))
    .execute()
}

/** The DELETE of detachTags: of the listed contacts (null: every contact in `range`). */
function detaching(
  db: Db,
  locationId: string,
  contactIds: readonly string[] | null,
  tagIds: readonly string[] | 'all',
  range: IdRange | undefined,
) {
  return db.kysely
    .deleteFrom('contact_tags')
    .where('location_id', '=', locationId)
    .$if(contactIds !== null, (q) => q.where(isOneOf(db, 'contact_id', contactIds as readonly string[])))
    .$if(range !== undefined, (q) =>
      q.where('contact_id', '>=', range?.first as string).where('contact_id', '<=', range?.last as string),
    )
    .$if(tagIds !== 'all', (q) => q.where(isOneOf(db, 'tag_id', tagIds as readonly string[])))
}

/**
 * detachTags' DELETE of listed tags from listed contacts, its lists bound as one value each, and on
 * PostgreSQL the contacts' key range besides (see IdRange). Without the range, PostgreSQL's
 * generic plan, made on statistics taken while the tenant's tag rows were few, read every tag row
 * of the tenant (a sequential scan, or the tag index on `location_id` alone): under small
 * requests that add and remove the same tags, ~28 000 rows a delete, most of them dead ones not
 * vacuumed yet, and more each second (0.8 -> 4.3 ms a delete over a 6 000-request run). Its btree
 * seeks each listed id and only checks the range. SQLite seeks the range and filters the list,
 * which for ids spread over the tenant reads most of it (a 10-id removal 3 -> 56 ms at 100 000
 * contacts), so there the list alone is given.
 */
export function detachingListedTags(db: Db, v: ContactsAndTagsValues) {
  const range: IdRange | undefined =
    db.dialect === 'postgres'
      ? {
          first: derived(v.contactIds, (ids) => keyRangeOf(ids)?.first as string),
          last: derived(v.contactIds, (ids) => keyRangeOf(ids)?.last as string),
        }
      : undefined
  return detaching(db, v.locationId, v.contactIds, v.tagIds, range).returning(['contact_id', 'tag_id'])
}

export const detachingListedTagsOnce = compiledOnce(detachingListedTags)

/**
 * Live holders per tag: every holder, counted on the tag index alone, minus the deleted ones
 * (found through the deleted-contacts index). Joining every tag row to its contact instead costs
 * a lookup per row: 2 s for 600 000 rows on SQLite.
 */
export async function countLiveContactsPerTag(db: Db, locationId: string): Promise<Map<string, number>> {
  const [holders, deletedHolders] = await Promise.all([
    db.kysely
      .selectFrom('contact_tags')
      .select((eb) => ['tag_id', eb.fn.countAll<number>().as('n')])
      .where('location_id', '=', locationId)
      .groupBy('tag_id')
      .execute(),
    db.kysely
      .selectFrom('contacts')
      .innerJoin('contact_tags', (join) =>
        join
          .onRef('contact_tags.location_id', '=', 'contacts.location_id')
          .onRef('contact_tags.contact_id', '=', 'contacts.id'),
      )
      .select((eb) => ['contact_tags.tag_id', eb.fn.countAll<number>().as('n')])
      .where('contacts.location_id', '=', locationId)
      .where('contacts.deleted_at', 'is not', null)
      .groupBy('contact_tags.tag_id')
      .execute(),
  ])
  const deleted = new Map(deletedHolders.map((r) => [r.tag_id, Number(r.n)]))
  return new Map(holders.map((r) => [r.tag_id, Number(r.n) - (deleted.get(r.tag_id) ?? 0)]))
}
