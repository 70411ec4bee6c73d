import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importRow, mapColumns } from '../../src/domain/csvImport.js'
import { editContactTags, listContacts, upsertContact } from '../../src/services/contacts.js'
import { type ImportRecord, importContacts } from '../../src/services/importContacts.js'
import type { Database } from '../../src/store/database.js'
import { listEvents } from '../../src/store/events.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeContact, makeLocation } from '../helpers/fixtures.js'

const HEADER = ['First Name', 'Email', 'Phone', 'Tags']

/** A small deterministic generator (mulberry32), so a failure names a reproducible seed. */
function random(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Rows over a tiny key space, so emails and phones collide within and across batches. */
function collidingRows(seed: number, count: number): string[][] {
  const next = random(seed)
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T
  return Array.from({ length: count }, (_, i) => [
    `Name${i}`,
    pick(['', 'a@example.com', 'A@Example.com', 'b@example.com', 'c@example.com', 'd@example.com']),
    pick(['', '+15550001', '+15550002', '+15550003']),
    pick(['', 'x', 'x;y', 'y;z', 'z']),
  ])
}

async function* recordsOf(rows: string[][]): AsyncGenerator<ImportRecord> {
  yield { line: 1, values: HEADER }
  for (const [i, values] of rows.entries()) yield { line: i + 2, values }
}

/** The import's meaning, one row at a time: what the batched import must match exactly. */
async function importRowByRow(database: Database, locationId: string, rows: string[][]) {
  const mapping = mapColumns(HEADER)
  for (const values of rows) {
    const row = importRow(values, mapping)
    if (!row.ok) continue
    const { contact } = await upsertContact(database, locationId, row.fields, 'tagbase.import')
    if (row.tags.length > 0)
      await editContactTags(database, locationId, contact.id, 'add', row.tags, 'tagbase.import')
  }
}

/** What a location holds, without ids or times: contacts with their tags, and the events' changes. */
async function contents(database: Database, locationId: string) {
  const { contacts } = await listContacts(database, locationId, { limit: 1000 })
  const events = await listEvents(database, locationId)
  const position = new Map(
    [...contacts].sort((a, b) => a.created_at.localeCompare(b.created_at)).map((c, i) => [c.id, i]),
  )
  return {
    contacts: contacts
      .map((c) => ({ name: c.first_name, email: c.email, phone: c.phone, tags: [...c.tags].sort() }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    events: events.map((e) => `${e.tags_added} ${e.tags_removed} ${e.source}`).sort(),
    eventsPerContact: events.length / Math.max(1, position.size),
  }
}

for (const dialect of DIALECTS) {
  describe(`importContacts on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    it('writes in batches exactly what row-by-row upserts would, whatever collides within a batch', async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const rows = collidingRows(seed, 40)
        const batched = (await makeLocation(t.database, `batched ${seed}`)).id
        const reference = (await makeLocation(t.database, `reference ${seed}`)).id
        // The same contact already exists in both, so some rows update rather than create.
        for (const locationId of [batched, reference])
          await upsertContact(
            t.database,
            locationId,
            { email: 'c@example.com', phone: '+15550003', tags: ['old'] },
            'seed',
          )
        const summary = await importContacts(t.database, batched, recordsOf(rows), undefined, 7)
        await importRowByRow(t.database, reference, rows)
        expect({ seed, ...(await contents(t.database, batched)) }).toEqual({
          seed,
          ...(await contents(t.database, reference)),
        })
        expect(summary.created + summary.updated + summary.rejectedCount).toBe(rows.length)
      }
    })

    it('adds tags without removing any, creates once, and a second run changes nothing', async () => {
      const locationId = (await makeLocation(t.database, 'rerun')).id
      const kept = await makeContact(t.database, locationId, ['kept'], { email: 'kept@example.com' })
      const rows = [
        ['Kept', 'kept@example.com', '', 'new'],
        ['Fresh', 'fresh@example.com', '', 'new;other'],
        ['Bad', 'not-an-email', '', ''],
        ['Nobody', '', '', 'x'],
      ]
      const first = await importContacts(t.database, locationId, recordsOf(rows))
      expect(first).toMatchObject({
        created: 1,
        updated: 1,
        rejectedCount: 2,
        rejected: [
          { line: 4, reason: '"not-an-email" is not an email address' },
          { line: 5, reason: 'the row has neither an email nor a phone' },
        ],
      })
      const after = await contents(t.database, locationId)
      expect(after.contacts).toEqual([
        { name: 'Fresh', email: 'fresh@example.com', phone: null, tags: ['new', 'other'] },
        { name: 'Kept', email: 'kept@example.com', phone: null, tags: ['kept', 'new'] },
      ])
      const eventsBefore = (await listEvents(t.database, locationId)).length
      const second = await importContacts(t.database, locationId, recordsOf(rows))
      expect(second).toMatchObject({ created: 0, updated: 2 })
      expect((await contents(t.database, locationId)).contacts).toEqual(after.contacts)
      expect((await listEvents(t.database, locationId)).length).toBe(eventsBefore)
      expect(kept).toBeTruthy()
    })

    it("never matches another location's contacts", async () => {
      const mine = (await makeLocation(t.database, 'mine')).id
      const theirs = (await makeLocation(t.database, 'theirs')).id
      await makeContact(t.database, theirs, ['secret'], { email: 'shared@example.com' })
      const summary = await importContacts(
        t.database,
        mine,
        recordsOf([['Me', 'shared@example.com', '', 'mine']]),
      )
      expect(summary).toMatchObject({ created: 1, updated: 0 })
      expect((await contents(t.database, theirs)).contacts).toEqual([
        { name: expect.any(String), email: 'shared@example.com', phone: null, tags: ['secret'] },
      ])
    })
  })
}
