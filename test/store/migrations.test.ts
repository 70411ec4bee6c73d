import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachTags } from '../../src/store/contactTags.js'
import {
  type ActivityEventWindow,
  EVENT_TYPE_CODES,
  listActivityChanges,
  listEvents,
  listEventsAfterEach,
  recordContactLifecycle,
} from '../../src/store/events.js'
import { migrateToLatest } from '../../src/store/migrate.js'
import type { Schema } from '../../src/store/schema.js'
import { deleteTag } from '../../src/store/tags.js'
import { claimDueDeliveries, selectEndpointsWithDueDeliveries } from '../../src/store/webhookDeliveries.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeContact, makeLocation } from '../helpers/fixtures.js'

for (const dialect of DIALECTS) {
  describe(`migrations on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    it('are idempotent and safe to run concurrently', async () => {
      const outcomes = await Promise.all([migrateToLatest(t.database), migrateToLatest(t.database)])
      expect(outcomes.flatMap((o) => o.applied)).toEqual([])
    })

    it('enforce tag uniqueness; tag rows name only tags that exist (no foreign keys: the writers hold them)', async () => {
      const location = await makeLocation(t.database)
      const now = new Date().toISOString()
      const tag = { location_id: location.id, name: 'dup', created_at: now, updated_at: now }
      await t.database.kysely
        .insertInto('tags')
        .values({ ...tag, id: 'A'.repeat(20) })
        .execute()
      await expect(
        t.database.kysely
          .insertInto('tags')
          .values({ ...tag, id: 'B'.repeat(20) })
          .execute(),
      ).rejects.toThrow()
      const contactId = await makeContact(t.database, location.id)
      // An unknown tag is left out; a known one is attached; deleting the tag takes its rows.
      expect(
        await attachTags(t.database, location.id, [contactId], ['C'.repeat(20), 'A'.repeat(20)]),
      ).toEqual([{ contact_id: contactId, tag_id: 'A'.repeat(20) }])
      expect(await deleteTag(t.database, location.id, 'A'.repeat(20))).toBe(true)
      const left = await t.database.kysely
        .selectFrom('contact_tags')
        .select('tag_id')
        .where('location_id', '=', location.id)
        .execute()
      expect(left).toEqual([])
    })

    it('refuse activity kinds and states outside the closed sets', async () => {
      const location = await makeLocation(t.database)
      const now = new Date().toISOString()
      const row = {
        location_id: location.id,
        id: 'check-activity',
        kind: 'contacts_taggings_add' as const,
        state: 'initialized' as const,
        tag_ids: '[]',
        selector: null,
        items_completed: 0,
        errors: '[]',
        created_at: now,
        updated_at: now,
      }
      await expect(
        t.database.kysely
          .insertInto('activities')
          .values({ ...row, kind: 'contacts_everything_delete' as never })
          .execute(),
      ).rejects.toThrow()
      await t.database.kysely.insertInto('activities').values(row).execute()
      await expect(
        t.database.kysely
          .updateTable('activities')
          .set({ state: 'paused' as never })
          .where('id', '=', row.id)
          .execute(),
      ).rejects.toThrow()
    })

    it('give events increasing ids', async () => {
      const location = await makeLocation(t.database)
      await makeContact(t.database, location.id, ['a'])
      await makeContact(t.database, location.id, ['b'])
      const events = await t.database.kysely
        .selectFrom('events')
        .select('id')
        .where('location_id', '=', location.id)
        .orderBy('id')
        .execute()
      // Each contact's ContactCreate and the tag update of its creation.
      expect(events).toHaveLength(4)
      expect(typeof events[0]?.id).toBe('number')
      expect(events[1]!.id).toBeGreaterThan(events[0]!.id)
    })
  })
}

/**
 * Migration 0009 rebuilds contacts and contact_tags on SQLite (clustered by key): on a populated
 * database every row, membership and tag survives, and the creation order activities snapshot by
 * (`seq`) is the order the contacts were created in. PostgreSQL's tables are left as they are.
 */
for (const dialect of DIALECTS) {
  describe(`migration 0009 on a populated ${dialect} database`, () => {
    it('keeps every contact, tag row and membership, in creation order', async () => {
      const t = await createTestDatabase(dialect, {}, '0008_lean_tag_writes')
      try {
        const k = t.database.kysely
        const now = new Date().toISOString()
        await sql`insert into locations (id, name, created_at) values ('L1', 'one', ${now}), ('L2', 'two', ${now})`.execute(
          k,
        )
        // Created in an order unlike id order, across two locations.
        const created = ['Zc', 'Aa', 'Mm', 'Bb'].map((p, i) => ({
          id: p.repeat(10),
          location: i % 2 ? 'L2' : 'L1',
        }))
        for (const c of created)
          await sql`insert into contacts (location_id, id, dnd, extra, search_text, created_at, updated_at)
            values (${c.location}, ${c.id}, 0, '{}', '', ${now}, ${now})`.execute(k)
        await sql`insert into tags (location_id, id, name, created_at, updated_at)
          values ('L1', ${'T'.repeat(20)}, 'kept', ${now}, ${now})`.execute(k)
        await sql`insert into contact_tags (location_id, contact_id, tag_id, created_at)
          values ('L1', ${'Zc'.repeat(10)}, ${'T'.repeat(20)}, ${now})`.execute(k)
        await sql`insert into lists (location_id, id, name, created_at, updated_at)
          values ('L1', ${'S'.repeat(20)}, 'list', ${now}, ${now})`.execute(k)
        await sql`insert into list_memberships (location_id, list_id, contact_id, created_at)
          values ('L1', ${'S'.repeat(20)}, ${'Mm'.repeat(10)}, ${now})`.execute(k)

        expect((await migrateToLatest(t.database)).applied).toContain('0009_clustered_contacts')

        const byLocation = async (location: string) =>
          (
            await k
              .selectFrom('contacts')
              .select('id')
              .where('location_id', '=', location)
              .orderBy('seq')
              .execute()
          ).map((r) => r.id)
        expect(await byLocation('L1')).toEqual(['Zc'.repeat(10), 'Mm'.repeat(10)])
        expect(await byLocation('L2')).toEqual(['Aa'.repeat(10), 'Bb'.repeat(10)])
        expect(await k.selectFrom('contact_tags').select(['contact_id', 'tag_id']).execute()).toEqual([
          { contact_id: 'Zc'.repeat(10), tag_id: 'T'.repeat(20) },
        ])
        expect(await k.selectFrom('list_memberships').select('contact_id').execute()).toEqual([
          { contact_id: 'Mm'.repeat(10) },
        ])
        // Contacts created after the migration come after the old ones in their location.
        const later = await makeContact(t.database, 'L1')
        expect(await byLocation('L1')).toEqual(['Zc'.repeat(10), 'Mm'.repeat(10), later])
        // The membership's foreign key still names the rebuilt table: an unknown contact is refused.
        await expect(
          sql`insert into list_memberships (location_id, list_id, contact_id, created_at)
            values ('L1', ${'S'.repeat(20)}, ${'Nn'.repeat(10)}, ${now})`.execute(k),
        ).rejects.toThrow()
      } finally {
        await t.drop()
      }
    })
  })
}

/**
 * One event of location L1 written as a raw row, as a database at an earlier migration held it
 * (the store's writers follow the latest schema).
 */
async function insertEventRow(
  k: Kysely<Schema>,
  e: { contact: string; type: string; added: string; activity: string | null; at: string },
) {
  await sql`insert into events (location_id, contact_id, type, tags_added, tags_removed, source, created_at, activity_id)
    values ('L1', ${e.contact}, ${e.type}, ${e.added}, '[]', 'test', ${e.at}, ${e.activity})`.execute(k)
}

/**
 * Migration 0019 replaces the index on events.activity_id by each activity's event window: on a
 * populated database every activity gets the window and count of the events it logged (others'
 * events interleaved in it), and its changes read back as before.
 */
for (const dialect of DIALECTS) {
  describe(`migration 0019 on a populated ${dialect} database`, () => {
    it("gives every activity its events' window and count", async () => {
      const t = await createTestDatabase(dialect, {}, '0018_drop_in_flight_index')
      try {
        const k = t.database.kysely
        const now = new Date().toISOString()
        // Activity ids are the UUIDs the activities service mints (0023 makes the column a uuid).
        const [A1, A2, A3] = ['a1', 'a2', 'a3'].map((n) => `00000000-0000-4000-8000-0000000000${n}`) as [
          string,
          string,
          string,
        ]
        await sql`insert into locations (id, name, created_at) values ('L1', 'one', ${now})`.execute(k)
        for (const id of [A1, A2, A3])
          await sql`insert into activities (location_id, id, kind, state, tag_ids, created_at, updated_at)
            values ('L1', ${id}, 'contacts_taggings_add', 'completed', '[]', ${now}, ${now})`.execute(k)
        // A1 and A2 interleaved, with a synchronous change between; A3 logged nothing.
        for (const [contact, activity] of [
          ['c1', A1],
          ['c2', A2],
          ['c3', null],
          ['c4', A1],
          ['c5', A2],
          ['c6', A1],
        ] as const)
          await insertEventRow(k, { contact, type: 'ContactTagUpdate', added: '["t"]', activity, at: now })

        expect((await migrateToLatest(t.database)).applied).toContain('0019_activity_event_windows')

        const ids = (await k.selectFrom('events').select(['id', 'contact_id']).orderBy('id').execute()).map(
          (e) => e.id,
        )
        const windows = await k
          .selectFrom('activities')
          .select(['id', 'first_event_id', 'last_event_id', 'events_logged'])
          .orderBy('id')
          .execute()
        expect(windows).toEqual([
          { id: A1, first_event_id: ids[0], last_event_id: ids[5], events_logged: 3 },
          { id: A2, first_event_id: ids[1], last_event_id: ids[4], events_logged: 2 },
          { id: A3, first_event_id: null, last_event_id: null, events_logged: 0 },
        ])
        const changesOf = async (id: string, after: number) =>
          (
            await listActivityChanges(
              t.database,
              { location_id: 'L1', ...windows.find((w) => w.id === id) } as ActivityEventWindow,
              after,
              10,
            )
          ).map((c) => c.contact_id)
        expect(await changesOf(A1, 0)).toEqual(['c1', 'c4', 'c6'])
        expect(await changesOf(A1, ids[3] as number)).toEqual(['c6'])
        expect(await changesOf(A2, 0)).toEqual(['c2', 'c5'])
        expect(await changesOf(A3, 0)).toEqual([])
      } finally {
        await t.drop()
      }
    })
  })
}

/**
 * Migration 0023 stores an event's type as a code and, on PostgreSQL, its time and activity as
 * typed columns: on a populated database the events read back exactly as they were written, and
 * events written afterwards are stored compactly.
 */
for (const dialect of DIALECTS) {
  describe(`migration 0023 on a populated ${dialect} database`, () => {
    it('keeps every event as it was and stores new ones compactly', async () => {
      const t = await createTestDatabase(dialect, {}, '0022_contacts_room_for_touches')
      try {
        const k = t.database.kysely
        const at = '2026-11-30T23:59:58.123Z'
        const activity = '0b9e2a52-8d1c-4a4e-9f7e-1c2d3e4f5a6b'
        await sql`insert into locations (id, name, created_at) values ('L1', 'one', ${at})`.execute(k)
        const written = [
          ['c1', 'ContactCreate', '[]', null],
          ['c1', 'ContactTagUpdate', '["vip"]', activity],
          ['c1', 'ContactDelete', '[]', null],
        ] as const
        for (const [contact, type, added, activity] of written)
          await insertEventRow(k, { contact, type, added, activity, at })

        expect((await migrateToLatest(t.database)).applied).toContain('0023_compact_event_columns')

        const read = (await listEvents(t.database, 'L1')).map((e) => [
          e.contact_id,
          e.type,
          e.tags_added,
          e.activity_id,
          e.created_at,
        ])
        expect(read).toEqual(written.map(([c, type, added, activityId]) => [c, type, added, activityId, at]))

        await recordContactLifecycle(t.database, 'L1', ['c2'], 'ContactCreate', 'test', at)
        const stored = await sql<{ type: number | string; bytes: number }>`
          select type, ${sql.raw(dialect === 'postgres' ? 'pg_column_size(type)' : 'length(type)')} as bytes
          from events where contact_id = 'c2'`.execute(k)
        expect(stored.rows.map((r) => [Number(r.type), Number(r.bytes)])).toEqual([
          [EVENT_TYPE_CODES.ContactCreate, dialect === 'postgres' ? 2 : 1],
        ])
      } finally {
        await t.drop()
      }
    })
  })
}

/**
 * Migration 0024 finds a contact's tag changes by a chain instead of an index: on a populated
 * database every ContactTagUpdate links to its contact's previous one and every contact names its
 * newest, lifecycle events stay out of it, and the changes after a mark read back through it.
 */
for (const dialect of DIALECTS) {
  describe(`migration 0024 on a populated ${dialect} database`, () => {
    it("links each contact's tag changes, newest first, and drops the contact index", async () => {
      const t = await createTestDatabase(dialect, {}, '0023_compact_event_columns')
      try {
        const k = t.database.kysely
        const at = '2026-12-01T00:00:00.000Z'
        await sql`insert into locations (id, name, created_at) values ('L1', 'one', ${at})`.execute(k)
        const contacts = ['c1', 'c2', 'c3']
        for (const [i, id] of contacts.entries())
          await sql`insert into contacts (location_id, id, dnd, extra, search_text, created_at, updated_at${sql.raw(dialect === 'sqlite' ? ', seq' : '')})
            values ('L1', ${id}, 0, '{}', '', ${at}, ${at}${dialect === 'sqlite' ? sql`, ${i + 1}` : sql``})`.execute(
            k,
          )
        // c1 and c2 interleaved, c1's with a lifecycle event between; c3 has no tag change.
        const written = [
          ['c1', EVENT_TYPE_CODES.ContactCreate],
          ['c1', EVENT_TYPE_CODES.ContactTagUpdate],
          ['c2', EVENT_TYPE_CODES.ContactTagUpdate],
          ['c1', EVENT_TYPE_CODES.ContactDelete],
          ['c1', EVENT_TYPE_CODES.ContactTagUpdate],
          ['c2', EVENT_TYPE_CODES.ContactTagUpdate],
          ['c1', EVENT_TYPE_CODES.ContactTagUpdate],
          ['c3', EVENT_TYPE_CODES.ContactCreate],
        ] as const
        for (const [contact, type] of written)
          await insertEventRow(k, { contact, type: String(type), added: '["t"]', activity: null, at })

        expect((await migrateToLatest(t.database)).applied).toContain('0024_tag_event_chain')

        const ids = (await k.selectFrom('events').select('id').orderBy('id').execute()).map((e) => e.id)
        const links = await k
          .selectFrom('events')
          .select(['id', 'previous_tag_event_id'])
          .orderBy('id')
          .execute()
        expect(links.map((e) => e.previous_tag_event_id)).toEqual([
          null,
          null,
          null,
          null,
          ids[1],
          ids[2],
          ids[4],
          null,
        ])
        const newest = await k
          .selectFrom('contacts')
          .select(['id', 'last_tag_event_id'])
          .orderBy('id')
          .execute()
        expect(newest).toEqual([
          { id: 'c1', last_tag_event_id: ids[6] },
          { id: 'c2', last_tag_event_id: ids[5] },
          { id: 'c3', last_tag_event_id: null },
        ])
        const changesAfter = async (marks: Array<{ contact_id: string; id: number }>) =>
          (await listEventsAfterEach(t.database, 'L1', marks)).map((e) => e.id).sort((a, b) => a - b)
        expect(await changesAfter([{ contact_id: 'c1', id: ids[0] as number }])).toEqual([
          ids[1],
          ids[4],
          ids[6],
        ])
        expect(
          await changesAfter([
            { contact_id: 'c1', id: ids[4] as number },
            { contact_id: 'c2', id: ids[5] as number },
            { contact_id: 'c3', id: ids[7] as number },
          ]),
        ).toEqual([ids[6]])
        const index = await sql<{ name: string }>`${sql.raw(
          dialect === 'sqlite'
            ? "select name from sqlite_master where name = 'events_contact_idx'"
            : "select indexname as name from pg_indexes where schemaname = current_schema() and indexname = 'events_contact_idx'",
        )}`.execute(k)
        expect(index.rows).toEqual([])
      } finally {
        await t.drop()
      }
    })
  })
}

/**
 * Migration 0025 moves the queue's indexes from `state` to `closed_at`: on a populated database
 * the delivered and dead deliveries are closed (when delivered; a dead one at its last scheduled
 * attempt), the owed ones stay open, and the queue still finds and leases exactly the due one.
 */
for (const dialect of DIALECTS) {
  describe(`migration 0025 on a populated ${dialect} database`, () => {
    it('closes the delivered and dead deliveries and keeps the owed ones in the queue', async () => {
      const t = await createTestDatabase(dialect, {}, '0024_tag_event_chain')
      try {
        const k = t.database.kysely
        const at = '2026-12-01T00:00:00.000Z'
        const later = '2026-12-02T00:00:00.000Z'
        await sql`insert into locations (id, name, created_at) values ('L1', 'one', ${at})`.execute(k)
        await sql`insert into webhooks (location_id, id, url, app_id, created_at)
          values ('L1', 'w1', 'http://127.0.0.1:9/hook', 'app', ${at})`.execute(k)
        const rows = [
          [1, 'pending', null, null],
          [2, 'delivering', null, '2000-01-01T00:00:00.000Z'],
          [3, 'delivered', later, null],
          [4, 'dead', null, null],
        ] as const
        for (const [event, state, deliveredAt, leaseExpiresAt] of rows)
          await sql`insert into webhook_deliveries
            (location_id, webhook_id, event_id, contact_id, state, next_attempt_at, lease_owner, lease_expires_at, created_at, delivered_at)
            values ('L1', 'w1', ${event}, ${`c${event}`}, ${state}, ${at}, ${leaseExpiresAt && 'gone'}, ${leaseExpiresAt}, ${at}, ${deliveredAt})`.execute(
            k,
          )

        expect((await migrateToLatest(t.database)).applied).toContain('0025_delivery_claims_touch_no_index')

        const closed = await k
          .selectFrom('webhook_deliveries')
          .select(['event_id', 'closed_at'])
          .orderBy('event_id')
          .execute()
        expect(closed).toEqual([
          { event_id: 1, closed_at: null },
          { event_id: 2, closed_at: null },
          { event_id: 3, closed_at: later },
          { event_id: 4, closed_at: at },
        ])
        const now = new Date().toISOString()
        const lease = { owner: 'after', now, expiresAt: new Date(Date.now() + 60_000).toISOString() }
        const endpoints = await selectEndpointsWithDueDeliveries(t.database, lease, 5)
        expect(endpoints).toEqual([{ location_id: 'L1', webhook_id: 'w1' }])
        // The pending one and the one whose lease ran out; nothing closed.
        const leased = await claimDueDeliveries(t.database, endpoints[0] as (typeof endpoints)[0], lease, 10)
        expect(leased.map((d) => d.event_id)).toEqual([1, 2])
      } finally {
        await t.drop()
      }
    })
  })
}
