import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Database, isDatabaseUnavailable, openDatabase } from '../../src/store/database.js'
import { PREPARED_STATEMENT_MAX_PARAMETERS } from '../../src/store/resilientPool.js'
import { createTestDatabase, DIALECTS, POSTGRES_URL, type TestDatabase } from '../helpers/databases.js'
import { TcpProxy } from '../helpers/tcpProxy.js'

/**
 * Counts ReadyForQuery messages in what the server sends: one per round trip (each Sync or simple
 * Query is answered by exactly one), whatever the network does to the bytes.
 */
function countRoundTrips(proxy: TcpProxy): { readonly count: number; stop(): void } {
  let pending = Buffer.alloc(0)
  let count = 0
  const stop = proxy.tapDownstream((chunk) => {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1)
      if (pending.length < 1 + length) break
      if (pending[0] === 0x5a /* 'Z' */) count++
      pending = pending.subarray(1 + length)
    }
  })
  return {
    get count() {
      return count
    },
    stop,
  }
}

/** PostgreSQL only: SQLite has no round trips. */
for (const dialect of DIALECTS.filter((d) => d === 'postgres')) {
  describe(`a transaction's BEGIN goes with its first statement on ${dialect}`, () => {
    let t: TestDatabase
    let proxy: TcpProxy
    let database: Database
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
      const proxied = await TcpProxy.inFrontOf(POSTGRES_URL)
      proxy = proxied.proxy
      // One connection, so the BEGIN prepared by the first transaction serves every later one.
      database = openDatabase(proxied.url, { searchPath: t.searchPath as string, poolSize: 1 })
      await sql`create table pipelined (id int primary key)`.execute(database.kysely)
      await database.kysely.transaction().execute((tx) => sql`select 1`.execute(tx))
    })
    afterAll(async () => {
      await database.close()
      await proxy.close()
      await t.drop()
    })
    beforeEach(async () => {
      await sql`delete from pipelined`.execute(database.kysely)
    })

    async function roundTripsOf(work: () => Promise<unknown>): Promise<number> {
      const trips = countRoundTrips(proxy)
      try {
        await work()
      } finally {
        trips.stop()
      }
      return trips.count
    }

    async function storedIds(): Promise<number[]> {
      const { rows } = await sql<{ id: number }>`select id from pipelined order by id`.execute(
        database.kysely,
      )
      return rows.map((r) => r.id)
    }

    it('takes one round trip per statement and one for COMMIT, none for BEGIN', async () => {
      const trips = await roundTripsOf(() =>
        database.kysely.transaction().execute(async (tx) => {
          await sql`insert into pipelined values (${1})`.execute(tx)
          await sql`insert into pipelined values (${2})`.execute(tx)
        }),
      )
      expect(trips).toBe(3)
      expect(await storedIds()).toEqual([1, 2])
    })

    it('runs the first statement inside the transaction: a rollback after it leaves nothing', async () => {
      const failed = await database.kysely
        .transaction()
        .execute(async (tx) => {
          await sql`insert into pipelined values (${3})`.execute(tx)
          throw new Error('the caller gives up')
        })
        .catch((error: Error) => error)
      expect((failed as Error).message).toBe('the caller gives up')
      expect(await storedIds()).toEqual([])
    })

    it('reports a first statement that fails as that statement failing, then the connection works on', async () => {
      await sql`insert into pipelined values (${4})`.execute(database.kysely)
      const failed = await database.kysely
        .transaction()
        .execute((tx) => sql`insert into pipelined values (${4})`.execute(tx))
        .catch((error: unknown) => error)
      expect((failed as { code?: string }).code).toBe('23505')
      expect(isDatabaseUnavailable(failed)).toBe(false)
      await database.kysely
        .transaction()
        .execute((tx) => sql`insert into pipelined values (${5})`.execute(tx))
      expect(await storedIds()).toEqual([4, 5])
    })

    it('carries an unnamed statement (too many values to prepare) the same way', async () => {
      const ids = Array.from({ length: PREPARED_STATEMENT_MAX_PARAMETERS + 1 }, (_, i) => i + 10)
      const trips = await roundTripsOf(() =>
        database.kysely
          .transaction()
          .execute((tx) => sql`insert into pipelined select unnest(${ids}::int[])`.execute(tx)),
      )
      expect(trips).toBe(2)
      expect(await storedIds()).toEqual(ids)
    })

    it('sends nothing for a transaction that runs no statement', async () => {
      const trips = await roundTripsOf(async () => {
        await database.kysely.transaction().execute(async () => {})
        await database.kysely
          .transaction()
          .execute(async () => {
            throw new Error('nothing to do')
          })
          .catch(() => {})
      })
      expect(trips).toBe(0)
      expect(await roundTripsOf(() => sql`select 1`.execute(database.kysely))).toBe(1)
    })
  })
}
