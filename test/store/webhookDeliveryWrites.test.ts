import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bulkUpdateTags } from '../../src/services/bulkUpdateTags.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import type { Db } from '../../src/store/database.js'
import { claimDueDeliveries, selectEndpointsWithDueDeliveries } from '../../src/store/webhookDeliveries.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { indexDefinitions } from '../helpers/indexes.js'
import { seedContacts } from '../helpers/seed.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'

/**
 * Every delivery sent is leased once and recorded once. Leasing it, giving it back untried and
 * scheduling a retry change only columns no index of webhook_deliveries reads (migration 0025), so
 * they write no index entry, and on PostgreSQL they are HOT updates; only closing a delivery
 * (delivered, dead) takes it out of the open indexes.
 */
const WRITTEN_WHILE_OPEN = [
  'state',
  'attempts',
  'next_attempt_at',
  'lease_owner',
  'lease_expires_at',
  'last_status',
  'last_error',
] as const

for (const dialect of DIALECTS) {
  describe(`writes to an open delivery touch no index on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    it('no index of webhook_deliveries reads a column that leasing, releasing or retrying writes', async () => {
      const definitions = (await indexDefinitions(t)).get('webhook_deliveries') ?? []
      expect(definitions.length).toBeGreaterThanOrEqual(3)
      for (const definition of definitions)
        for (const column of WRITTEN_WHILE_OPEN) expect(definition).not.toMatch(new RegExp(`\\b${column}\\b`))
    })

    if (dialect === 'postgres')
      it('a lease of 512 queued deliveries is 512 HOT updates', async () => {
        const location = await makeLocation(t.database)
        const ids = await seedContacts(t.database, location.id, 600)
        await registerWebhook(
          t.database,
          location.id,
          { url: 'http://127.0.0.1:9/hook' },
          ALLOW_INTERNAL_TARGETS,
        )
        await bulkUpdateTags(t.database, {
          locationId: location.id,
          operation: 'add',
          contactIds: ids,
          tagNames: ['queued'],
          removeAllTags: false,
          source: 'test',
        })
        const now = new Date().toISOString()
        // As long as a worker's owner on a host with a long name (a Kubernetes pod's, say).
        const owner = `${'api-7f9c8d6b5-x2k4q.tagbase-production.svc'}:1234567:webhooks:a1b2c3`
        const [endpoint] = await selectEndpointsWithDueDeliveries(t.database, { owner, now }, 1)
        const lease = { owner, now, expiresAt: new Date(Date.now() + 60_000).toISOString() }
        const key = endpoint as { location_id: string; webhook_id: string }
        // In a transaction of its own, as the worker runs it. The backend's counters of writes not
        // yet reported (pg_stat_get_xact_*) are read before and after it. (Giving them back is HOT
        // too once the claim's old versions are pruned, which waits for every older snapshot of
        // the server: other suites' transactions make that untestable here.)
        const countersOf = async (tx: Db) =>
          (
            await sql<{ updated: number; hot: number }>`
              select pg_stat_get_xact_tuples_updated('webhook_deliveries'::regclass)::int as updated,
                     pg_stat_get_xact_tuples_hot_updated('webhook_deliveries'::regclass)::int as hot`.execute(
              tx.kysely,
            )
          ).rows[0] as { updated: number; hot: number }
        const claim = await t.database.transaction(async (tx) => {
          const before = await countersOf(tx)
          const rows = (await claimDueDeliveries(tx, key, lease, 512)).length
          const after = await countersOf(tx)
          return { rows, updated: after.updated - before.updated, hot: after.hot - before.hot }
        })
        expect(claim).toEqual({ rows: 512, updated: 512, hot: 512 })
      })
  })
}
