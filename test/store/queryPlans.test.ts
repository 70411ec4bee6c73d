import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createListMembershipActivity, createTaggingActivity } from '../../src/services/activities.js'
import { bulkUpdateTags } from '../../src/services/bulkUpdateTags.js'
import { createList } from '../../src/services/lists.js'
import { runActivityStep } from '../../src/services/runActivity.js'
import { createUndoActivity } from '../../src/services/undoActivity.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import { claimRunnableActivity } from '../../src/store/activities.js'
import {
  findContactsByIds,
  findLiveContactKeysByEmails,
  findLiveContactKeysByPhones,
} from '../../src/store/contacts.js'
import { attachTags } from '../../src/store/contactTags.js'
import type { Database, DialectName } from '../../src/store/database.js'
import { findEventTypesByIds, listEvents } from '../../src/store/events.js'
import { ensureTagsByName } from '../../src/store/tags.js'
import {
  claimDueDeliveries,
  pruneDeliveredBefore,
  selectEndpointsWithDueDeliveries,
} from '../../src/store/webhookDeliveries.js'
import { ActivityWorker } from '../../src/worker/activityWorker.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { makeLocation } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'

const CONTACTS = 5000

/** Seeds many contacts with set-based SQL so the planners see realistic table sizes. */
async function seed(database: Database, locationId: string): Promise<string[]> {
  const now = new Date().toISOString()
  const ids = await seedContacts(database, locationId, CONTACTS)
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

const TENANT_TABLES = new Set(['contacts', 'contact_tags', 'tags'])
const BIG_TABLES = new Set(['contacts', 'contact_tags'])

type PgPlanNode = {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Index Cond'?: string
  Plans?: PgPlanNode[]
}

/** Scans of tenant tables that read the whole table or a whole index instead of seeking into one. */
async function unboundedScans(
  database: Database,
  query: CompiledQuery,
  tables: ReadonlySet<string> = TENANT_TABLES,
): Promise<string[]> {
  const params = [...query.parameters]
  if (database.dialect === 'sqlite') {
    const result = await database.kysely.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`EXPLAIN QUERY PLAN ${query.sql}`, params),
    )
    // SQLite says SEARCH for an index seek and SCAN for reading everything. A seek whose only
    // constraint is location_id (or a skip-scan over it, ANY(location_id)) walks the whole tenant.
    return result.rows
      .map((r) => r.detail)
      .filter((d) => {
        const table = /\b(?:SCAN|SEARCH) (\w+)\b/.exec(d)?.[1]
        if (!table || !tables.has(table)) return false
        if (/^SCAN/.test(d)) return true
        const constraints = /\(([^()]*(?:\([^()]*\)[^()]*)*)\)$/.exec(d)?.[1] ?? ''
        return (
          constraints
            .replace(/ANY\(location_id\)|location_id=\?/g, '')
            .replace(/\s*AND\s*/g, '')
            .trim() === ''
        )
      })
  }
  // Seq scans are priced out: on test-sized tables they are legitimately cheapest, and what we
  // check is that an index exists that the statement can seek into.
  return database.transaction(async (tx) => {
    await tx.kysely.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'))
    const result = await tx.kysely.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PgPlanNode }> }>(
      CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${query.sql}`, params),
    )
    return unboundedScansIn(result.rows[0]?.['QUERY PLAN'][0]?.Plan, tables)
  })
}

/** The scans of a PostgreSQL plan (JSON) that read a whole table or a whole tenant of an index. */
function unboundedScansIn(plan: PgPlanNode | undefined, tables: ReadonlySet<string>): string[] {
  const bad: string[] = []
  const visit = (node: PgPlanNode) => {
    const relation = node['Relation Name']
    const indexCond = node['Index Cond']
    const scansWithoutSeek =
      node['Node Type'] === 'Seq Scan' ||
      (/Index/.test(node['Node Type']) && (!indexCond || !seeksBeyondTenant(indexCond)))
    if (relation && tables.has(relation) && scansWithoutSeek)
      bad.push(
        `${node['Node Type']} on ${relation}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`,
      )
    for (const child of node.Plans ?? []) visit(child)
  }
  if (plan) visit(plan)
  return bad
}

/**
 * unboundedScans of the generic plan PostgreSQL caches for a prepared statement (the product's
 * statements are prepared by name, see store/resilientPool.ts), with the planner's own costs: the
 * plan every later run of the statement on that connection gets, whatever its values.
 */
async function unboundedScansOfGenericPlan(
  database: Database,
  query: CompiledQuery,
  tables: ReadonlySet<string>,
): Promise<string[]> {
  // The values only fill the EXECUTE; a generic plan does not look at them.
  const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`
  const element = (v: unknown) => (v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`)
  const literal = (value: unknown) =>
    value === null
      ? 'NULL'
      : Array.isArray(value)
        ? quoted(`{${value.map(element).join(',')}}`)
        : quoted(String(value))
  return database.transaction(async (tx) => {
    await tx.kysely.executeQuery(CompiledQuery.raw('SET LOCAL plan_cache_mode = force_generic_plan'))
    await tx.kysely.executeQuery(CompiledQuery.raw(`PREPARE generic_plan_check AS ${query.sql}`))
    const result = await tx.kysely.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PgPlanNode }> }>(
      CompiledQuery.raw(
        `EXPLAIN (FORMAT JSON) EXECUTE generic_plan_check(${query.parameters.map(literal).join(', ')})`,
      ),
    )
    await tx.kysely.executeQuery(CompiledQuery.raw('DEALLOCATE generic_plan_check'))
    return unboundedScansIn(result.rows[0]?.['QUERY PLAN'][0]?.Plan, tables)
  })
}

/**
 * The plan as text, with sequential scans priced out on PostgreSQL (see unboundedScans), or with
 * the planner's own costs: what the engine would run on these statistics.
 */
async function planText(
  database: Database,
  query: CompiledQuery,
  costs: 'seq scans priced out' | 'planner' = 'seq scans priced out',
): Promise<string> {
  const params = [...query.parameters]
  if (database.dialect === 'sqlite') {
    const result = await database.kysely.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`EXPLAIN QUERY PLAN ${query.sql}`, params),
    )
    return result.rows.map((r) => r.detail).join('\n')
  }
  return database.transaction(async (tx) => {
    if (costs === 'seq scans priced out')
      await tx.kysely.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'))
    const result = await tx.kysely.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${query.sql}`, params),
    )
    return result.rows.map((r) => r['QUERY PLAN']).join('\n')
  })
}

