/**
 * Sync bulk endpoint benchmark (not a test), two parts per engine.
 *
 * 1. Large requests: 1000 existing contacts × 3 tags, added then removed, one at a time.
 *
 *   http:   POST /contacts/bulk/tags/update/{add|remove} over loopback to the real server
 *   direct: bulkUpdateTags() on the same database in the same process — the same statements
 *           without HTTP, auth, validation or JSON
 *
 * Both run interleaved in one process against one database per engine, so the machine's state is
 * the same for both. ratio = direct p50 / http p50 (1.0 would mean HTTP costs nothing). Beside
 * the latencies: CPU per request (this process, which for http is the client as well as the
 * server, and every PostgreSQL server process), WAL bytes per changed contact on PostgreSQL, and
 * the process's peak RSS.
 *
 * 2. Small requests under concurrency (bench/smallRequests.ts): 10 clients, 10 ids × 2 tags each
 *    request, against a bare Fastify route answering the same JSON in the same run.
 *
 *   npm run bench:sync [-- --rounds 30 --small-requests 4000 --engines sqlite,postgres]
 *   (TAGBASE_BENCH_POSTGRES_URL picks the PostgreSQL server)
 */
import { parseArgs } from 'node:util'
import { buildApp } from '../src/http/app.js'
import { presentBulkTagResponse } from '../src/http/highlevel/bulkTagResponse.js'
import { createAccessToken, createLocation } from '../src/services/admin.js'
import { type BulkTagOperation, bulkUpdateTags } from '../src/services/bulkUpdateTags.js'
import { createContact } from '../src/services/contacts.js'
import { InProcessRateLimiter } from '../src/services/rateLimiter.js'
import type { DialectName } from '../src/store/database.js'
import { type BenchEngine, openBenchEngine } from './engines.js'
import { loadAverage, measure, peakRssMb, table } from './measure.js'
import { benchSmallRequests, SMALL_REQUEST_CLIENTS, type SmallRequestRun } from './smallRequests.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    'small-requests': { type: 'string', default: '4000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
  },
})
const SMALL_REQUESTS = Number(args['small-requests'])
const ENGINES = (args.engines as string).split(',') as DialectName[]
const ROUNDS = Number(args.rounds)
const WARMUP = Number(args.warmup)
const CONTACTS = 1000
const TAGS = ['bench-alpha', 'bench-beta', 'bench-gamma']

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

