/**
 * SQLite row reading benchmark (not a test): what turning a statement's rows into objects costs,
 * on the product's schema, in this process.
 *
 *   better-sqlite3: the statement run in better-sqlite3's object mode, which sets each row's
 *                   properties one by one from C++ (what Kysely's driver used).
 *   tagbase:        the statement as the product runs it (store/sqliteStatements.ts): rows as
 *                   arrays, made into objects by a function compiled for the columns.
 *   arrays:         for reference, the rows as arrays alone (what neither can go below).
 *
 * Three reads of 512 contacts by id out of 20 000 (as a webhook lease's payload read does): every
 * column (28), three columns, the key alone; CPU per read, the median of five rounds taken in turn.
 * speed-up = better-sqlite3 / tagbase, same run.
 *
 *   npm run bench:sqlite-rows [-- --runs 200]
 */
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import { newFirebaseId } from '../src/domain/ids.js'
import { createLocation } from '../src/services/admin.js'
import { insertContacts } from '../src/store/contacts.js'
import { reusingPreparedStatements } from '../src/store/sqliteStatements.js'
import { openBenchEngine } from './engines.js'
import { cpuMicrosecondsPer, table } from './measure.js'

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '200' } } })
const RUNS = Number(args.runs)
const CONTACTS = 20_000
const READ = 512
const ROUNDS = 5

/** Contacts with the fields a CRM contact usually has, so the rows are not mostly nulls. */
async function seedFilledContacts(engine: Awaited<ReturnType<typeof openBenchEngine>>) {
  const location = await createLocation(engine.database, 'Bench')
  const now = new Date().toISOString()
  const ids = Array.from({ length: CONTACTS }, newFirebaseId)
  for (let start = 0; start < CONTACTS; start += 1000) {
    await insertContacts(
      engine.database,
      ids.slice(start, start + 1000).map((id, i) => ({
        location_id: location.id,
        id,
        first_name: `First${start + i}`,
        last_name: `Last${start + i}`,
        name: `First${start + i} Last${start + i}`,
        email: `contact${start + i}@example.com`,
        email_lower: `contact${start + i}@example.com`,
        phone: `+1555${String(start + i).padStart(7, '0')}`,
        company_name: 'Example Inc',
        city: 'Springfield',
        country: 'US',
        source: 'bench',
        dnd: 0,
        extra: {},
        search_text: `first${start + i} last${start + i} contact${start + i}@example.com`,
        created_at: now,
        updated_at: now,
        subscribed_at: now,
      })),
    )
  }
  return { locationId: location.id, ids }
}

/** Microseconds of CPU per call (bench/measure.ts). */
function microsecondsPer(call: () => unknown): number {
  return cpuMicrosecondsPer(call, RUNS)
}

/** Each way's median over ROUNDS rounds taken in turn, so a busy moment of the machine is shared. */
function medians(ways: ReadonlyArray<() => unknown>): number[] {
  const samples = ways.map((): number[] => [])
  for (let round = 0; round < ROUNDS; round++)
    ways.forEach((read, i) => {
      samples[i]?.push(microsecondsPer(read))
    })
  return samples.map((s) => [...s].sort((a, b) => a - b)[Math.floor(s.length / 2)] as number)
}

async function main() {
  const engine = await openBenchEngine('sqlite')
  const { locationId, ids } = await seedFilledContacts(engine)
  const path = engine.url.slice('sqlite:'.length)
  const native = new SQLite(path, { readonly: true })
  const product = reusingPreparedStatements(new SQLite(path, { readonly: true }))
  const arrays = new SQLite(path, { readonly: true })
  // Every run reads another 512 contacts, as leases do.
  const batches = Array.from({ length: 16 }, (_, b) =>
    JSON.stringify(ids.filter((_, i) => i % 16 === b).slice(0, READ)),
  )
  let next = 0
  const batch = () => batches[next++ % batches.length] as string
  const where = `where location_id = ? and id in (select value from json_each(?))`
  const reads = [
    ['every column (28)', `select * from contacts ${where}`],
    ['three columns', `select id, name, email from contacts ${where}`],
    ['the key', `select id from contacts ${where}`],
  ] as const

  console.log(
    `SQLite row benchmark: ${READ} of ${CONTACTS} contacts by id, ${RUNS} reads a round, median of ${ROUNDS}`,
  )
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`)
  const rows: string[][] = []
  for (const [name, sql] of reads) {
    const objects = native.prepare(sql)
    const ours = product.prepare(sql)
    const raw = arrays.prepare(sql).raw(true)
    const a = JSON.stringify(objects.all(locationId, batches[0]))
    if (a !== JSON.stringify(ours.all([locationId, batches[0]])))
      throw new Error(`${name}: the two reads answered differently`)
    const [slow, fast, floor] = medians([
      () => objects.all(locationId, batch()),
      () => ours.all([locationId, batch()]),
      () => raw.all(locationId, batch()),
    ]) as [number, number, number]
    rows.push([name, slow.toFixed(0), fast.toFixed(0), floor.toFixed(0), (slow / fast).toFixed(2)])
  }
  console.log(table(['read', 'better-sqlite3 µs', 'tagbase µs', 'arrays µs', 'speed-up'], rows))
  console.log('\nspeed-up = better-sqlite3 object rows / tagbase rows; CPU µs per read of 512 rows')
  native.close()
  product.close()
  arrays.close()
  await engine.dispose()
}

await main()
