import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnTagbase, tagbase } from './helpers/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './helpers/databases.js'

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
        'contacts.write,contacts.readonly',
      )
      expect(issued).toMatchObject({
        token: expect.stringMatching(/^pit-/),
        scopes: ['contacts.write', 'contacts.readonly'],
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
      server.kill('SIGTERM')
      const [code] = await once(server, 'exit')
      expect(code).toBe(0)
      server = undefined
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
