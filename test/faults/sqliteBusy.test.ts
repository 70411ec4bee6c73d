import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { InProcessRateLimiter } from '../../src/services/rateLimiter.js'
import { sqliteFilename } from '../../src/store/database.js'
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js'
import { makeContact, makeLocation, makeToken } from '../helpers/fixtures.js'

/** Another process (an import, the CLI) holding SQLite's write lock: the API answers 503, not 500. */
describe('SQLite locked by another process', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase('sqlite', { timeouts: { busyMs: 200 } })
  })
  afterAll(() => t.drop())

  it("answers 503 in each dialect's format while locked, and works again once released", async () => {
    const location = await makeLocation(t.database)
    const token = await makeToken(t.database, location.id)
    const contact = await makeContact(t.database, location.id)
    const app = await buildApp({
      database: t.database,
      rateLimiter: new InProcessRateLimiter({ burstMax: 1000, burstIntervalMs: 1000, dailyMax: 100000 }),
      dashboard: false,
    })
    const other = new SQLite(sqliteFilename(t.url))
    try {
      const call = (url: string, payload: unknown) =>
        app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${token}`, version: '2021-07-28' },
          payload: payload as object,
        })
      const bulk = { contacts: [contact], tags: ['busy'], locationId: location.id }
      other.exec('BEGIN EXCLUSIVE')
      const highLevel = await call('/contacts/bulk/tags/update/add', bulk)
      expect(highLevel.statusCode).toBe(503)
      expect(highLevel.headers['retry-after']).toBe('5')
      expect(highLevel.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' })
      const constantContact = await call('/v3/contact_tags', { name: 'busy' })
      expect(constantContact.statusCode).toBe(503)
      expect(constantContact.json()).toEqual([
        {
          error_key: 'http.status.service_unavailable',
          error_message: 'The service is temporarily unavailable. Retry the request later.',
        },
      ])
      other.exec('ROLLBACK')
      expect((await call('/contacts/bulk/tags/update/add', bulk)).statusCode).toBe(201)
    } finally {
      other.close()
      await app.close()
    }
  })

  it('holds the write lock from the start of a transaction, so a write after a read never meets a newer snapshot', async () => {
    const location = await makeLocation(t.database)
    const other = new SQLite(sqliteFilename(t.url), { timeout: 0 })
    try {
      await t.database.transaction(async (tx) => {
        await tx.kysely.selectFrom('locations').select('id').where('id', '=', location.id).execute()
        // Another process writing between our read and our write: with a deferred BEGIN it would
        // commit and our write would then fail with SQLITE_BUSY_SNAPSHOT; here it has to wait.
        expect(() =>
          other.prepare('UPDATE locations SET name = ? WHERE id = ?').run('theirs', location.id),
        ).toThrow(/locked|busy/i)
        await tx.kysely.updateTable('locations').set({ name: 'ours' }).where('id', '=', location.id).execute()
      })
      const row = other.prepare('SELECT name FROM locations WHERE id = ?').get(location.id) as {
        name: string
      }
      expect(row.name).toBe('ours')
    } finally {
      other.close()
    }
  })
})
