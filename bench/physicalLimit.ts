/**
 * The physical limit of tagging many contacts: the fewest writes the feature needs, on a minimal
 * schema, same engine and settings as the product, id-chunked like the product.
 *
 *   contacts(location_id, id)                     primary key only
 *   contact_tags(location_id, contact_id, tag_id) primary key only
 *   events(id, location_id, contact_id, payload)  one row per changed contact
 *
 * A chunk: read the next ids, insert (or delete) the tag rows returning what changed, write one
 * event per changed contact, commit. On SQLite the keyed tables are WITHOUT ROWID, as a minimal
 * schema would be written; the contacts are inserted in the same (random) order as the product's.
 */

import { sql } from 'kysely'
import { newFirebaseId } from '../src/domain/ids.js'
import type { Database, DialectName } from '../src/store/database.js'
import { type BenchEngine, openBenchEngine } from './engines.js'

/** A fresh database holding only the minimal schema. */
export function openLimitEngine(dialect: DialectName): Promise<BenchEngine> {
  return openBenchEngine(dialect, createMinimalSchema)
}

async function createMinimalSchema(database: Database): Promise<void> {
  const k = database.kysely
  const keyed = database.dialect === 'sqlite' ? sql.raw(' WITHOUT ROWID') : sql.raw('')
  const eventId =
    database.dialect === 'sqlite' ? sql.raw('integer primary key') : sql.raw('bigserial primary key')
  await sql`create table contacts (location_id text not null, id text not null,
    primary key (location_id, id))${keyed}`.execute(k)
  await sql`create table contact_tags (location_id text not null, contact_id text not null, tag_id text not null,
    primary key (location_id, contact_id, tag_id))${keyed}`.execute(k)
  await sql`create table events (id ${eventId}, location_id text not null, contact_id text not null,
    payload text not null)`.execute(k)
}

export async function seedLimitContacts(
  database: Database,
  locationId: string,
  count: number,
): Promise<void> {
  for (let start = 0; start < count; start += 10_000) {
    await database.transaction(async (tx) => {
      const ids = Array.from({ length: Math.min(10_000, count - start) }, newFirebaseId)
      for (let i = 0; i < ids.length; i += 1000) {
        const values = ids.slice(i, i + 1000).map((id) => sql`(${locationId}, ${id})`)
        await sql`insert into contacts (location_id, id) values ${sql.join(values)}`.execute(tx.kysely)
      }
    })
  }
  if (database.dialect === 'postgres') await sql`analyze`.execute(database.kysely)
}

/**
 * Fresh planner statistics on PostgreSQL, untimed before each limit run, as the product's worker
 * refreshes them after each activity: without them the 1M-contact remove, planned on statistics
 * of an empty contact_tags, took 108 s where the product took 61 s.
 */
export async function analyzeLimitTables(database: Database): Promise<void> {
  if (database.dialect === 'postgres') await sql`analyze`.execute(database.kysely)
}

/** Adds (or removes) the tags on every contact of the location, chunk by chunk in id order. */
export async function tagAllAtTheLimit(
  database: Database,
  locationId: string,
  operation: 'add' | 'remove',
  tagIds: readonly string[],
  chunkSize: number,
): Promise<number> {
  let after = ''
  let changedContacts = 0
  for (;;) {
    const ids = await database.transaction(async (tx) => {
      const k = tx.kysely
      const { rows } = await sql<{ id: string }>`select id from contacts
        where location_id = ${locationId} and id > ${after} order by id limit ${chunkSize}`.execute(k)
      if (rows.length === 0) return []
      const chunk = rows.map((r) => r.id)
      const tagList = sql.join(tagIds.map((t) => sql`(${t})`))
      const idList = sql.join(chunk.map((id) => sql`(${id})`))
      const { rows: changed } =
        operation === 'add'
          ? await sql<{ contact_id: string; tag_id: string }>`
              with c(id) as (values ${idList}), t(id) as (values ${tagList})
              insert into contact_tags (location_id, contact_id, tag_id)
              select ${locationId}, c.id, t.id from c cross join t
              where true on conflict do nothing returning contact_id, tag_id`.execute(k)
          : await sql<{ contact_id: string; tag_id: string }>`
              delete from contact_tags where location_id = ${locationId}
              and contact_id in (${sql.join(chunk)}) and tag_id in (${sql.join([...tagIds])})
              returning contact_id, tag_id`.execute(k)
      const byContact = new Map<string, string[]>()
      for (const row of changed)
        byContact.set(row.contact_id, [...(byContact.get(row.contact_id) ?? []), row.tag_id])
      const events = [...byContact].map(
        ([contactId, tags]) => sql`(${locationId}, ${contactId}, ${JSON.stringify({ [operation]: tags })})`,
      )
      for (let i = 0; i < events.length; i += 2000)
        await sql`insert into events (location_id, contact_id, payload) values ${sql.join(events.slice(i, i + 2000))}`.execute(
          k,
        )
      changedContacts += byContact.size
      return chunk
    })
    if (ids.length === 0) return changedContacts
    after = ids[ids.length - 1] as string
  }
}