/** An index condition that names a column other than location_id narrows below one tenant. */
function seeksBeyondTenant(indexCond: string): boolean {
  return /\b(?!location_id\b)[a-z_]+\b\s*(=|>=|<=|>|<)/.test(indexCond.replace(/'[^']*'/g, "''"))
}

/**
 * A fresh database for one suite, whose statements are recorded while `capture` runs (the
 * statements the plan checks look at).
 */
function databaseWithCapture(dialect: DialectName) {
  const state: { t?: TestDatabase; recording: boolean; captured: CompiledQuery[] } = {
    recording: false,
    captured: [],
  }
  beforeAll(async () => {
    state.t = await createTestDatabase(dialect, {
      onQuery: (q) => {
        if (state.recording) state.captured.push(q)
      },
    })
  })
  afterAll(() => state.t?.drop())
  return {
    get t(): TestDatabase {
      return state.t as TestDatabase
    },
    async capture(work: () => Promise<unknown>): Promise<CompiledQuery[]> {
      state.captured = []
      state.recording = true
      try {
        await work()
      } finally {
        state.recording = false
      }
      return state.captured
    },
  }
}

for (const dialect of DIALECTS) {
  describe(`bulk tag statements use indexes on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)
    let locationId: string
    let ids: string[]

    beforeAll(async () => {
      locationId = (await makeLocation(db.t.database)).id
      await makeLocation(db.t.database, 'neighbour')
      ids = await seed(db.t.database, locationId)
    })

    it.each(['add', 'remove'] as const)('%s: no statement scans a whole tenant table', async (operation) => {
      const captured = await db.capture(() =>
        bulkUpdateTags(db.t.database, {
          locationId,
          operation,
          contactIds: [...ids.slice(990, 1010), 'Zzzzzzzzzzzzzzzzzzzz'],
          tagNames: ['seed-a', 'fresh'],
          removeAllTags: false,
          source: 'plan-test',
        }),
      )
      const statements = captured.filter((q) => !/^(begin|commit|rollback)/i.test(q.sql))
      expect(statements.length).toBeGreaterThan(3)
      for (const statement of statements) {
        expect(await unboundedScans(db.t.database, statement), statement.sql).toEqual([])
      }
    })
  })
}

/**
 * A small bulk request's statements are prepared once per connection and soon run on generic
 * plans, made on whatever statistics the tenant's tag rows had then. They must still seek the
 * listed contacts. The removal's DELETE did not: on statistics of a few hundred tag rows its
 * generic plan read all of the tenant's tag rows, dead ones included, at every removal (bench:sync's
 * small requests on PostgreSQL fell to ~260 req/s over a 16 000-request run, against ~560 since).
 */
if (DIALECTS.includes('postgres')) {
  describe('small bulk requests seek their contacts in generic plans made on early statistics, on postgres', () => {
    const db = databaseWithCapture('postgres')

    it.each(['add', 'remove'] as const)('%s', async (operation) => {
      const { database } = db.t
      const location = await makeLocation(database)
      const ids = await seedContacts(database, location.id, 200)
      const request = (contactIds: string[], tagNames: string[], op: 'add' | 'remove') =>
        bulkUpdateTags(database, {
          locationId: location.id,
          operation: op,
          contactIds,
          tagNames,
          removeAllTags: false,
          source: 'plan-test',
        })
      await request(ids, ['existing'], 'add')
      await database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))
      if (operation === 'remove') await request(ids.slice(0, 10), ['a', 'b'], 'add')
      const captured = await db.capture(() => request(ids.slice(0, 10), ['a', 'b'], operation))
      const statements = captured.filter((q) => !/^(begin|commit|rollback)/i.test(q.sql))
      // The tag-row write is among them: PostgreSQL's add inserts inside its by-name WITH.
      const tagRowWrite =
        operation === 'remove' ? /^delete from "contact_tags"/ : /insert into "contact_tags"/
      expect(statements.some((q) => tagRowWrite.test(q.sql))).toBe(true)
      for (const statement of statements)
        expect(
          await unboundedScansOfGenericPlan(database, statement, BIG_TABLES),
          statement.sql.slice(0, 80),
        ).toEqual([])
    })
  })
}

/**
 * PostgreSQL plans its foreign-key checks once per connection, generically, possibly before the
 * tables have statistics. Each check must still seek one parent row, not walk the parent's tenant.
 * (SQLite always checks a foreign key through the parent key's unique index.)
 */
if (DIALECTS.includes('postgres')) {
  describe('foreign-key checks on postgres seek one parent row without statistics', () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase('postgres')
    })
    afterAll(() => t.drop())

    it.each([
      ['contacts', 'id'],
      ['tags', 'id'],
      ['lists', 'id'],
    ])('%s', async (table, key) => {
      const plan = await t.database.transaction(async (tx) => {
        await tx.kysely.executeQuery(CompiledQuery.raw('SET LOCAL plan_cache_mode = force_generic_plan'))
        await tx.kysely.executeQuery(
          CompiledQuery.raw(
            `PREPARE fk_check(text, text) AS SELECT 1 FROM ONLY ${table} x WHERE location_id = $1 AND ${key} = $2 FOR KEY SHARE OF x`,
          ),
        )
        const result = await tx.kysely.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`EXPLAIN EXECUTE fk_check('a', 'b')`),
        )
        await tx.kysely.executeQuery(CompiledQuery.raw('DEALLOCATE fk_check'))
        return result.rows.map((r) => r['QUERY PLAN']).join('\n')
      })
      const indexConds = [...plan.matchAll(/Index Cond: (.*)/g)].map((m) => m[1] ?? '')
      expect(indexConds.length, plan).toBeGreaterThan(0)
      expect(indexConds.every(seeksBeyondTenant), plan).toBe(true)
    })
  })
}

/**
 * Activity chunks run right after a big import, before statistics catch up: each statement must
 * still seek the chunk's key range rather than filter the whole tenant (which made a 1M-contact
 * removal quadratic on PostgreSQL).
 */
for (const dialect of DIALECTS) {
  describe(`activity chunk statements seek the chunk without statistics on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)

    it.each(['contacts_taggings_add', 'contacts_taggings_remove'] as const)('%s', async (kind) => {
      const location = await makeLocation(db.t.database)
      const ids = await seedContacts(db.t.database, location.id, 20_000)
      const now = new Date().toISOString()
      // Statistics taken while contact_tags was still empty, as after a fresh import.
      await db.t.database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))
      const tags = await ensureTagsByName(db.t.database, location.id, ['p', 'q'], now)
      if (kind === 'contacts_taggings_remove') {
        const sorted = [...ids].sort()
        for (let i = 0; i < sorted.length; i += 5000)
          await attachTags(
            db.t.database,
            location.id,
            sorted.slice(i, i + 5000),
            tags.map((tag) => tag.id),
          )
      }
      const activity = await createTaggingActivity(db.t.database, location.id, {
        kind,
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        tagIds: tags.map((tag) => tag.id),
      })
      const lease = { owner: 'plan', now, expiresAt: new Date(Date.now() + 60_000).toISOString() }
      await db.t.database.transaction((tx) => claimRunnableActivity(tx, lease))
      expect(await runActivityStep(db.t.database, activity, lease)).toBe('more')
      const captured = await db.capture(async () =>
        expect(await runActivityStep(db.t.database, activity, lease)).toBe('more'),
      )
      // The tag write, the touch of the changed contacts (on PostgreSQL chained with the chunk's
      // events and deliveries, one statement per event batch) and, for an add (and on SQLite a
      // removal), the read of the pairs the chunk's range holds.
      const chunkStatements = captured.filter((q) =>
        /^(insert into "contact_tags"|delete from "contact_tags"|update "contacts"|with "written"|select "contact_id", "tag_id" from "contact_tags")/.test(
          q.sql,
        ),
      )
      expect(
        chunkStatements.filter((q) => /^(insert into|delete from) "contact_tags"/.test(q.sql)),
      ).toHaveLength(1)
      expect(chunkStatements.filter((q) => /^select "contact_id", "tag_id"/.test(q.sql))).toHaveLength(
        kind === 'contacts_taggings_add' || dialect === 'sqlite' ? 1 : 0,
      )
      expect(
        chunkStatements.filter((q) => /^(update "contacts"|with "written")/.test(q.sql)).length,
      ).toBeGreaterThan(0)
      for (const statement of chunkStatements) {
        // Tags are few per tenant; the tables that grow with contacts must be sought by range.
        expect(
          await unboundedScans(db.t.database, statement, BIG_TABLES),
          statement.sql.slice(0, 80),
        ).toEqual([])
      }
    })
  })
}

