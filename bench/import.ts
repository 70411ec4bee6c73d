/**
 * CSV import benchmark (not a test). A file of N rows (name, email, phone, company, 1-3 tags from
 * a few combinations, as exports from CRMs look) is imported into an empty location.
 *
 *   import:   the built `tagbase import FILE --location ID` in its own process, end to end:
 *             parse, map, upsert on email, add tags, one event per contact.
 *   reimport: the same file again: every row matches an existing contact, no tag changes.
 *   raw:      the same rows written as plain SQL from this process on the same database, 1000
 *             contacts per transaction: contacts, tag rows, one event per contact. No CSV, no
 *             lookups: the floor for what the import writes.
 *
 * ratio = raw time / import time, by wall clock and by CPU (the import's process or this one, and
 * on PostgreSQL every server process). WAL B/row = WAL bytes per imported row (PostgreSQL); import
 * MB = the import process's peak RSS.
 *
 *   npm run bench:import [-- --rows 20000 --engines sqlite,postgres]
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { newFirebaseId } from '../src/domain/ids.js'
import { createLocation } from '../src/services/admin.js'
import { insertContacts } from '../src/store/contacts.js'
import type { Database, DialectName } from '../src/store/database.js'
import { EVENT_TYPE_CODES } from '../src/store/events.js'
import { ensureTagsByName } from '../src/store/tags.js'
import { openBenchEngine } from './engines.js'
import { type Measured, measure } from './measure.js'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
  },
})
const ROWS = (args.rows as string).split(',').map(Number)
const ENGINES = (args.engines as string).split(',') as DialectName[]
const TAG_SETS = [['newsletter'], ['newsletter', 'vip'], ['webinar-2026'], ['lead', 'webinar-2026', 'vip']]
const CLI = new URL('../dist/cli.js', import.meta.url).pathname
const CHILD_USAGE = new URL('./childUsage.mjs', import.meta.url).pathname

const AREA_CODES = ['212', '312', '415', '617', '713', '206', '305', '404']

type Row = { first: string; last: string; email: string; phone: string; company: string; tags: string[] }

function makeRows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    first: `First${i}`,
    last: `Last${i}`,
    email: `person${i}@example.com`,
    // Numbers of real US area codes and exchanges (2-9 first): for the fictional 555 area code
    // every +1 country's rules were tried in turn (the phone parse took 34 µs instead of ~13),
    // which a CRM's real data does not pay.
    phone: `+1${AREA_CODES[i % AREA_CODES.length]}${2 + (i % 8)}${String(Math.floor(i / 8)).padStart(6, '0')}`,
    company: `Company ${i % 500}`,
    tags: TAG_SETS[i % TAG_SETS.length] as string[],
  }))
}

function csvOf(rows: Row[]): string {
  const lines = ['First Name,Last Name,Email,Phone,Company,Tags']
  for (const r of rows) lines.push([r.first, r.last, r.email, r.phone, r.company, r.tags.join(';')].join(','))
  return `${lines.join('\n')}\n`
}

type ImportRun = { out: string; cpuS: number; peakRssMb: number }

/** The built CLI's import in its own process; its CPU and peak RSS as it reported them on exit. */
function runImport(url: string, file: string, locationId: string, usageFile: string): Promise<ImportRun> {
  // A run that exits without reporting must not be read as the previous run's usage.
  rmSync(usageFile, { force: true })
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', CHILD_USAGE, CLI, '--json', 'import', file, '--location', locationId],
      {
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', TAGBASE_BENCH_USAGE_FILE: usageFile },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`))
        try {
          const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { cpuS: number; peakRssMb: number }
          resolve({ out: stdout, ...usage })
        } catch (unreported) {
          reject(new Error(`the import did not report its usage: ${String(unreported)}`))
        }
      },
    ),
  )
}

/** An import measured: wall clock, CPU of its process and (PostgreSQL) the server, WAL. */
async function measuredImport(
  database: Database,
  url: string,
  file: string,
  locationId: string,
  usageFile: string,
): Promise<{ run: ImportRun; measured: Measured }> {
  let run: ImportRun | undefined
  const measured = await measure(database, async () => {
    run = await runImport(url, file, locationId, usageFile)
  })
  const done = run as ImportRun
  // measure counted this process (waiting) and the server; the import's own process is added.
  return { run: done, measured: { ...measured, cpuS: measured.cpuS + done.cpuS } }
}

/**
 * The import's writes as plain SQL: 1000 contacts per transaction with their tag rows and events,
 * the same events the import writes (a ContactCreate and a ContactTagUpdate per new contact).
 */
