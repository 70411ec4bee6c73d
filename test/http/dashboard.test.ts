import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { deleteContact } from '../../src/services/contacts.js'
import { issueOperatorCredential } from '../../src/services/operatorAccess.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import { listTags } from '../../src/store/tags.js'
import { createTestDatabase, DIALECTS } from '../helpers/databases.js'
import { makeContact } from '../helpers/fixtures.js'
import { finishedActivity, startTestServer, type TestServer } from '../helpers/server.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'

const PASSWORD = 'correct horse'
const basic = (password: string) => `Basic ${Buffer.from(`operator:${password}`).toString('base64')}`

type ServerEvent = { event: string; data: any }

/** Reads server-sent events from one response body, across calls. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  /** Reads events until `until` accepts one; returns every event read. */
  return async function readUntil(until: (event: ServerEvent) => boolean): Promise<ServerEvent[]> {
    const events: ServerEvent[] = []
    for (;;) {
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (!event || data === undefined) continue
        const parsed = { event, data: JSON.parse(data) }
        events.push(parsed)
        if (until(parsed)) return events
      }
      const { value, done } = await reader.read()
      if (done) throw new Error(`stream ended after ${events.length} events`)
      buffer += value
    }
  }
}

for (const dialect of DIALECTS) {
  describe(`dashboard routes on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect, {
        dashboard: { password: PASSWORD, liveFeed: { pollMs: 50, keepAliveMs: 1000 } },
      })
    })
    afterAll(() => s.close())

    const dashboard = (method: string, path: string, body?: unknown, password = PASSWORD) =>
      s.request(method, path, {
        token: null,
        version: null,
        headers: { authorization: basic(password) },
        // State changes take JSON only, as the page sends them.
        body: body ?? (method === 'POST' ? {} : undefined),
      })

    it('asks for its password, and serves the page with a strict content policy once given', async () => {
      const attempts: Array<Record<string, string>> = [
        {},
        { authorization: basic('wrong') },
        { authorization: 'Bearer x' },
      ]
      for (const headers of attempts) {
        const refused = await fetch(`${s.baseUrl}/`, { headers })
        expect(refused.status).toBe(401)
        expect(refused.headers.get('www-authenticate')).toBe(
          'Basic realm="Tagbase dashboard", charset="UTF-8"',
        )
        expect(await refused.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' })
      }
      const page = await fetch(`${s.baseUrl}/`, { headers: { authorization: basic(PASSWORD) } })
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(await page.text()).toContain('<script type="module" src="/dashboard/dashboard.js">')
      const script = await fetch(`${s.baseUrl}/dashboard/dashboard.js`, {
        headers: { authorization: basic(PASSWORD) },
      })
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      expect(await script.text()).toContain('EventSource')
    })

    it('lists locations with running activities and paused webhooks', async () => {
      const { status, body } = await dashboard('GET', '/dashboard/api/locations')
      expect(status).toBe(200)
      expect(body.locations.map((l: { name: string }) => l.name)).toEqual(['Tenant A', 'Tenant B'])
      expect(body.locations[0]).toEqual({
        id: s.locationId,
        name: 'Tenant A',
        createdAt: expect.any(String),
        contacts: 0,
        activitiesRunning: 0,
        webhooks: 0,
        webhooksPaused: 0,
      })
    })

    it("shows one location's tags by holders, activities and webhook health; 404 for unknown ones", async () => {
      await makeContact(s.database, s.locationId, ['alpha', 'beta'])
      await makeContact(s.database, s.locationId, ['alpha'])
      await makeContact(s.database, s.other.locationId, ['alpha', 'secret'])
      // A deleted contact keeps its tag rows but is counted nowhere.
      await deleteContact(
        s.database,
        s.locationId,
        await makeContact(s.database, s.locationId, ['alpha', 'beta']),
        'test',
      )
      await registerWebhook(
        s.database,
        s.locationId,
        { url: 'http://127.0.0.1:9/hook' },
        ALLOW_INTERNAL_TARGETS,
      )
      const { status, body } = await dashboard('GET', `/dashboard/api/locations/${s.locationId}`)
      expect(status).toBe(200)
      expect(body.contacts).toBe(2)
      expect(body.tags.map((t: { name: string; contacts: number }) => [t.name, t.contacts])).toEqual([
        ['alpha', 2],
        ['beta', 1],
      ])
      expect(body.tagsTotal).toBe(2)
      expect(body.webhooks).toEqual([
        {
          id: expect.any(String),
          url: 'http://127.0.0.1:9/hook',
          appId: expect.any(String),
          // Each contact's creation with tags was one event, queued for the webhook registered after.
          deliveries: { pending: 0, delivering: 0, delivered: 0, dead: 0 },
          consecutiveFailures: 0,
          pausedUntil: null,
          lastError: null,
        },
      ])
      // The sidebar's counts are live contacts per location, the deleted one left out.
      const sidebar = await dashboard('GET', '/dashboard/api/locations')
      expect(
        sidebar.body.locations.map((l: { name: string; contacts: number }) => [l.name, l.contacts]),
      ).toEqual([
        ['Tenant A', 2],
        ['Tenant B', 1],
      ])
      expect(await dashboard('GET', '/dashboard/api/locations/nope')).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: 'Location not found' },
      })
    })

    it('starts a tagging activity that a worker runs to completion', async () => {
      const started = await dashboard('POST', `/dashboard/api/locations/${s.locationId}/activities`, {
        operation: 'add',
        tags: ['Gamma'],
        source: { allActiveContacts: true },
      })
      expect(started.status).toBe(201)
      expect(started.body.activity).toMatchObject({
        kind: 'contacts_taggings_add',
        state: 'initialized',
        percentDone: 1,
      })
      const done = await finishedActivity(s, started.body.activity.activityId)
      expect(done).toMatchObject({ state: 'completed', percent_done: 100 })
      const { body } = await dashboard('GET', `/dashboard/api/locations/${s.locationId}`)
      expect(body.tags.find((t: { name: string }) => t.name === 'gamma')).toMatchObject({ contacts: 2 })
      // The webhook registered earlier is owed one delivery per contact changed.
      expect(body.webhooks[0].deliveries.pending).toBe(2)
    })

    it('undoes a finished activity once, and refuses to cancel what has ended', async () => {
      const started = await dashboard('POST', `/dashboard/api/locations/${s.locationId}/activities`, {
        operation: 'add',
        tags: ['undo-me'],
        source: { allActiveContacts: true },
      })
      const id = started.body.activity.activityId
      await finishedActivity(s, id)
      const base = `/dashboard/api/locations/${s.locationId}/activities`
      const cancel = await dashboard('POST', `${base}/${id}/cancel`)
      expect(cancel).toEqual({
        status: 409,
        body: { statusCode: 409, error: 'Conflict', message: 'Activity is already completed' },
      })
      // The per-contact results as a download: a CSV line for each contact the activity changed.
      const results = await fetch(`${s.baseUrl}${base}/${id}/results.csv`, {
        headers: { authorization: basic(PASSWORD) },
      })
      expect(results.status).toBe(200)
      expect(results.headers.get('content-type')).toBe('text/csv; charset=utf-8')
      const csv = (await results.text()).trim().split('\n')
      expect(csv[0]).toBe('contact_id,outcome,tags_added,tags_removed,reason')
      expect(csv.length).toBeGreaterThan(1)
      expect(csv.slice(1).every((line) => line.endsWith(',changed,undo-me,,'))).toBe(true)
      expect(
        (
          await fetch(`${s.baseUrl}${base}/00000000-0000-4000-8000-000000000000/results.csv`, {
            headers: { authorization: basic(PASSWORD) },
          })
        ).status,
      ).toBe(404)
      const undo = await dashboard('POST', `${base}/${id}/undo`)
      expect(undo.status).toBe(201)
      expect(undo.body.activity).toMatchObject({ kind: 'contacts_taggings_undo', undoOf: id })
      expect(await finishedActivity(s, undo.body.activity.activityId)).toMatchObject({ state: 'completed' })
      const { body } = await dashboard('GET', `/dashboard/api/locations/${s.locationId}`)
      expect(body.tags.find((t: { name: string }) => t.name === 'undo-me')).toMatchObject({ contacts: 0 })
      expect((await dashboard('POST', `${base}/${id}/undo`)).status).toBe(409)
      expect((await dashboard('POST', `${base}/00000000-0000-4000-8000-000000000000/undo`)).status).toBe(404)
      // Another tenant's activity is not found from this location.
      expect(
        (await dashboard('POST', `/dashboard/api/locations/${s.other.locationId}/activities/${id}/cancel`))
          .status,
      ).toBe(404)
    })

    it('refuses bad requests with a message, creating nothing', async () => {
      const before = (await listTags(s.database, s.locationId)).length
      const cases: Array<[unknown, number, RegExp]> = [
        [{ operation: 'tag', tags: ['x'], source: { allActiveContacts: true } }, 400, /operation/],
        [{ operation: 'add', tags: [], source: { allActiveContacts: true } }, 400, /tags/],
        [{ operation: 'add', tags: ['new-one'], source: { tagIds: ['missing'] } }, 400, /source names tags/],
        [
          { operation: 'remove', tags: ['never-made'], source: { allActiveContacts: true } },
          400,
          /no such tags/,
        ],
        [{ operation: 'add', tags: ['x'.repeat(256)], source: { allActiveContacts: true } }, 400, /tags/],
      ]
      for (const [body, status, message] of cases) {
        const answer = await dashboard('POST', `/dashboard/api/locations/${s.locationId}/activities`, body)
        expect(answer.status).toBe(status)
        expect(answer.body.message).toMatch(message)
      }
      expect((await listTags(s.database, s.locationId)).length).toBe(before)
      const unknown = await dashboard('POST', '/dashboard/api/locations/nope/activities', {
        operation: 'add',
        tags: ['x'],
        source: { allActiveContacts: true },
      })
      expect(unknown.status).toBe(404)
    })

    it('streams the live state, and again each time it changes', async () => {
      const abort = new AbortController()
      const response = await fetch(`${s.baseUrl}/dashboard/api/locations/${s.locationId}/live`, {
        headers: { authorization: basic(PASSWORD) },
        signal: abort.signal,
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      const readUntil = eventReader(response.body as ReadableStream<Uint8Array>)
      const [first] = await readUntil(() => true)
      expect(first?.event).toBe('state')
      const known = new Set(first?.data.activities.map((a: { activityId: string }) => a.activityId))

      const started = await dashboard('POST', `/dashboard/api/locations/${s.locationId}/activities`, {
        operation: 'remove',
        tags: ['gamma'],
        source: { allActiveContacts: true },
      })
      const id = started.body.activity.activityId
      expect(known.has(id)).toBe(false)
      const events = await readUntil((e) =>
        e.data.activities.some(
          (a: { activityId: string; state: string }) => a.activityId === id && a.state === 'completed',
        ),
      )
      const final = events.at(-1)?.data.activities.find((a: { activityId: string }) => a.activityId === id)
      expect(final).toMatchObject({ percentDone: 100, itemsTotal: 2, itemsCompleted: 2 })
      abort.abort()
    })

    it("refuses a stream of an unknown location, and another tenant's data never shows", async () => {
      expect((await dashboard('GET', '/dashboard/api/locations/nope/live')).status).toBe(404)
      const { body } = await dashboard('GET', `/dashboard/api/locations/${s.locationId}`)
      expect(JSON.stringify(body)).not.toContain('secret')
    })

    it('stays out of the OpenAPI document', async () => {
      const { body } = await s.request('GET', '/openapi.json', { token: null, version: null })
      expect(Object.keys(body.paths).filter((p) => p === '/' || p.startsWith('/dashboard'))).toEqual([])
    })
  })
}

describe('dashboard switched off', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer('sqlite', { dashboard: false })
  })
  afterAll(() => s.close())

  it('leaves / to the HighLevel dialect, which wants a token for any path', async () => {
    for (const path of ['/', '/dashboard/api/locations']) {
      const answer = await fetch(`${s.baseUrl}${path}`)
      expect(answer.status).toBe(401)
      expect(await answer.json()).toMatchObject({ statusCode: 401 })
    }
  })
})

describe('dashboard credentials and request rules', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer('sqlite', {
      dashboard: { liveFeed: { pollMs: 50, maxStreamsPerCredential: 2, maxStreams: 3 } },
    })
    await registerWebhook(
      s.database,
      s.locationId,
      { url: 'https://ops:hunter2@hooks.example.com/in?token=s3cret&x=1' },
      ALLOW_INTERNAL_TARGETS,
    )
  })
  afterAll(() => s.close())
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

  it('answers nothing without a credential, and never to a tenant API token', async () => {
    for (const path of ['/', '/dashboard/api/locations', `/dashboard/api/locations/${s.locationId}/live`]) {
      const attempts: Array<Record<string, string>> = [
        {},
        bearer(s.token),
        bearer('tbo-guess'),
        { cookie: 'tagbase_operator=tbo-x' },
      ]
      for (const headers of attempts) {
        const answer = await fetch(`${s.baseUrl}${path}`, { headers })
        expect(answer.status).toBe(401)
        expect(answer.headers.get('www-authenticate')).toBeNull()
        expect(answer.headers.get('x-frame-options')).toBe('DENY')
        expect(await answer.text()).toMatch(/operator token/)
      }
    }
  })

  it('logs in through the link: a strict HttpOnly cookie, then the page and its data open', async () => {
    const refused = await fetch(`${s.baseUrl}/dashboard/login?token=tbo-wrong`, { redirect: 'manual' })
    expect(refused.status).toBe(401)
    const login = await fetch(`${s.baseUrl}/dashboard/login?token=${s.operatorToken}`, { redirect: 'manual' })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/')
    const cookie = login.headers.get('set-cookie') as string
    expect(cookie).toMatch(/^tagbase_operator=tbo-[^;]+; Path=\/; HttpOnly; SameSite=Strict/)
    const page = await fetch(`${s.baseUrl}/`, { headers: { cookie: cookie.split(';')[0] as string } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    const api = await fetch(`${s.baseUrl}/dashboard/api/locations`, { headers: bearer(s.operatorToken) })
    expect(api.status).toBe(200)
  })

  it('shows webhook URLs with their credentials and query values masked', async () => {
    const answer = await fetch(`${s.baseUrl}/dashboard/api/locations/${s.locationId}`, {
      headers: bearer(s.operatorToken),
    })
    const text = await answer.text()
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('s3cret')
    expect(JSON.parse(text).webhooks[0].url).toBe('https://***:***@hooks.example.com/in?token=***&x=***')
  })

  it('changes nothing from another site: JSON bodies only, same origin only', async () => {
    const url = `${s.baseUrl}/dashboard/api/locations/${s.locationId}/activities`
    const body = JSON.stringify({ operation: 'add', tags: ['csrf'], source: { allActiveContacts: true } })
    const send = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', body, headers: { ...bearer(s.operatorToken), ...headers } })
    expect((await send({ 'content-type': 'text/plain' })).status).toBe(415)
    expect((await send({ 'content-type': 'application/json', origin: 'https://evil.example' })).status).toBe(
      403,
    )
    expect((await send({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    )
    expect((await send({ 'content-type': 'application/json', 'sec-fetch-site': 'same-site' })).status).toBe(
      403,
    )
    expect(
      (await send({ 'content-type': 'application/json', origin: s.baseUrl, 'sec-fetch-site': 'same-origin' }))
        .status,
    ).toBe(201)
  })

  it('caps live streams per credential and in all', async () => {
    const open = async (token: string) => {
      const abort = new AbortController()
      const response = await fetch(`${s.baseUrl}/dashboard/api/locations/${s.locationId}/live`, {
        headers: bearer(token),
        signal: abort.signal,
      })
      return { status: response.status, abort: () => abort.abort() }
    }
    const first = await open(s.operatorToken)
    const second = await open(s.operatorToken)
    const third = await open(s.operatorToken)
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429])
    first.abort()
    await expect.poll(async () => (await open(s.operatorToken)).status).toBe(200)
    second.abort()
  })

  it('stops answering to an operator token once a new one is issued', async () => {
    const fresh = await issueOperatorCredential(s.database)
    const old = await fetch(`${s.baseUrl}/dashboard/api/locations`, { headers: bearer(s.operatorToken) })
    expect(old.status).toBe(401)
    const now = await fetch(`${s.baseUrl}/dashboard/api/locations`, { headers: bearer(fresh) })
    expect(now.status).toBe(200)
    s.operatorToken = fresh
  })
})

describe('closing the server', () => {
  it('ends the open live streams instead of waiting on them', async () => {
    const s = await startTestServer('sqlite')
    const response = await fetch(`${s.baseUrl}/dashboard/api/locations/${s.locationId}/live`, {
      headers: { authorization: `Bearer ${s.operatorToken}` },
    })
    const readUntil = eventReader(response.body as ReadableStream<Uint8Array>)
    expect((await readUntil(() => true))[0]?.event).toBe('state')
    await s.close()
    await expect(readUntil(() => false)).rejects.toThrow(/stream ended/)
  })
})

describe('request logs', () => {
  it('never hold the operator token of a login link', async () => {
    const t = await createTestDatabase('sqlite')
    const lines: string[] = []
    const app = await buildApp({
      database: t.database,
      logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
    })
    try {
      const token = await issueOperatorCredential(t.database)
      const answer = await app.inject({ method: 'GET', url: `/dashboard/login?token=${token}` })
      expect(answer.statusCode).toBe(303)
      expect(lines.join('')).toContain('/dashboard/login?token=***')
      expect(lines.join('')).not.toContain(token)
    } finally {
      await app.close()
      await t.drop()
    }
  })
})