/**
 * The webhook queue is polled all the time: its statements must seek one webhook's open
 * deliveries, never walk delivered history or the events of a whole tenant.
 */
for (const dialect of DIALECTS) {
  describe(`webhook queue statements use indexes on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)

    it('enqueue, endpoint selection, lease and prune', async () => {
      const location = await makeLocation(db.t.database)
      const ids = await seedContacts(db.t.database, location.id, CONTACTS)
      const webhook = await registerWebhook(
        db.t.database,
        location.id,
        { url: 'http://127.0.0.1:9/hook' },
        ALLOW_INTERNAL_TARGETS,
      )
      const tag = async (contactIds: string[], name: string) =>
        bulkUpdateTags(db.t.database, {
          locationId: location.id,
          operation: 'add',
          contactIds,
          tagNames: [name],
          removeAllTags: false,
          source: 'plan-test',
        })
      for (let i = 0; i < 3000; i += 1000) await tag(ids.slice(i, i + 1000), 'history')
      // Most deliveries are history already.
      await db.t.database.kysely
        .updateTable('webhook_deliveries')
        .set({
          state: 'delivered',
          delivered_at: new Date().toISOString(),
          closed_at: new Date().toISOString(),
        })
        .where('event_id', '<=', 2900)
        .execute()
      await db.t.database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))

      const captured = await db.capture(async () => {
        await tag(ids.slice(3000, 3010), 'fresh')
        const now = new Date().toISOString()
        const [endpoint] = await selectEndpointsWithDueDeliveries(db.t.database, { owner: 'plan', now }, 10)
        expect(endpoint?.webhook_id).toBe(webhook.id)
        const leased = await db.t.database.transaction((tx) =>
          claimDueDeliveries(
            tx,
            endpoint as { location_id: string; webhook_id: string },
            {
              owner: 'plan',
              now,
              expiresAt: new Date(Date.now() + 60_000).toISOString(),
            },
            4,
          ),
        )
        expect(leased).toHaveLength(4)
        await pruneDeliveredBefore(db.t.database, new Date(Date.now() - 86_400_000).toISOString(), 100)
      })

      const statements = captured.filter(
        (q) =>
          /webhook_deliveries|\bevents\b/.test(q.sql) &&
          !/^(begin|commit|rollback)/i.test(q.sql) &&
          // max(id) of one location reads the last entry of the (location_id, id) index: one seek.
          !/^select max\("id"\)/.test(q.sql),
      )
      expect(statements.length).toBeGreaterThan(3)
      // Reading a whole open-deliveries index is reading the queue itself (PostgreSQL does that for
      // a semi join when there are few webhooks): allowed. Anything else must seek.
      for (const statement of statements) {
        const scans = await unboundedScans(
          db.t.database,
          statement,
          new Set(['webhook_deliveries', 'events']),
        )
        expect(
          scans.filter((scan) => !/_open_/.test(scan)),
          statement.sql,
        ).toEqual([])
      }
      // Seeking by webhook is not enough: the queue reads must use the open-deliveries indexes,
      // or every poll would walk the webhook's delivered history.
      // (The claim reads the queue inside its UPDATE: `... where "event_id" in (select ...)`, or
      // `= any(array(select ...))` on PostgreSQL.)
      const queueReads = statements.filter(
        (q) =>
          /webhook_deliveries/.test(q.sql) &&
          (/^select/.test(q.sql) || /^update .* (in |= any\(array)\(select /.test(q.sql)),
      )
      expect(queueReads.length).toBeGreaterThanOrEqual(2)
      for (const read of queueReads) expect(await planText(db.t.database, read), read.sql).toMatch(/_open_/)
    })
  })
}

/**
 * A lease claims hundreds of deliveries of one webhook, most of whose rows are still open (a
 * backlog just queued): the UPDATE must seek the leased keys, with the planner's own costs. Written
 * as `IN (subquery)`, PostgreSQL hash-joined them to a sequential scan of the whole backlog.
 */
for (const dialect of DIALECTS) {
  describe(`a claim seeks the deliveries it leases on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)

    it('a 512-delivery lease of a 3000-delivery backlog', async () => {
      const location = await makeLocation(db.t.database)
      const ids = await seedContacts(db.t.database, location.id, 3000)
      await registerWebhook(
        db.t.database,
        location.id,
        { url: 'http://127.0.0.1:9/hook' },
        ALLOW_INTERNAL_TARGETS,
      )
      for (let i = 0; i < ids.length; i += 1000)
        await bulkUpdateTags(db.t.database, {
          locationId: location.id,
          operation: 'add',
          contactIds: ids.slice(i, i + 1000),
          tagNames: ['backlog'],
          removeAllTags: false,
          source: 'plan-test',
        })
      await db.t.database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))
      const now = new Date().toISOString()
      const [endpoint] = await selectEndpointsWithDueDeliveries(db.t.database, { owner: 'plan', now }, 1)
      const lease = { owner: 'plan', now, expiresAt: new Date(Date.now() + 60_000).toISOString() }
      const captured = await db.capture(() =>
        claimDueDeliveries(
          db.t.database,
          endpoint as { location_id: string; webhook_id: string },
          lease,
          512,
        ),
      )
      const [claim] = captured.filter((q) => /^update "webhook_deliveries"/.test(q.sql))
      expect(claim).toBeDefined()
      const plan = await planText(db.t.database, claim as CompiledQuery, 'planner')
      expect(plan, plan).not.toMatch(/Seq Scan|SCAN webhook_deliveries\b(?! USING)/)
      expect(plan, plan).toMatch(
        dialect === 'postgres'
          ? /Index Scan using webhook_deliveries_pkey/
          : /PRIMARY KEY|sqlite_autoindex_webhook_deliveries_1/,
      )
    })
  })
}

