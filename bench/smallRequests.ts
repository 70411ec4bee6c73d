/**
 * Small bulk requests under concurrency (not a test): 10 clients, each with one request in flight,
 * each sending `POST /contacts/bulk/tags/update/{add|remove}` for 10 of its own contacts × 2 tags
 * (every request really changes 20 tag rows), answered by the real server.
 *
 * Baseline, same run, same load generator: a bare Fastify route that parses the same JSON and
 * answers a same-shaped body without touching a database — what the framework and the loopback
 * cost. ratio = product req/s / bare req/s. Request logs are off on both servers.
 *
 * The load generator (bench/loadClient.ts) is its own process; the servers run in this one.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { buildApp } from '../src/http/app.js'
import { createAccessToken, createLocation } from '../src/services/admin.js'
import { createContact } from '../src/services/contacts.js'
import { InProcessRateLimiter } from '../src/services/rateLimiter.js'
import type { Database } from '../src/store/database.js'
import type { LoadPlan, LoadResult } from './loadClient.js'
import { measure } from './measure.js'

export const SMALL_REQUEST_CLIENTS = 10
const IDS_PER_REQUEST = 10
const TAGS = ['bench-small-a', 'bench-small-b']
const WARMUP_REQUESTS = 4000

export type SmallRequestRun = {
  reqPerS: number
  p50: number
  p99: number
  /** Server-side CPU milliseconds per request (this process, and the PostgreSQL server's). */
  serverCpuMsPerRequest: number
  /** The PostgreSQL server's part of it. */
  databaseCpuMsPerRequest: number
  walBytesPerRequest: number | null
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'loadClient.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.stdin.end(JSON.stringify(plan))
  const code = await exited
  if (code !== 0) throw new Error(`load generator exited with ${code}`)
  return JSON.parse(output) as LoadResult
}

async function measuredLoad(database: Database, plan: LoadPlan): Promise<SmallRequestRun> {
  let result: LoadResult | undefined
  const measured = await measure(database, async () => {
    result = await runLoad(plan)
  })
  if (!result) throw new Error('no load result')
  const served = result.requests + plan.warmupRequests
  return {
    reqPerS: result.requests / result.seconds,
    p50: percentile(result.latenciesMs, 50),
    p99: percentile(result.latenciesMs, 99),
    // The server's usage is measured around the load generator's warm-up too: per request served.
    serverCpuMsPerRequest: (measured.cpuS / served) * 1000,
    databaseCpuMsPerRequest: (measured.databaseCpuS / served) * 1000,
    walBytesPerRequest: measured.walBytes === null ? null : measured.walBytes / served,
  }
}

/** The same route and JSON, no database: parse the body, answer one entry per contact. */
async function bareFastify(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  app.post('/contacts/bulk/tags/update/:type', async (request, reply) => {
    const body = request.body as { contacts: string[]; tags: string[] }
    const add = (request.params as { type: string }).type === 'add'
    return reply.code(201).send({
      succeded: true,
      errorCount: 0,
      responses: body.contacts.map((contactId) => ({
        contactId,
        message: 'Tags updated',
        type: 'success',
        oldTags: add ? ['existing'] : ['existing', ...body.tags],
        tagsAdded: add ? body.tags : [],
        tagsRemoved: add ? [] : body.tags,
      })),
    })
  })
  return app
}

/**
 * Per client: add to its first 10 contacts, add to its next 10, remove from the first, remove from
 * the next; repeated, so every request changes all 20 of its tag rows.
 */
function requestsFor(locationId: string, contactIds: readonly string[]) {
  const halves = [contactIds.slice(0, IDS_PER_REQUEST), contactIds.slice(IDS_PER_REQUEST)]
  const bodyOf = (ids: readonly string[]) =>
    JSON.stringify({ contacts: ids, tags: TAGS, locationId, removeAllTags: false })
  return [
    ...halves.map((ids) => ({ path: '/contacts/bulk/tags/update/add', body: bodyOf(ids) })),
    ...halves.map((ids) => ({ path: '/contacts/bulk/tags/update/remove', body: bodyOf(ids) })),
  ]
}

export async function benchSmallRequests(
  database: Database,
  requests: number,
): Promise<{ product: SmallRequestRun; bare: SmallRequestRun }> {
  const location = await createLocation(database, 'Bench small requests')
  const { token } = await createAccessToken(database, location.id, ['contacts.write'])
  const requestsPerClient: LoadPlan['requestsPerClient'] = []
  for (let client = 0; client < SMALL_REQUEST_CLIENTS; client++) {
    const ids: string[] = []
    for (let i = 0; i < 2 * IDS_PER_REQUEST; i++) {
      const contact = await createContact(
        database,
        location.id,
        { firstName: `Small${client}-${i}`, email: `small${client}-${i}@example.com`, tags: ['existing'] },
        'bench',
      )
      ids.push(contact.id)
    }
    requestsPerClient.push(requestsFor(location.id, ids))
  }
  const headers = {
    authorization: `Bearer ${token}`,
    version: '2021-07-28',
    'content-type': 'application/json',
  }
  const rateLimiter = new InProcessRateLimiter({
    burstMax: 1_000_000_000,
    burstIntervalMs: 10_000,
    dailyMax: 1_000_000_000,
  })
  const product = await buildApp({ database, logger: false, rateLimiter })
  const bare = await bareFastify()
  const productOrigin = await product.listen({ port: 0, host: '127.0.0.1' })
  const bareOrigin = await bare.listen({ port: 0, host: '127.0.0.1' })
  try {
    // Whole rounds of four per client keep every contact's tags as they started.
    const wholeRounds = (n: number) => Math.ceil(n / (4 * SMALL_REQUEST_CLIENTS)) * 4 * SMALL_REQUEST_CLIENTS
    const plan = (origin: string): LoadPlan => ({
      origin,
      headers,
      requestsPerClient,
      requests: wholeRounds(requests),
      // Warms the generator and the server (JIT, statement caches, the pool's connections) in the
      // measured process: 200 requests in a separate process left a bare route's 4 000-request
      // run measured at a third of its warm rate (5 000 against 15 000-18 000 req/s).
      warmupRequests: wholeRounds(WARMUP_REQUESTS),
      status: 201,
    })
    const bareRun = await measuredLoad(database, plan(bareOrigin))
    const productRun = await measuredLoad(database, plan(productOrigin))
    return { product: productRun, bare: { ...bareRun, walBytesPerRequest: null } }
  } finally {
    await product.close()
    await bare.close()
  }
}
