import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { openDatabase } from '../../src/store/database.js'
import { DIALECTS } from '../helpers/databases.js'
import { ccId } from '../helpers/ids.js'
import { seedContacts } from '../helpers/seed.js'
import { finishedActivity, startTestServer, type TestServer } from '../helpers/server.js'

/** The value of one sample of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const labelText = line.slice(name.length + 1, line.indexOf('}'))
    if (wanted.every((w) => labelText.split(',').includes(w)))
      return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

for (const dialect of DIALECTS) {
  describe(`operator routes on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect)
    })
    afterAll(() => s.close())

    const plain = (path: string) => s.request('GET', path, { token: null, version: null })

    it('answers /healthz and /readyz without a token', async () => {
      expect(await plain('/healthz')).toEqual({ status: 200, body: { status: 'ok' } })
      expect(await plain('/readyz')).toEqual({
        status: 200,
        body: { status: 'ok', database: 'ok', pendingMigrations: [] },
      })
    })

    it('is not ready while a migration of this build has not run', async () => {
      const [last] = await sql<{ name: string; timestamp: string }>`
        select name, timestamp from kysely_migration order by name desc limit 1`
        .execute(s.database.kysely)
        .then((r) => r.rows)
      await sql`delete from kysely_migration where name = ${last?.name}`.execute(s.database.kysely)
      try {
        expect(await plain('/readyz')).toEqual({
          status: 503,
          body: { status: 'unavailable', database: 'ok', pendingMigrations: [last?.name] },
        })
      } finally {
        await sql`insert into kysely_migration (name, timestamp) values (${last?.name}, ${last?.timestamp})`.execute(
          s.database.kysely,
        )
      }
      expect((await plain('/readyz')).status).toBe(200)
    })

    it('exposes requests, tag rows written, activities by state and queue lag in Prometheus format', async () => {
      const contacts = await seedContacts(s.database, s.locationId, 3)
      const bulk = await s.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts, tags: ['a', 'b'], locationId: s.locationId },
      })
      expect(bulk.status).toBe(201)
      const tag = await s.request('POST', '/v3/contact_tags', { body: { name: 'c' }, version: null })
      const activity = await s.request('POST', '/v3/activities/contacts_taggings_add', {
        body: { source: { contact_ids: contacts.map(ccId) }, tag_ids: [tag.body.tag_id] },
        version: null,
      })
      await finishedActivity(s, activity.body.activity_id)

      const response = await fetch(`${s.baseUrl}/metrics`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain('text/plain')
      const text = await response.text()
      expect(
        sample(text, 'tagbase_http_requests_total', {
          route: '/contacts/bulk/tags/update/:type',
          method: 'POST',
          status: '201',
        }),
      ).toBeGreaterThanOrEqual(1)
      expect(
        sample(text, 'tagbase_http_request_duration_seconds_count', {
          route: '/contacts/bulk/tags/update/:type',
          method: 'POST',
        }),
      ).toBeGreaterThanOrEqual(1)
      expect(
        sample(text, 'tagbase_tag_rows_written_total', { source: 'highlevel.bulk', operation: 'add' }),
      ).toBeGreaterThanOrEqual(6)
      expect(
        sample(text, 'tagbase_tag_rows_written_total', { source: 'activity', operation: 'add' }),
      ).toBeGreaterThanOrEqual(3)
      expect(sample(text, 'tagbase_activities', { state: 'completed' })).toBeGreaterThanOrEqual(1)
      expect(sample(text, 'tagbase_activities', { state: 'initialized' })).toBe(0)
      expect(sample(text, 'tagbase_queue_lag_seconds', { queue: 'activities' })).toBe(0)
      expect(sample(text, 'tagbase_queue_lag_seconds', { queue: 'webhooks' })).toBe(0)
      expect(sample(text, 'tagbase_webhook_deliveries_open', { state: 'pending' })).toBe(0)
      // The runtime's own series, as every Node service exports them.
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m)
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m)
      expect(text).toMatch(/^process_resident_memory_bytes \d/m)
    })

    it('reports the age of the oldest activity waiting for a worker', async () => {
      await s.worker.stop()
      try {
        const [contact] = await seedContacts(s.database, s.locationId, 1)
        const tag = await s.request('POST', '/v3/contact_tags', { body: { name: 'waiting' }, version: null })
        const queued = await s.request('POST', '/v3/activities/contacts_taggings_add', {
          body: { source: { contact_ids: [contact] }, tag_ids: [tag.body.tag_id] },
          version: null,
        })
        expect(queued.status).toBe(201)
        await new Promise((r) => setTimeout(r, 1100))
        const text = await (await fetch(`${s.baseUrl}/metrics`)).text()
        expect(sample(text, 'tagbase_activities', { state: 'initialized' })).toBe(1)
        expect(sample(text, 'tagbase_queue_lag_seconds', { queue: 'activities' })).toBeGreaterThanOrEqual(1)
      } finally {
        s.worker.start()
      }
    })
  })
}

if (DIALECTS.includes('postgres')) {
  it('is not ready when the database cannot be reached', async () => {
    const database = openDatabase('postgres://postgres@127.0.0.1:1/test')
    const app = await buildApp({ database })
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' })
      expect(response.statusCode).toBe(503)
      expect(response.json()).toMatchObject({ status: 'unavailable', database: 'unreachable' })
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    } finally {
      await app.close()
      await database.close()
    }
  })
}