/**
 * An undo reads the original activity's events chunk by chunk and each chunk's contacts' later
 * events: both reads must seek, the first within the original's window of the events' key from
 * the cursor on, the second each contact's key and then the chain of its changes by the events'
 * key, never range over every later event or every contact of the tenant (ranging over later
 * events made a 1M-contact undo quadratic on SQLite).
 */
for (const dialect of DIALECTS) {
  describe(`undo chunk reads seek the activity's window and each contact on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)

    it('contacts_taggings_undo', async () => {
      const location = await makeLocation(db.t.database)
      await seedContacts(db.t.database, location.id, 20_000)
      const [tag] = await ensureTagsByName(db.t.database, location.id, ['u'], new Date().toISOString())
      const worker = new ActivityWorker(db.t.database, { chunkSize: 5000 })
      const tagAll = async (kind: 'contacts_taggings_add' | 'contacts_taggings_remove') => {
        const activity = await createTaggingActivity(db.t.database, location.id, {
          kind,
          selector: { kind: 'all_active_contacts', excludeContactIds: [] },
          tagIds: [tag?.id as string],
        })
        while (await worker.runOne()) {}
        return activity
      }
      // The original is one activity among several, as in a real event log.
      const original = await tagAll('contacts_taggings_add')
      await tagAll('contacts_taggings_remove')
      await tagAll('contacts_taggings_add')
      await db.t.database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))
      await createUndoActivity(db.t.database, location.id, original.id)
      const captured = await db.capture(async () => {
        while (await worker.runOne()) {}
      })
      const chunkReads = captured.filter(
        (q) =>
          /^select "events"\."id"|^select "id", "contact_id"|^\s*SELECT e\.id/.test(q.sql) &&
          /(from|join|JOIN LATERAL \(SELECT \* FROM) "events"/i.test(q.sql),
      )
      // Per chunk (4 of 5000): the original's events from the cursor, and its contacts' later ones.
      expect(chunkReads.filter((q) => /"activity_id" =/.test(q.sql)).length).toBeGreaterThanOrEqual(4)
      expect(chunkReads.filter((q) => /^\s*SELECT e\.id/.test(q.sql)).length).toBeGreaterThanOrEqual(4)
      // Each contact was changed twice after the original (a removal, an add): the first read finds
      // the add, one step further the removal, whose previous change is the original's own.
      expect(
        chunkReads.filter((q) => /"previous_tag_event_id"/.test(q.sql.split(' from ')[0] ?? '')).length,
      ).toBeGreaterThanOrEqual(4)
      for (const read of chunkReads) {
        const what = read.sql.slice(0, 80)
        const plan = await planText(db.t.database, read)
        expect(await unboundedScans(db.t.database, read, new Set(['events', 'contacts'])), what).toEqual([])
        if (!/"activity_id" =/.test(read.sql)) {
          // Each contact's key, then its newest change by the events' key; each step down the
          // chain after that by the events' key alone.
          if (dialect === 'sqlite')
            expect(plan, what).toMatch(
              /^\s*SELECT e\.id/.test(read.sql)
                ? /SEARCH c USING PRIMARY KEY \(location_id=\? AND id=\?\)[\s\S]*SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\)/
                : /^SEARCH events USING INTEGER PRIMARY KEY \(rowid=\?\)/,
            )
          continue
        }
        // The window's key range from the cursor on, bounded at both ends.
        expect(plan, what).toMatch(
          dialect === 'sqlite'
            ? /SEARCH events USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/
            : /Index Cond: .*\(id >= .*\(id <= /,
        )
      }
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`list-membership activity statements use indexes on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)

    it('add_list_memberships and its undo', async () => {
      const location = await makeLocation(db.t.database)
      await makeLocation(db.t.database, 'neighbour')
      await seedContacts(db.t.database, location.id, 12_000)
      const list = await createList(db.t.database, location.id, { name: 'plan' })
      const worker = new ActivityWorker(db.t.database, { chunkSize: 5000 })
      await db.t.database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))
      const original = await createListMembershipActivity(db.t.database, location.id, {
        kind: 'add_list_memberships',
        selector: { kind: 'all_active_contacts', excludeContactIds: [] },
        listIds: [list.id],
      })
      const captured = await db.capture(async () => {
        while (await worker.runOne()) {}
        await createUndoActivity(db.t.database, location.id, original.id)
        while (await worker.runOne()) {}
      })
      const membershipStatements = captured.filter((q) => /"list_membership(s|_changes)"/.test(q.sql))
      // Per chunk of the activity (3): the insert and the log write; of the undo: the log read, the
      // delete and the log write.
      expect(membershipStatements.length).toBeGreaterThanOrEqual(15)
      for (const statement of membershipStatements)
        expect(
          await unboundedScans(
            db.t.database,
            statement,
            new Set(['contacts', 'list_memberships', 'list_membership_changes']),
          ),
          statement.sql.slice(0, 120),
        ).toEqual([])
    })
  })
}

