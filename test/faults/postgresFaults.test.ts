import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliveryWebhookId } from '../../src/domain/webhooks.js'
import { buildApp } from '../../src/http/app.js'
import { highLevelContactTagUpdate } from '../../src/http/highlevel/webhookPayload.js'
import { bulkUpdateTags } from '../../src/services/bulkUpdateTags.js'
import { InProcessRateLimiter } from '../../src/services/rateLimiter.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import { type Database, isDatabaseUnavailable, openDatabase } from '../../src/store/database.js'
import { countDeliveriesByState, listDeliveries } from '../../src/store/webhookDeliveries.js'
import { ActivityWorker } from '../../src/worker/activityWorker.js'
import { WebhookDeliveryWorker } from '../../src/worker/webhookWorker.js'
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from '../helpers/databases.js'
import { makeLocation, makeToken } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'
import { TcpProxy } from '../helpers/tcpProxy.js'
import { startWebhookReceiver } from '../helpers/webhookReceiver.js'

/**
 * Real faults between the service and PostgreSQL: backends terminated by the server
 * (pg_terminate_backend: a failover, an idle reaper) and a TCP proxy the test controls that
 * resets, refuses and blackholes. The service must keep running, answer 503 in each dialect's
 * format while the database is away, recover by itself, and apply nothing twice.
 */

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Terminates every backend the service opened under `applicationName`; returns how many. */
function terminateBackends(applicationName: string): Promise<number> {
  return admin(async (client) => {
    const { rows } = await client.query(
      'select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1',
      [applicationName],
    )
    return rows.length
  })
}

type Service = {
  app: FastifyInstance
  database: Database
  baseUrl: string
  locationId: string
  token: string
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; ms: number }>
  close(): Promise<void>
}

