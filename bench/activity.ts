/**
 * Activity benchmark (not a test): `all_active_contacts`, add 2 tags, remove them, then undo the
 * removal, at 100k and 1M contacts, on SQLite and PostgreSQL. Three measurements, same run:
 *
 *   end to end: the activity is created, a separate `tagbase worker` process runs it (chunks of
 *               5000, leases, progress, events) and the clock stops when the activity reads
 *               completed.
 *   same SQL:   the product's own chunk statements run directly from this process (no leases,
 *               progress, snapshot or second process). Shows the engine's overhead, not the gap.
 *   limit:      the physical limit (bench/physicalLimit.ts): the fewest writes the feature needs
 *               on a minimal schema, same engine and settings, same chunking. Undo's limit is
 *               the add's (the same rows are written again).
 *
 * ratio = limit time / end-to-end time, by wall clock and by CPU (the worker, this process and, on
 * PostgreSQL, every server process). WAL B/c = WAL bytes per changed contact (PostgreSQL).
 * Worker MB = the worker's peak RSS after all three activities.
 *
 *   npm run bench:activity [-- --sizes 100000,1000000 --engines sqlite,postgres]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { createTaggingActivity, getActivity } from '../src/services/activities.js'
import { createLocation } from '../src/services/admin.js'
import { createUndoActivity } from '../src/services/undoActivity.js'
import { attachTags, type ContactTagPair, detachTags } from '../src/store/contactTags.js'
import type { Database, DialectName } from '../src/store/database.js'
import { recordContactTagUpdates } from '../src/store/events.js'
import { ensureTagsByName, type TagRow } from '../src/store/tags.js'
import { seedContacts } from '../test/helpers/seed.js'
import { openBenchEngine } from './engines.js'
import { loadAverage, type Measured, measure, peakRssMb, table } from './measure.js'
import { analyzeLimitTables, openLimitEngine, seedLimitContacts, tagAllAtTheLimit } from './physicalLimit.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
  },
})
const SIZES = (args.sizes as string).split(',').map(Number)
const ENGINES = (args.engines as string).split(',') as DialectName[]
const CHUNK = 5000
const ROOT = join(import.meta.dirname, '..')

/** Contacts in transactions of 10 000, then fresh statistics, as after an import. */
async function seed(database: Database, locationId: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10_000) {
    await database.transaction((tx) => seedContacts(tx, locationId, Math.min(10_000, count - start)))
  }
  if (database.dialect === 'postgres') await sql`ANALYZE`.execute(database.kysely)
}

/** A `tagbase worker` process, resolved once it says it has started (start-up is not timed). */
async function startWorker(url: string): Promise<ChildProcess> {
  // The built CLI, as `npm start` runs it (`npm run bench:activity` builds first).
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'worker'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      DATABASE_BUSY_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'info',
      ACTIVITY_CHUNK_SIZE: String(CHUNK),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
    child.stdout?.on('data', (chunk) => {
      output += chunk
      if (output.includes('activity worker started')) resolve()
    })
  })
  return child
}