/**
 * An import batch looks its 1000 rows up by email and by phone, each bound as one array: both
 * lookups must still seek their partial index (the planners prove `= any(...)` excludes nulls).
 */
for (const dialect of DIALECTS) {
  describe(`import lookups seek the email and phone indexes on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)

    it('findLiveContactKeysByEmails and findLiveContactKeysByPhones', async () => {
      const location = await makeLocation(db.t.database)
      const ids = await seed(db.t.database, location.id)
      // A batch of 1000 among 5000 contacts is a fifth of the tenant, which PostgreSQL may rightly
      // read whole; among 20 000 the indexes are the plan at any statistics sample.
      await seedContacts(db.t.database, location.id, 15_000)
      await db.t.database.kysely
        .updateTable('contacts')
        .set((eb) => ({
          email_lower: eb(eb.ref('id'), '||', '@example.com'),
          phone: eb(sql.lit('+1'), '||', eb.ref('id')),
        }))
        .where('location_id', '=', location.id)
        .execute()
      await db.t.database.kysely.executeQuery(CompiledQuery.raw('ANALYZE'))
      const batch = ids.slice(0, 1000)
      const captured = await db.capture(async () => {
        expect(
          await findLiveContactKeysByEmails(
            db.t.database,
            location.id,
            batch.map((id) => `${id}@example.com`),
          ),
        ).toHaveLength(1000)
        expect(
          await findLiveContactKeysByPhones(
            db.t.database,
            location.id,
            batch.map((id) => `+1${id}`),
          ),
        ).toHaveLength(1000)
      })
      expect(captured).toHaveLength(2)
      for (const [statement, index] of [
        [captured[0], 'contacts_email_idx'],
        [captured[1], 'contacts_phone_idx'],
      ] as const) {
        const query = statement as CompiledQuery
        expect(await unboundedScans(db.t.database, query), query.sql).toEqual([])
        expect(await planText(db.t.database, query), query.sql).toContain(index)
      }
    })
  })
}

/**
 * A webhook lease (512 deliveries) reads its events and contacts by id, each list bound as one
 * array: both reads must seek the tenant's primary key, never walk the tenant.
 */
for (const dialect of DIALECTS) {
  describe(`reads by id seek the primary key on ${dialect}`, () => {
    const db = databaseWithCapture(dialect)

    it('findEventTypesByIds and findContactsByIds', async () => {
      const location = await makeLocation(db.t.database)
      const ids = await seed(db.t.database, location.id)
      const events = await listEvents(db.t.database, location.id)
      expect(events.length).toBeGreaterThanOrEqual(500)
      const captured = await db.capture(async () => {
        const eventIds = events.slice(0, 500).map((e) => e.id)
        expect(await findEventTypesByIds(db.t.database, location.id, eventIds)).toHaveLength(500)
        // Old and new events in one lease (a retry among fresh ones): their range spans the log.
        const spread = [...events.slice(0, 250), ...events.slice(-250)].map((e) => e.id)
        expect(await findEventTypesByIds(db.t.database, location.id, spread)).toHaveLength(500)
        expect(await findContactsByIds(db.t.database, location.id, ids.slice(0, 500))).toHaveLength(500)
      })
      expect(captured).toHaveLength(3)
      for (const query of captured)
        expect(
          await unboundedScans(db.t.database, query, new Set(['events', 'contacts'])),
          query.sql,
        ).toEqual([])
    })
  })
}