/** The API over `url` (the real server or the proxy), on the test schema of `t`. */
async function startService(t: TestDatabase, url: string, applicationName: string): Promise<Service> {
  const connectionErrors: Error[] = []
  const database = openDatabase(url, {
    searchPath: t.searchPath as string,
    poolSize: 5,
    applicationName,
    onConnectionError: (error) => connectionErrors.push(error),
  })
  const app = await buildApp({
    database,
    rateLimiter: new InProcessRateLimiter({ burstMax: 1e6, burstIntervalMs: 10_000, dailyMax: 1e9 }),
    dashboard: false,
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const location = await makeLocation(t.database, `Faults ${randomUUID().slice(0, 6)}`)
  const token = await makeToken(t.database, location.id)
  return {
    app,
    database,
    baseUrl,
    locationId: location.id,
    token,
    async call(method, path, body) {
      const started = performance.now()
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          version: '2021-07-28',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await response.text()
      return {
        status: response.status,
        body: text ? JSON.parse(text) : undefined,
        ms: performance.now() - started,
      }
    },
    async close() {
      await app.close()
      await database.close()
    },
  }
}

const bulkAdd = (s: Service, contacts: string[], tags: string[]) =>
  s.call('POST', '/contacts/bulk/tags/update/add', { contacts, tags, locationId: s.locationId })

async function tagHolders(t: TestDatabase, locationId: string, tagName: string): Promise<number> {
  const row = await t.database.kysely
    .selectFrom('contact_tags')
    .innerJoin('tags', (j) =>
      j
        .onRef('tags.location_id', '=', 'contact_tags.location_id')
        .onRef('tags.id', '=', 'contact_tags.tag_id'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('contact_tags.location_id', '=', locationId)
    .where('tags.name', '=', tagName)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Events of `locationId` that added `tagName`, by contact. */
async function additionEventsPerContact(t: TestDatabase, locationId: string, tagName: string) {
  const rows = await t.database.kysely
    .selectFrom('events')
    .select(['contact_id', 'tags_added'])
    .where('location_id', '=', locationId)
    .execute()
  const counts = new Map<string, number>()
  for (const row of rows)
    if ((JSON.parse(row.tags_added) as string[]).includes(tagName))
      counts.set(row.contact_id, (counts.get(row.contact_id) ?? 0) + 1)
  return counts
}

const isHighLevel503 = (body: any) =>
  body?.statusCode === 503 && typeof body.message === 'string' && body.error === 'Service Unavailable'
const isConstantContact503 = (body: any) =>
  Array.isArray(body) && body[0]?.error_key === 'http.status.service_unavailable'

describe('PostgreSQL backends terminated under the service', () => {
  let t: TestDatabase
  let s: Service
  const name = `tagbase-faults-${randomUUID().slice(0, 8)}`
  beforeAll(async () => {
    t = await createTestDatabase('postgres')
    s = await startService(t, POSTGRES_URL, name)
  })
  afterAll(async () => {
    await s.close()
    await t.drop()
  })

  it('drops terminated idle connections and goes on answering (no unhandled error event)', async () => {
    const contacts = await seedContacts(t.database, s.locationId, 20)
    for (let round = 0; round < 3; round++) {
      // Fill the pool with several idle connections, then have the server kill them all.
      const warm = await Promise.all(
        Array.from({ length: 5 }, () => s.call('GET', `/contacts/?locationId=${s.locationId}`)),
      )
      expect(warm.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
      expect(await terminateBackends(name)).toBeGreaterThan(0)
      await new Promise((r) => setTimeout(r, 100))
      const after = await bulkAdd(s, contacts, [`round${round}`])
      expect(after.status).toBe(201)
      expect(after.body.succeded).toBe(true)
    }
    expect(await tagHolders(t, s.locationId, 'round2')).toBe(20)
  })

  it('mid-request: every answer is 201 or a 503 in the dialect format, and retried adds apply exactly once', async () => {
    const contacts = await seedContacts(t.database, s.locationId, 1000)
    let killing = true
    const killer = (async () => {
      while (killing) {
        await terminateBackends(name)
        await new Promise((r) => setTimeout(r, 15))
      }
    })()
    const statuses: number[] = []
    try {
      for (let batch = 0; batch < 10; batch++) {
        const ids = contacts.slice(batch * 100, batch * 100 + 100)
        for (let attempt = 0; ; attempt++) {
          const answer = await bulkAdd(s, ids, ['midrequest'])
          statuses.push(answer.status)
          if (answer.status === 201) break
          expect(answer.status).toBe(503)
          expect(isHighLevel503(answer.body)).toBe(true)
          expect(attempt).toBeLessThan(200)
        }
      }
    } finally {
      killing = false
      await killer
    }
    expect(statuses.every((code) => code === 201 || code === 503)).toBe(true)
    expect(statuses.filter((code) => code === 503).length).toBeGreaterThan(0) // the faults did hit requests
    expect(await tagHolders(t, s.locationId, 'midrequest')).toBe(1000)
    const events = await additionEventsPerContact(t, s.locationId, 'midrequest')
    expect(events.size).toBe(1000)
    expect([...events.values()].every((n) => n === 1)).toBe(true)
  })

  it('mid-activity: terminated worker connections lose nothing and apply nothing twice', async () => {
    const workerName = `${name}-worker`
    const workerDb = openDatabase(POSTGRES_URL, {
      searchPath: t.searchPath as string,
      poolSize: 3,
      applicationName: workerName,
    })
    const worker = new ActivityWorker(workerDb, { chunkSize: 250, pollMs: 20, leaseMs: 2000 })
    await seedContacts(t.database, s.locationId, 6000)
    // Every live contact of the location (earlier tests of this file add theirs too).
    const { n: covered } = await t.database.kysely
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('location_id', '=', s.locationId)
      .executeTakeFirstOrThrow()
    const started = await s.call('POST', '/v3/activities/contacts_taggings_add', {
      source: { all_active_contacts: true },
      tag_ids: [(await s.call('POST', '/v3/contact_tags', { name: 'activity-fault' })).body.tag_id as string],
    })
    expect(started.status).toBe(201)
    worker.start()
    let kills = 0
    try {
      for (;;) {
        const { body } = await s.call('GET', `/v3/activities/${started.body.activity_id}`)
        if (body.state === 'completed') break
        expect(['initialized', 'processing']).toContain(body.state)
        if (kills < 15) kills += (await terminateBackends(workerName)) > 0 ? 1 : 0
        await new Promise((r) => setTimeout(r, 40))
      }
    } finally {
      await worker.stop()
      await workerDb.close()
    }
    expect(kills).toBeGreaterThan(3)
    expect(await tagHolders(t, s.locationId, 'activity-fault')).toBe(Number(covered))
    const events = await additionEventsPerContact(t, s.locationId, 'activity-fault')
    expect(events.size).toBe(Number(covered))
    expect([...events.values()].every((n) => n === 1)).toBe(true)
  })
})

describe('webhook deliveries while PostgreSQL terminates the worker connections', () => {
  let t: TestDatabase
  let s: Service
  const name = `tagbase-hooks-${randomUUID().slice(0, 8)}`
  beforeAll(async () => {
    t = await createTestDatabase('postgres')
    s = await startService(t, POSTGRES_URL, `${name}-api`)
  })
  afterAll(async () => {
    await s.close()
    await t.drop()
  })

  it('delivers every event; one is received again only when the lease it was sent under was lost', async () => {
    // Answers held back a little, so the deliveries take long enough for the kills to land.
    const receiver = await startWebhookReceiver({ answerDelayMs: 20 })
    const hook = await registerWebhook(
      t.database,
      s.locationId,
      { url: receiver.url },
      ALLOW_INTERNAL_TARGETS,
    )
    const contacts = await seedContacts(t.database, s.locationId, 300)
    expect((await bulkAdd(s, contacts, ['hooked'])).status).toBe(201)
    const workerDb = openDatabase(POSTGRES_URL, {
      searchPath: t.searchPath as string,
      poolSize: 3,
      applicationName: name,
    })
    // What the worker logged, shown if the deliveries do not all arrive (a loaded CI run once ended
    // with none delivered and nothing to say why).
    const logged: string[] = []
    const keep = (level: string) => (fields: object, message?: string) =>
      logged.push(
        `${level} ${message ?? ''} ${JSON.stringify(fields, (_key, value) => (value instanceof Error ? value.message : value))}`,
      )
    const worker = new WebhookDeliveryWorker(workerDb, {
      payload: highLevelContactTagUpdate,
      logger: { info: keep('info'), warn: keep('warn'), error: keep('error') },
      pollMs: 10,
      concurrency: 8,
      timeoutMs: 2000,
      targets: ALLOW_INTERNAL_TARGETS,
      retry: { maxAttempts: 1000, baseDelayMs: 10, maxDelayMs: 50 },
    })
    worker.start()
    let kills = 0
    try {
      // Kills come during the first 60 rounds only, then the worker is left to finish: on a
      // loaded machine a kill every third round could otherwise land before any cycle completes.
      const deadline = Date.now() + 60_000
      for (let i = 0; Date.now() < deadline; i++) {
        const counts = await countDeliveriesByState(t.database, s.locationId, hook.id)
        if (counts.delivered === 300) break
        if (i < 60 && kills < 20 && i % 3 === 0) kills += (await terminateBackends(name)) > 0 ? 1 : 0
        await new Promise((r) => setTimeout(r, 50))
      }
    } finally {
      await worker.stop()
      await workerDb.close()
      await receiver.close()
    }
    expect(kills).toBeGreaterThan(3)
    expect(
      await countDeliveriesByState(t.database, s.locationId, hook.id),
      `worker log (last 30 of ${logged.length}):\n${logged.slice(-30).join('\n')}`,
    ).toMatchObject({
      delivered: 300,
      dead: 0,
    })
    const received = new Set(receiver.receipts.map((r) => r.body.webhookId))
    expect(received.size).toBe(300)
    // At least once: a duplicate is the price of a send whose recording was cut off, so a
    // delivery is received at most once per lease it was claimed under (each claim counts an
    // attempt; a lease given back untried does not).
    const receiptsById = new Map<string, number>()
    for (const receipt of receiver.receipts)
      receiptsById.set(receipt.body.webhookId, (receiptsById.get(receipt.body.webhookId) ?? 0) + 1)
    const deliveries = await listDeliveries(t.database, s.locationId, hook.id)
    for (const delivery of deliveries) {
      const id = deliveryWebhookId(hook.id, delivery.event_id)
      expect(receiptsById.get(id), id).toBeLessThanOrEqual(delivery.attempts)
    }
  }, 120_000)
})

describe('PostgreSQL behind a proxy that resets, refuses and blackholes', () => {
  let t: TestDatabase
  let proxy: TcpProxy
  let s: Service
  let contacts: string[]
  beforeAll(async () => {
    t = await createTestDatabase('postgres')
    const proxied = await TcpProxy.inFrontOf(POSTGRES_URL)
    proxy = proxied.proxy
    s = await startService(t, proxied.url, `tagbase-proxy-${randomUUID().slice(0, 8)}`)
    contacts = await seedContacts(t.database, s.locationId, 50)
  })
  afterAll(async () => {
    await s.close()
    await proxy.close()
    await t.drop()
  })

  async function expectAnswering(): Promise<number> {
    const started = performance.now()
    await expect
      .poll(async () => (await bulkAdd(s, contacts.slice(0, 5), ['back'])).status, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(201)
    return performance.now() - started
  }

  it('blackhole: bulk requests queued behind one edit all fail as unavailable within 5 s, then apply', async () => {
    // Same edit on disjoint contacts: the first is applied at once, the rest queue behind it.
    const slices = [0, 10, 20, 30, 40].map((start) => contacts.slice(start, start + 10))
    const addQueued = () =>
      Promise.allSettled(
        slices.map((contactIds) =>
          bulkUpdateTags(s.database, {
            locationId: s.locationId,
            operation: 'add',
            contactIds,
            tagNames: ['queued'],
            removeAllTags: false,
            source: 'test',
          }),
        ),
      )
    // A pooled connection is open, so the first batch waits out a statement timeout (3.5 s).
    await expectAnswering()
    proxy.blackhole()
    const started = performance.now()
    const during = await addQueued()
    const ms = performance.now() - started
    await proxy.restore()
    expect(during.map((r) => r.status === 'rejected' && isDatabaseUnavailable(r.reason))).toEqual(
      slices.map(() => true),
    )
    // One timeout, not one for each batch queued behind the first.
    expect(ms).toBeLessThan(5000)
    expect(await expectAnswering()).toBeLessThan(5000)
    expect(await tagHolders(t, s.locationId, 'queued')).toBe(0)
    const after = await addQueued()
    expect(after.map((r) => r.status)).toEqual(slices.map(() => 'fulfilled'))
    expect(await tagHolders(t, s.locationId, 'queued')).toBe(50)
    await s.call('POST', '/contacts/bulk/tags/update/remove', {
      contacts,
      tags: ['queued', 'back'],
      locationId: s.locationId,
    })
  })

  for (const fault of ['blackhole', 'refuse', 'reset'] as const) {
    it(`${fault}: 503 in each dialect's format within 5 s, /readyz 503 within 2 s, then recovers within 5 s`, async () => {
      expect((await bulkAdd(s, contacts, ['before'])).status).toBe(201)
      if (fault === 'blackhole') proxy.blackhole()
      else if (fault === 'refuse') await proxy.refuse()
      else proxy.resetAll()

      const [highLevel, constantContact, ready, ...newerRoutes] = await Promise.all([
        bulkAdd(s, contacts, ['during']),
        s.call('GET', '/v3/contact_tags'),
        s.call('GET', '/readyz'),
        // The later routes (search, counts, per-contact results) answer the same way.
        s.call('POST', '/contacts/search', { locationId: s.locationId, pageLimit: 10 }),
        s.call('GET', '/v3/contacts/counts'),
        s.call('GET', `/v3/activities/${randomUUID()}/results`),
      ])
      if (fault === 'reset') {
        // A reset breaks the connections in use; new ones go through at once.
        expect([201, 503]).toContain(highLevel.status)
        expect([200, 503]).toContain(constantContact.status)
      } else {
        expect(highLevel.status).toBe(503)
        expect(isHighLevel503(highLevel.body)).toBe(true)
        expect(highLevel.ms).toBeLessThan(5000)
        expect(constantContact.status).toBe(503)
        expect(isConstantContact503(constantContact.body)).toBe(true)
        expect(constantContact.ms).toBeLessThan(5000)
        expect(ready.status).toBe(503)
        expect(ready.ms).toBeLessThan(2000)
        const [search, counts, results] = newerRoutes
        expect([search?.status, counts?.status, results?.status]).toEqual([503, 503, 503])
        expect(isHighLevel503(search?.body)).toBe(true)
        expect(isConstantContact503(counts?.body)).toBe(true)
        expect(isConstantContact503(results?.body)).toBe(true)
        for (const answer of newerRoutes) expect(answer.ms).toBeLessThan(5000)
        await proxy.restore()
      }
      expect(await expectAnswering()).toBeLessThan(5000)
      expect((await s.call('GET', '/readyz')).status).toBe(200)
      // Whatever answered 503 applied nothing; whatever answered 200 applied once.
      const during = await tagHolders(t, s.locationId, 'during')
      expect(during).toBe(highLevel.status === 201 ? 50 : 0)
      await s.call('POST', '/contacts/bulk/tags/update/remove', {
        contacts,
        tags: ['during', 'before', 'back'],
        locationId: s.locationId,
      })
    })
  }
})