async function benchEngine(engine: BenchEngine) {
  const { database } = engine
  const location = await createLocation(database, 'Bench')
  const { token } = await createAccessToken(database, location.id, ['contacts.write'])
  const contactIds: string[] = []
  for (let i = 0; i < CONTACTS; i++) {
    const contact = await createContact(
      database,
      location.id,
      { firstName: `Bench${i}`, email: `bench${i}@example.com`, tags: ['existing'] },
      'bench',
    )
    contactIds.push(contact.id)
  }

  // Limits are counted as in production (in-process), but set high enough never to refuse.
  const rateLimiter = new InProcessRateLimiter({
    burstMax: 1_000_000,
    burstIntervalMs: 10_000,
    dailyMax: 1_000_000,
  })
  const app = await buildApp({ database, logger: false, rateLimiter })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const body = JSON.stringify({
    contacts: contactIds,
    tags: TAGS,
    locationId: location.id,
    removeAllTags: false,
  })

  const overHttp = async (type: BulkTagOperation) => {
    const response = await fetch(`${address}/contacts/bulk/tags/update/${type}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        version: '2021-07-28',
        'content-type': 'application/json',
      },
      body,
    })
    const result = (await response.json()) as {
      succeded?: boolean
      responses?: Array<{ tagsAdded: string[]; tagsRemoved: string[] }>
    }
    assertFullChange(type, response.status, result)
  }
  const direct = async (type: BulkTagOperation) => {
    const outcomes = await bulkUpdateTags(database, {
      locationId: location.id,
      operation: type,
      contactIds,
      tagNames: TAGS,
      removeAllTags: false,
      source: 'bench',
    })
    assertFullChange(type, 201, presentBulkTagResponse(outcomes))
  }

  const samples: Record<SampleKey, PathSamples> = {
    'http add': emptySamples(),
    'http remove': emptySamples(),
    'direct add': emptySamples(),
    'direct remove': emptySamples(),
  }
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    // Alternate which path goes first so neither always meets a freshly checkpointed/vacuumed table.
    const order = round % 2 === 0 ? (['http', 'direct'] as const) : (['direct', 'http'] as const)
    for (const path of order) {
      const run = path === 'http' ? overHttp : direct
      for (const op of ['add', 'remove'] as const) {
        const measured = await measure(database, () => run(op))
        if (round < WARMUP) continue
        const sample = samples[`${path} ${op}`]
        sample.ms.push(measured.wallS * 1000)
        sample.cpuS += measured.cpuS
        sample.walBytes += measured.walBytes ?? 0
      }
    }
  }
  await app.close()
  return samples
}

type SampleKey = `${'http' | 'direct'} ${BulkTagOperation}`
/** One path's requests: their latencies, and their CPU and WAL summed. */
type PathSamples = { ms: number[]; cpuS: number; walBytes: number }

function emptySamples(): PathSamples {
  return { ms: [], cpuS: 0, walBytes: 0 }
}

/** Every round really changes all 1000 × 3 pairs; a benchmark of no-ops would flatter us. */
function assertFullChange(type: BulkTagOperation, status: number, body: unknown) {
  const result = body as {
    succeded?: boolean
    responses?: Array<{ tagsAdded?: string[]; tagsRemoved?: string[] }>
  }
  const changed = result.responses?.every(
    (r) => (type === 'add' ? r.tagsAdded : r.tagsRemoved)?.length === TAGS.length,
  )
  if (status !== 201 || !result.succeded || result.responses?.length !== CONTACTS || !changed) {
    throw new Error(
      `bench ${type} did not change every contact: ${status} ${JSON.stringify(result).slice(0, 300)}`,
    )
  }
}

function fmt(ms: number): string {
  return ms.toFixed(1)
}

async function main() {
  console.log(
    `sync bulk benchmark: ${CONTACTS} contacts × ${TAGS.length} tags, ${ROUNDS} rounds (+${WARMUP} warm-up)`,
  )
  console.log(`node ${process.version}, ${new Date().toISOString()}, load average ${loadAverage()}\n`)
  const header = [
    'engine',
    'op',
    'http p50',
    'http p95',
    'direct p50',
    'direct p95',
    'ratio',
    'target',
    'http cpu ms',
    'direct cpu ms',
    'http WAL B/c',
    'direct WAL B/c',
  ]
  const large: string[][] = []
  const small: Array<[DialectName, { product: SmallRequestRun; bare: SmallRequestRun }]> = []
  for (const dialect of ENGINES) {
    const engine = await openBenchEngine(dialect)
    try {
      const samples = await benchEngine(engine)
      for (const op of ['add', 'remove'] as const) {
        const http = samples[`http ${op}`]
        const direct = samples[`direct ${op}`]
        const ratio = percentile(direct.ms, 50) / percentile(http.ms, 50)
        const walPerContact = (s: PathSamples) =>
          dialect === 'postgres' ? (s.walBytes / (s.ms.length * CONTACTS)).toFixed(0) : '-'
        large.push([
          dialect,
          op,
          fmt(percentile(http.ms, 50)),
          fmt(percentile(http.ms, 95)),
          fmt(percentile(direct.ms, 50)),
          fmt(percentile(direct.ms, 95)),
          ratio.toFixed(2),
          `≥ 0.8${ratio >= 0.8 ? '' : ' (below)'}`,
          fmt((http.cpuS / http.ms.length) * 1000),
          fmt((direct.cpuS / direct.ms.length) * 1000),
          walPerContact(http),
          walPerContact(direct),
        ])
      }
      if (SMALL_REQUESTS > 0) small.push([dialect, await benchSmallRequests(engine.database, SMALL_REQUESTS)])
    } finally {
      await engine.dispose()
    }
  }
  console.log(table(header, large))
  console.log(
    '\nlatencies in ms; ratio = direct p50 / http p50; cpu ms: CPU per request, this process (for http',
  )
  console.log('the client too) and PostgreSQL; WAL B/c: WAL bytes per changed contact (PostgreSQL)')
  console.log(`peak RSS ${peakRssMb().toFixed(0)} MB`)
  if (small.length === 0) return
  console.log(
    `\nsmall requests: ${SMALL_REQUESTS} requests of 10 ids × 2 tags, ${SMALL_REQUEST_CLIENTS} concurrent clients, load average ${loadAverage()}`,
  )
  const rows = small.flatMap(([dialect, { product, bare }]) => {
    const target = dialect === 'sqlite' ? 0.2 : 0.1
    const ratio = product.reqPerS / bare.reqPerS
    return [
      [dialect, 'bare', ...runCells(bare), '', ''],
      [
        dialect,
        'tagbase',
        ...runCells(product),
        ratio.toFixed(3),
        `≥ ${target}${ratio >= target ? '' : ' (below)'}`,
      ],
    ]
  })
  console.log(
    table(
      [
        'engine',
        'server',
        'req/s',
        'p50 ms',
        'p99 ms',
        'cpu ms/req',
        'db cpu ms/req',
        'WAL B/req',
        'ratio',
        'target',
      ],
      rows,
    ),
  )
  console.log(
    'cpu ms/req: server CPU per request (the API process and PostgreSQL; db: PostgreSQL alone); target p99 ≤ 50 ms',
  )
  console.log(`peak RSS of this process (the API server) ${peakRssMb().toFixed(0)} MB`)
}

function runCells(run: SmallRequestRun): string[] {
  return [
    run.reqPerS.toFixed(0),
    run.p50.toFixed(1),
    run.p99.toFixed(1),
    run.serverCpuMsPerRequest.toFixed(2),
    run.databaseCpuMsPerRequest.toFixed(2),
    run.walBytesPerRequest === null ? '-' : run.walBytesPerRequest.toFixed(0),
  ]
}

await main()
