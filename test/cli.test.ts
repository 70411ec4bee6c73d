import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaggingActivity } from '../src/services/activities.js'
import { ensureTagsByName } from '../src/store/tags.js'
import { spawnTagbase, tagbase } from './helpers/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './helpers/databases.js'
import { makeLocation } from './helpers/fixtures.js'

for (const dialect of DIALECTS) {
  describe(`tagbase CLI on ${dialect}`, () => {
    let db: TestDatabase
    let server: ChildProcess | undefined
    beforeAll(async () => {
      db = await createTestDatabase(dialect)
    })
    afterAll(async () => {
      server?.kill('SIGTERM')
      await db.drop()
    })

    it('creates a location and a scoped token that the served API accepts', async () => {
      expect(await tagbase(db, 'migrate')).toEqual({ migrated: true })
      const location = await tagbase(db, 'location', 'create', '--name', 'Acme')
      expect(location).toMatchObject({ id: expect.stringMatching(/^[0-9A-Za-z]{20}$/), name: 'Acme' })
      const issued = await tagbase(
        db,
        'token',
        'create',
        '--location',
        location.id,
        '--scopes',
        'contacts.write,contacts.readonly,contact_data',
      )
      expect(issued).toMatchObject({
        token: expect.stringMatching(/^pit-/),
        scopes: ['contacts.write', 'contacts.readonly', 'contact_data'],
      })
      const stored = await db.database.kysely.selectFrom('access_tokens').selectAll().execute()
      expect(stored).toHaveLength(1)
      expect(stored[0]?.location_id).toBe(location.id)
      expect(JSON.stringify(stored)).not.toContain(issued.token)

      server = spawnTagbase(db, ['serve'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
      let output = ''
      server.stdout?.on('data', (chunk) => {
        output += chunk
      })
      const deadline = Date.now() + 30_000
      let address: string | undefined
      while (!address && Date.now() < deadline) {
        address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
        if (!address) await new Promise((r) => setTimeout(r, 100))
      }
      expect(address, output).toBeDefined()
      const response = await fetch(`${address}/contacts/`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${issued.token}`,
          version: '2021-07-28',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ locationId: location.id, firstName: 'Cli', tags: ['from-cli'] }),
      })
      expect(response.status).toBe(201)
      const created = (await response.json()) as { contact: { tags: string[] } }
      expect(created.contact.tags).toEqual(['from-cli'])

      // The worker inside `serve` runs a /v3 activity to completion.
      const v3 = (method: string, path: string, body?: unknown) =>
        fetch(`${address}/v3${path}`, {
          method,
          headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }).then((r) => r.json() as Promise<Record<string, any>>)
      const tag = await v3('POST', '/contact_tags', { name: 'served' })
      const activity = await v3('POST', '/activities/contacts_taggings_add', {
        source: { all_active_contacts: true },
        tag_ids: [tag.tag_id],
      })
      let state = activity.state
      for (let i = 0; i < 200 && state !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 50))
        state = (await v3('GET', `/activities/${activity.activity_id}`)).state
      }
      expect(state).toBe('completed')
      server.kill('SIGTERM')
      const [code] = await once(server, 'exit')
      expect(code).toBe(0)
      server = undefined
    })

    it('cancels an activity that has not finished, and refuses to cancel it twice', async () => {
      const location = await makeLocation(db.database)
      const [tag] = await ensureTagsByName(db.database, location.id, ['x'], new Date().toISOString())
      const activity = await createTaggingActivity(db.database, location.id, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'new_subscriber' },
        tagIds: [tag?.id as string],
      })
      const args = ['activity', 'cancel', '--location', location.id, '--id', activity.id]
      expect(await tagbase(db, ...args)).toEqual({
        activityId: activity.id,
        state: 'cancelled',
        itemsCompleted: 0,
      })
      await expect(tagbase(db, ...args)).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('already cancelled'),
      })
    })

    it('rejects unknown scopes and unknown locations with a non-zero exit', async () => {
      await expect(
        tagbase(db, 'token', 'create', '--location', 'x', '--scopes', 'nope'),
      ).rejects.toMatchObject({ code: 1 })
      await expect(
        tagbase(db, 'token', 'create', '--location', 'Zzzzzzzzzzzzzzzzzzzz'),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('does not exist'),
      })
    })
  })
}
