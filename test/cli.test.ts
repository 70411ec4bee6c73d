import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaggingActivity, getActivity } from '../src/services/activities.js'
import { authenticate } from '../src/services/admin.js'
import { openDatabase } from '../src/store/database.js'
import { findLocation } from '../src/store/locations.js'
import { ensureTagsByName } from '../src/store/tags.js'
import { ActivityWorker } from '../src/worker/activityWorker.js'
import { CLI_TEST_TIMEOUT_MS, ROOT, spawnTagbase, tagbase, tagbaseExit, tagbaseText } from './helpers/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './helpers/databases.js'
import { makeLocation } from './helpers/fixtures.js'
import { seedContacts } from './helpers/seed.js'

for (const dialect of DIALECTS) {
  describe(`tagbase CLI on ${dialect}`, { timeout: CLI_TEST_TIMEOUT_MS }, () => {
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
      // Polled within the token's rate limit (100 requests per 10 s): at 50 ms a loaded CI run
      // spent it before the activity completed, and every later answer was a 429.
      let answer = activity
      for (let i = 0; i < 150 && answer.state !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 200))
        answer = await v3('GET', `/activities/${activity.activity_id}`)
      }
      expect(answer.state, JSON.stringify(answer)).toBe('completed')
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

    it("serves a worker's own metrics on METRICS_PORT, and no API there", async () => {
      const location = await makeLocation(db.database)
      await seedContacts(db.database, location.id, 120)
      const [tag] = await ensureTagsByName(db.database, location.id, ['metered'], new Date().toISOString())
      const worker = spawnTagbase(db, ['worker'], { METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
      try {
        let output = ''
        worker.stdout?.on('data', (chunk) => {
          output += chunk
        })
        let address: string | undefined
        for (let i = 0; i < 300 && !address; i++) {
          address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
          if (!address) await new Promise((r) => setTimeout(r, 100))
        }
        expect(address).toBeDefined()
        const activity = await createTaggingActivity(db.database, location.id, {
          kind: 'contacts_taggings_add',
          selector: { kind: 'all_active_contacts', excludeContactIds: [] },
          tagIds: [tag?.id as string],
        })
        let state = activity.state
        for (let i = 0; i < 300 && state !== 'completed'; i++) {
          await new Promise((r) => setTimeout(r, 50))
          state = (await getActivity(db.database, location.id, activity.id)).state
        }
        expect(state).toBe('completed')
        const metrics = await (await fetch(`${address}/metrics`)).text()
        expect(metrics).toContain('tagbase_tag_rows_written_total{source="activity",operation="add"} 120')
        expect(metrics).toContain('tagbase_activities{state="completed"}')
        expect((await fetch(`${address}/readyz`)).status).toBe(200)
        expect((await fetch(`${address}/contacts/`)).status).toBe(404)
      } finally {
        worker.kill('SIGTERM')
        await once(worker, 'exit')
      }
    })

    it('lists locations and tokens (never a secret or hash) and revokes a token for good', async () => {
      const location = await tagbase(db, 'location', 'create', '--name', 'Listed')
      expect(await tagbase(db, 'location', 'list')).toEqual(
        expect.arrayContaining([{ id: location.id, name: 'Listed', createdAt: location.createdAt }]),
      )
      const issued = await tagbase(db, 'token', 'create', '--location', location.id, '--name', 'zapier')
      const listed = await tagbase(db, 'token', 'list', '--location', location.id)
      expect(listed).toEqual([
        {
          id: issued.id,
          name: 'zapier',
          scopes: issued.scopes,
          createdAt: expect.any(String),
          revokedAt: null,
        },
      ])
      const stored = await db.database.kysely
        .selectFrom('access_tokens')
        .select('token_hash')
        .where('id', '=', issued.id)
        .executeTakeFirstOrThrow()
      const text = await tagbaseText(db, 'token', 'list', '--location', location.id)
      expect(text).not.toContain(issued.token)
      expect(text).not.toContain(stored.token_hash)
      // A list in a table cell reads as a list, not as a JSON array.
      expect(text).toContain('contacts.readonly, contacts.write')
      expect(text).not.toContain('["')

      expect(await authenticate(db.database, issued.token)).toBeDefined()
      expect(await tagbase(db, 'token', 'revoke', '--location', location.id, '--id', issued.id)).toEqual({
        id: issued.id,
        revoked: true,
      })
      expect(await authenticate(db.database, issued.token)).toBeUndefined()
      expect((await tagbase(db, 'token', 'list', '--location', location.id))[0].revokedAt).toEqual(
        expect.any(String),
      )
      const again = await tagbaseExit(db, 'token', 'revoke', '--location', location.id, '--id', issued.id)
      expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('no active token') })
    })

    it("streams an activity's per-contact results as CSV or JSON Lines", async () => {
      const location = await makeLocation(db.database)
      const [tag] = await ensureTagsByName(db.database, location.id, ['streamed'], new Date().toISOString())
      const ids = await seedContacts(db.database, location.id, 3)
      const activity = await createTaggingActivity(db.database, location.id, {
        kind: 'contacts_taggings_add',
        selector: { kind: 'contact_ids', contactIds: [...ids, 'CCCCCCCCCCCCCCCCCCCC'] },
        tagIds: [tag?.id as string],
      })
      const worker = new ActivityWorker(db.database, { pollMs: 20 })
      while (await worker.runOne()) {}
      const csv = await tagbaseText(db, 'activity', 'results', '--location', location.id, '--id', activity.id)
      const lines = csv.trim().split('\n')
      expect(lines[0]).toBe('contact_id,outcome,tags_added,tags_removed,reason')
      expect(lines.slice(1).sort()).toEqual(
        [
          ...ids.map((id) => `${id},changed,streamed,,`),
          'CCCCCCCCCCCCCCCCCCCC,skipped,,,not a contact of this account',
        ].sort(),
      )
      const json = await tagbaseText(
        db,
        'activity',
        'results',
        '--location',
        location.id,
        '--id',
        activity.id,
        '--outcome',
        'skipped',
        '--format',
        'json',
      )
      expect(
        json
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual([
        {
          contact_id: 'CCCCCCCCCCCCCCCCCCCC',
          outcome: 'skipped',
          tags_added: [],
          tags_removed: [],
          reason: 'not a contact of this account',
        },
      ])
    })

    it('backs up: a consistent copy on SQLite that opens with its data, the pg_dump command on PostgreSQL', async () => {
      const location = await makeLocation(db.database, 'Backed up')
      const file = join(mkdtempSync(join(tmpdir(), 'tagbase-backup-')), 'copy.db')
      const answer = await tagbase(db, 'backup', file)
      if (dialect === 'postgres') {
        expect(answer.command).toMatch(/^pg_dump --format=custom --file=/)
        expect(answer.restore).toMatch(/^pg_restore /)
        return
      }
      expect(answer).toEqual({ backup: file, bytes: expect.any(Number) })
      const copy = openDatabase(`sqlite:${file}`)
      try {
        expect((await findLocation(copy, location.id))?.name).toBe('Backed up')
      } finally {
        await copy.close()
      }
      const again = await tagbaseExit(db, 'backup', file)
      expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('never overwrites') })
    })

    it("prints the package's version, and help with settings and examples", async () => {
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
      expect((await tagbaseText(db, '--version')).trim()).toBe(version)
      // Help names the settings and shows examples, for the program and for serve.
      const help = await tagbaseText(db, '--help')
      expect(help).toContain('DATABASE_URL')
      expect(help).toContain('Examples:')
      expect(await tagbaseText(db, 'serve', '--help')).toContain('PORT=8080')
    })

    it('exits 2 for a wrong command line and 1 for work refused', async () => {
      await expect(
        tagbase(db, 'token', 'create', '--location', 'x', '--scopes', 'nope'),
      ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown scope') })
      const known = await makeLocation(db.database)
      expect((await tagbaseExit(db, 'tag', 'add', '--location', known.id, '--tags', 'a')).code).toBe(2)
      expect((await tagbaseExit(db, 'activity', 'list')).code).toBe(2)
      await expect(
        tagbase(db, 'token', 'create', '--location', 'Zzzzzzzzzzzzzzzzzzzz'),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('does not exist'),
      })
      // Every command taking --location names an unknown one, and fails (never an empty success).
      for (const args of [
        ['tag', 'add', '--location', 'nope', '--tags', 'a', '--all'],
        ['webhook', 'add', '--location', 'nope', '--url', 'https://example.com/hook'],
        ['activity', 'list', '--location', 'nope'],
      ]) {
        const refused = await tagbaseExit(db, ...args)
        expect(refused.code, args.join(' ')).toBe(1)
        expect(refused.stderr).toBe('tagbase: location nope does not exist\n')
      }
    })

    it('tags contacts from an id file and from --all, following each activity to its end', async () => {
      const location = await makeLocation(db.database)
      const contacts = await seedContacts(db.database, location.id, 1200)
      const dir = mkdtempSync(join(tmpdir(), 'tagbase-cli-'))
      const file = join(dir, 'ids.txt')
      // 1100 ids (three activities of at most 500), a comment and a repeat.
      writeFileSync(file, `# exported\n${contacts.slice(0, 1100).join('\n')}\n${contacts[0]}\n`)
      const added = await tagbase(
        db,
        'tag',
        'add',
        '--location',
        location.id,
        '--tags',
        'VIP,Promo',
        '--ids-file',
        file,
        '--work',
      )
      expect(added).toHaveLength(3)
      expect(added.map((a: { state: string }) => a.state)).toEqual(['completed', 'completed', 'completed'])
      expect(added.reduce((n: number, a: { itemsCompleted: number }) => n + a.itemsCompleted, 0)).toBe(1100)
      const [vip] = await db.database.kysely
        .selectFrom('tags')
        .selectAll()
        .where('name', '=', 'vip')
        .execute()
      const tagged = await db.database.kysely
        .selectFrom('contact_tags')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tag_id', '=', vip?.id as string)
        .executeTakeFirst()
      expect(Number(tagged?.n)).toBe(1100)

      const removed = await tagbase(
        db,
        'tag',
        'remove',
        '--location',
        location.id,
        '--tags',
        'vip',
        '--all',
        '--work',
      )
      expect(removed).toEqual([
        expect.objectContaining({ kind: 'contacts_taggings_remove', state: 'completed', itemsTotal: 1200 }),
      ])

      const listed = await tagbase(db, 'activity', 'list', '--location', location.id, '--limit', '10')
      expect(listed).toHaveLength(4)
      expect(listed[0]).toMatchObject({ kind: 'contacts_taggings_remove', percentDone: 100 })
      const shown = await tagbase(
        db,
        'activity',
        'show',
        '--location',
        location.id,
        '--id',
        listed[0].activityId,
      )
      expect(shown).toMatchObject({ activityId: listed[0].activityId, state: 'completed', errors: [] })

      // Without --json the same answers read as text.
      const text = await tagbaseExit(
        db,
        'activity',
        'show',
        '--location',
        location.id,
        '--id',
        listed[0].activityId,
      )
      expect(text.code).toBe(0)
      expect(text.stdout).toMatch(/^activityId\s+\S+$/m)
      expect(text.stdout).toMatch(/^state\s+completed$/m)

      const unknown = await tagbaseExit(
        db,
        'tag',
        'remove',
        '--location',
        location.id,
        '--tags',
        'nope',
        '--all',
        '--work',
      )
      expect(unknown).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('no such tags in this location: nope'),
      })
    })

    it('imports a CSV: maps columns, upserts on email, adds tags, reports rejected rows by line', async () => {
      const location = await makeLocation(db.database)
      const dir = mkdtempSync(join(tmpdir(), 'tagbase-import-'))
      const file = join(dir, 'contacts.csv')
      writeFileSync(
        file,
        [
          'First Name,Last_Name,E-mail,Phone,Tags,Favourite Colour',
          'Ada,Lovelace,ada@example.com,,VIP;Newsletter,green',
          'Alan,Turing,,+4412345,newsletter,blue',
          'No,Contact,,,vip,red',
          '"Grace","Hopper",grace@example,,,',
          'Too,Many,x@example.com,,,,extra',
          'Ada,Byron,ADA@example.com,,Speaker,',
          '',
        ].join('\n'),
      )
      const first = await tagbaseExit(db, '--json', 'import', file, '--location', location.id)
      expect(first.code, first.stderr).toBe(1)
      // Exit 1 is also how a failed import ends: then there is no summary, and stderr says why.
      expect(first.stdout, first.stderr).not.toBe('')
      expect(JSON.parse(first.stdout)).toEqual({
        created: 2,
        updated: 1,
        rejected: 3,
        ignoredColumns: ['Favourite Colour'],
        rejectedRows: [
          { line: 4, reason: 'the row has neither an email nor a phone' },
          { line: 5, reason: '"grace@example" is not an email address' },
          { line: 6, reason: 'the row has 7 columns, the header 6' },
        ],
      })
      const ada = await db.database.kysely
        .selectFrom('contacts')
        .selectAll()
        .where('location_id', '=', location.id)
        .where('email_lower', '=', 'ada@example.com')
        .execute()
      expect(ada).toHaveLength(1)
      expect(ada[0]).toMatchObject({ first_name: 'Ada', last_name: 'Byron' })
      const tags = await db.database.kysely
        .selectFrom('contact_tags')
        .innerJoin('tags', 'tags.id', 'contact_tags.tag_id')
        .select('tags.name')
        .where('contact_tags.contact_id', '=', ada[0]?.id as string)
        .orderBy('tags.name')
        .execute()
      expect(tags.map((t) => t.name)).toEqual(['newsletter', 'speaker', 'vip'])

      // A second run matches every contact again: nothing is created.
      const again = JSON.parse(
        (await tagbaseExit(db, '--json', 'import', file, '--location', location.id)).stdout,
      )
      expect(again).toMatchObject({ created: 0, updated: 3, rejected: 3 })
      // Readable output lists rejected rows one per line, never a JSON array.
      const readable = (await tagbaseExit(db, 'import', file, '--location', location.id)).stdout
      expect(readable).toMatch(/^rejectedRows +3 in all$/m)
      expect(readable).toMatch(/^ {2}- line \d+, reason /m)
      expect(readable).not.toContain('[{')
      const missing = await tagbaseExit(db, 'import', join(dir, 'nope.csv'), '--location', location.id)
      expect(missing.code).toBe(2)
    })
  })
}