/** Seconds from creating the activity to reading it completed; and the activity's id. */
async function endToEnd(
  database: Database,
  locationId: string,
  kind: 'contacts_taggings_add' | 'contacts_taggings_remove' | 'contacts_taggings_undo',
  tags: TagRow[],
  undoOf?: string,
): Promise<{ seconds: number; activityId: string }> {
  const started = performance.now()
  const activity =
    kind === 'contacts_taggings_undo'
      ? await createUndoActivity(database, locationId, undoOf as string)
      : await createTaggingActivity(database, locationId, {
          kind,
          selector: { kind: 'all_active_contacts', excludeContactIds: [] },
          tagIds: tags.map((t) => t.id),
        })
  for (;;) {
    const state = await getActivity(database, locationId, activity.id)
    if (state.state === 'completed')
      return { seconds: (performance.now() - started) / 1000, activityId: activity.id }
    if (state.state === 'failed' || state.state === 'cancelled') throw new Error(`activity ${state.state}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The same work as plain id-chunked statements: chunk ids, tag rows, one event per contact. */
async function raw(
  database: Database,
  locationId: string,
  operation: 'add' | 'remove',
  tags: TagRow[],
): Promise<number> {
  const started = performance.now()
  const names = new Map(tags.map((t) => [t.id, t.name]))
  let after: string | null = null
  for (;;) {
    const done: boolean = await database.transaction(async (tx) => {
      const rows = await tx.kysely
        .selectFrom('contacts')
        .select('id')
        .where('location_id', '=', locationId)
        .where('deleted_at', 'is', null)
        .where('unsubscribed_at', 'is', null)
        .$if(after !== null, (q) => q.where('id', '>', after as string))
        .orderBy('id')
        .limit(CHUNK)
        .execute()
      if (rows.length === 0) return true
      const ids = rows.map((r) => r.id)
      const now = new Date().toISOString()
      // The chunk's key range lets every statement seek it whatever the statistics say.
      const range = { first: ids[0] as string, last: ids[ids.length - 1] as string }
      const pairs: ContactTagPair[] =
        operation === 'add'
          ? await attachTags(tx, locationId, ids, [...names.keys()])
          : await detachTags(tx, locationId, ids, [...names.keys()], range)
      const byContact = new Map<string, string[]>()
      for (const p of pairs)
        byContact.set(p.contact_id, [...(byContact.get(p.contact_id) ?? []), names.get(p.tag_id) as string])
      await recordContactTagUpdates(
        tx,
        locationId,
        [...byContact].map(([contactId, changed]) => ({
          contactId,
          tagsAdded: operation === 'add' ? changed : [],
          tagsRemoved: operation === 'remove' ? changed : [],
        })),
        { source: 'bench.raw' },
        now,
      )
      after = ids[ids.length - 1] as string
      return false
    })
    if (done) return (performance.now() - started) / 1000
  }
}

type Result = { op: string; e2e: Measured; sameSql: Measured; limit: Measured }

const perSecond = (count: number, seconds: number) => Math.round(count / seconds)
const walPerContact = (m: Measured, contacts: number) =>
  m.walBytes === null ? '-' : Math.round(m.walBytes / contacts)

async function benchEngineSize(dialect: DialectName, size: number): Promise<Array<Array<string | number>>> {
  const engine = await openBenchEngine(dialect)
  const limitEngine = await openLimitEngine(dialect)
  try {
    const { database } = engine
    const location = await createLocation(database, 'Bench')
    await seed(database, location.id, size)
    await seedLimitContacts(limitEngine.database, location.id, size)
    const now = new Date().toISOString()
    const e2eTags = await ensureTagsByName(database, location.id, ['bench-e2e-1', 'bench-e2e-2'], now)
    const rawTags = await ensureTagsByName(database, location.id, ['bench-raw-1', 'bench-raw-2'], now)
    const worker = await startWorker(engine.url)
    // Whatever happens to this run (an error, Ctrl-C), the worker process does not outlive it.
    const stopWorker = () => worker.kill('SIGKILL')
    process.once('exit', stopWorker)
    const workerPid = worker.pid as number
    const results: Result[] = []
    let rss = Number.NaN
    try {
      let removal = ''
      for (const [op, kind] of [
        ['add', 'contacts_taggings_add'],
        ['remove', 'contacts_taggings_remove'],
        ['undo', 'contacts_taggings_undo'],
      ] as const) {
        const e2e = await measure(database, async () => {
          const run = await endToEnd(database, location.id, kind, e2eTags, removal)
          if (op === 'remove') removal = run.activityId
        }, [workerPid])
        // The worker refreshes planner statistics after an activity; let it finish, untimed, so the
        // same-SQL run below does not wait for it inside its clock.
        await new Promise((resolve) => setTimeout(resolve, 3000))
        const operation = op === 'remove' ? 'remove' : 'add'
        const sameSql = await measure(database, async () => {
          await raw(database, location.id, operation, rawTags)
        })
        await analyzeLimitTables(limitEngine.database)
        const limit = await measure(limitEngine.database, async () => {
          await tagAllAtTheLimit(limitEngine.database, location.id, operation, ['t1', 't2'], CHUNK)
        })
        // Undo's limit is another add: put the tags back where the remove took them off.
        results.push({ op, e2e, sameSql, limit })
      }
      rss = peakRssMb(workerPid)
    } finally {
      worker.kill('SIGTERM')
      process.removeListener('exit', stopWorker)
    }
    return results.map(({ op, e2e, sameSql, limit }) => [
      dialect,
      size,
      op,
      e2e.wallS.toFixed(1),
      e2e.cpuS.toFixed(1),
      perSecond(2 * size, e2e.wallS),
      sameSql.wallS.toFixed(1),
      limit.wallS.toFixed(1),
      limit.cpuS.toFixed(1),
      perSecond(2 * size, limit.wallS),
      (limit.wallS / e2e.wallS).toFixed(2),
      (limit.cpuS / e2e.cpuS).toFixed(2),
      walPerContact(e2e, size),
      walPerContact(limit, size),
      rss.toFixed(0),
    ])
  } finally {
    await engine.dispose()
    await limitEngine.dispose()
  }
}

async function main() {
  console.log(
    `activity benchmark: all_active_contacts, add 2 tags, remove them, undo the removal; chunks of ${CHUNK}`,
  )
  console.log(`node ${process.version}, ${new Date().toISOString()}, load average ${loadAverage()}\n`)
  const rows: Array<Array<string | number>> = []
  for (const dialect of ENGINES)
    for (const size of SIZES) rows.push(...(await benchEngineSize(dialect, size)))
  console.log(
    table(
      [
        'engine',
        'contacts',
        'op',
        'e2e s',
        'e2e cpu',
        'tag-rows/s',
        'same-sql s',
        'limit s',
        'limit cpu',
        'limit rows/s',
        'ratio',
        'cpu ratio',
        'WAL B/c',
        'limit WAL B/c',
        'worker MB',
      ],
      rows,
    ),
  )
  console.log(`\nload average at the end ${loadAverage()}`)
  console.log(
    'ratio = limit / end to end (target ≥ 0.6); WAL target ≤ 1500 B per changed contact; worker MB < 300, flat',
  )
}

await main()