async function rawWrites(database: Database, locationId: string, rows: Row[]): Promise<number> {
  const started = performance.now()
  const now = new Date().toISOString()
  const names = [...new Set(TAG_SETS.flat())]
  const tags = new Map((await ensureTagsByName(database, locationId, names, now)).map((t) => [t.name, t.id]))
  for (let start = 0; start < rows.length; start += 1000) {
    const slice = rows.slice(start, start + 1000).map((r) => ({ ...r, id: newFirebaseId() }))
    await database.transaction(async (tx) => {
      await insertContacts(
        tx,
        slice.map((r) => ({
          location_id: locationId,
          id: r.id,
          first_name: r.first,
          last_name: r.last,
          name: `${r.first} ${r.last}`,
          email: r.email,
          email_lower: r.email,
          phone: r.phone,
          company_name: r.company,
          dnd: 0,
          extra: {},
          search_text: `${r.first} ${r.last} ${r.email} ${r.phone} ${r.company}`.toLowerCase(),
          source: 'bench',
          created_at: now,
          updated_at: now,
          subscribed_at: now,
        })),
      )
      await tx.kysely
        .insertInto('contact_tags')
        .values(
          slice.flatMap((r) =>
            r.tags.map((t) => ({
              location_id: locationId,
              contact_id: r.id,
              tag_id: tags.get(t) as string,
            })),
          ),
        )
        .execute()
      await tx.kysely
        .insertInto('events')
        .values(
          slice.flatMap((r) => [
            {
              location_id: locationId,
              contact_id: r.id,
              type: EVENT_TYPE_CODES.ContactCreate,
              tags_added: '[]',
              tags_removed: '[]',
              source: 'bench',
              created_at: now,
            },
            {
              location_id: locationId,
              contact_id: r.id,
              type: EVENT_TYPE_CODES.ContactTagUpdate,
              tags_added: JSON.stringify(r.tags),
              tags_removed: '[]',
              source: 'bench',
              created_at: now,
            },
          ]),
        )
        .execute()
    })
  }
  return (performance.now() - started) / 1000
}

const pad = (v: string | number, n: number) => String(v).padStart(n)
console.log(
  [
    pad('engine', 8),
    pad('rows', 7),
    pad('import s', 9),
    pad('cpu s', 6),
    pad('rows/s', 7),
    pad('reimport s', 11),
    pad('rows/s', 7),
    pad('raw s', 7),
    pad('cpu s', 6),
    pad('raw rows/s', 11),
    pad('ratio', 6),
    pad('cpu ratio', 9),
    pad('WAL B/row', 9),
    pad('raw WAL B/row', 13),
    pad('import MB', 9),
  ].join(' '),
)
const dir = mkdtempSync(join(tmpdir(), 'tagbase-bench-import-'))
try {
  for (const n of ROWS) {
    const rows = makeRows(n)
    const file = join(dir, `contacts-${n}.csv`)
    writeFileSync(file, csvOf(rows))
    for (const dialect of ENGINES) {
      const engine = await openBenchEngine(dialect)
      try {
        const target = await createLocation(engine.database, 'import')
        const usageFile = join(dir, 'usage.json')
        const first = await measuredImport(engine.database, engine.url, file, target.id, usageFile)
        const created = JSON.parse(first.run.out).created
        if (created !== n) throw new Error(`expected ${n} contacts created, got ${first.run.out}`)
        const again = await measuredImport(engine.database, engine.url, file, target.id, usageFile)
        if (JSON.parse(again.run.out).updated !== n)
          throw new Error(`expected ${n} updated, got ${again.run.out}`)
        const rawLocation = await createLocation(engine.database, 'raw')
        const raw = await measure(engine.database, async () => {
          await rawWrites(engine.database, rawLocation.id, rows)
        })
        const walPerRow = (m: Measured) => (m.walBytes === null ? '-' : Math.round(m.walBytes / n))
        const imported = first.measured
        console.log(
          [
            pad(dialect, 8),
            pad(n, 7),
            pad(imported.wallS.toFixed(1), 9),
            pad(imported.cpuS.toFixed(1), 6),
            pad(Math.round(n / imported.wallS), 7),
            pad(again.measured.wallS.toFixed(1), 11),
            pad(Math.round(n / again.measured.wallS), 7),
            pad(raw.wallS.toFixed(1), 7),
            pad(raw.cpuS.toFixed(1), 6),
            pad(Math.round(n / raw.wallS), 11),
            pad((raw.wallS / imported.wallS).toFixed(2), 6),
            pad((raw.cpuS / imported.cpuS).toFixed(2), 9),
            pad(walPerRow(imported), 9),
            pad(walPerRow(raw), 13),
            pad(Math.max(first.run.peakRssMb, again.run.peakRssMb).toFixed(0), 9),
          ].join(' '),
        )
      } finally {
        await engine.dispose()
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
