import { CompiledQuery } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newFirebaseId } from '../../src/domain/ids.js'
import { bulkUpdateTags } from '../../src/services/bulkUpdateTags.js'
import type { Database } from '../../src/store/database.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'

const CONTACTS = 5000

/** Seeds many contacts with set-based SQL so the planners see realistic table sizes. */
async function seed(database: Database, locationId: string): Promise<string[]> {
  const now = new Date().toISOString()
  const ids = Array.from({ length: CONTACTS }, newFirebaseId)
  for (let i = 0; i < ids.length; i += 500) {
    await database.kysely
      .insertInto('contacts')
      .values(
        ids.slice(i, i + 500).map((id) => ({ location_id: locationId, id, dnd: 0, extra: '{}', search_text: '', created_at: now, updated_at: now })),
      )
      .execute()
  }
  await bulkUpdateTags(database, {
    locationId,
    operation: 'add',
    contactIds: ids.slice(0, 1000),
    tagNames: ['seed-a', 'seed-b'],
    removeAllTags: false,
    source: 'seed',
  })
  const vocabulary = Array.from({ length: 300 }, (_, i) => `topic-${i}`)
  await ensureTagsByName(database, locationId, vocabulary, now)
  await database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))
  return ids
}

/**
 * The plan of a captured statement. On PostgreSQL sequential scans are priced out first: on test-sized
 * tables a seq scan is legitimately cheapest, and what we check is that an index exists to use at all.
 */
async function plan(database: Database, query: CompiledQuery): Promise<string> {
  return database.transaction(async (tx) => {
    if (database.dialect === 'postgres') await tx.kysely.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'))
    const prefix = database.dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN '
    const result = await tx.kysely.executeQuery(CompiledQuery.raw(prefix + query.sql, [...query.parameters]))
    return result.rows.map((row) => Object.values(row as object).join(' ')).join('\n')
  })
}

/** A full scan of a tenant table means a bulk request costs time proportional to the whole table. */
function fullScans(dialect: string, planText: string): string[] {
  const pattern =
    dialect === 'sqlite' ? /SCAN (contacts|contact_tags|tags)\b(?! USING)/g : /Seq Scan on (contacts|contact_tags|tags)\b/g
  return [...planText.matchAll(pattern)].map((m) => m[0])
}

for (const dialect of DIALECTS) {
  describe(`bulk tag statements use indexes on ${dialect}`, () => {
    let t: TestDatabase
    const captured: CompiledQuery[] = []
    let capturing = false
    let locationId: string
    let ids: string[]

    beforeAll(async () => {
      t = await createTestDatabase(dialect, { onQuery: (q) => capturing && captured.push(q) })
      locationId = (await makeLocation(t.database)).id
      await makeLocation(t.database, 'neighbour')
      ids = await seed(t.database, locationId)
    })
    afterAll(() => t.drop())

    it.each(['add', 'remove'] as const)('%s: no statement scans a whole tenant table', async (operation) => {
      captured.length = 0
      capturing = true
      await bulkUpdateTags(t.database, {
        locationId,
        operation,
        contactIds: [...ids.slice(990, 1010), 'Zzzzzzzzzzzzzzzzzzzz'],
        tagNames: ['seed-a', 'fresh'],
        removeAllTags: false,
        source: 'plan-test',
      })
      capturing = false
      const statements = captured.filter((q) => !/^(begin|commit|rollback)/i.test(q.sql))
      expect(statements.length).toBeGreaterThan(4)
      for (const statement of statements) {
        const text = await plan(t.database, statement)
        expect(fullScans(dialect, text), `${statement.sql}\n${text}`).toEqual([])
      }
    })
  })
}
