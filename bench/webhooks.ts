/**
 * Webhook delivery benchmark (not a test): N contacts get a tag through an activity, so N
 * ContactTagUpdate events are queued for one registered webhook; then the clock runs.
 *
 *   end to end: a WebhookDeliveryWorker (16 in flight, 16 per endpoint) leases, builds (event,
 *               contact, tags as of the event), signs and POSTs each delivery to a local receiver
 *               answering 200, and records the outcome; the clock stops when none is pending.
 *   raw:        the same number of POSTs of a payload of the same size, signed with the same
 *               key, 16 in flight, from this process to the same receiver, with the cheapest
 *               client the worker could use (undici's `request`, as it does): no database at all.
 *
 * ratio = raw time / end-to-end time: the share of delivery cost that is the HTTP request itself;
 * by wall clock and by CPU (this process, worker and receiver, and every PostgreSQL process).
 *
 *   npm run bench:webhooks [-- --sizes 20000 --engines sqlite,postgres]
 */
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { createTaggingActivity } from '../src/services/activities.js'
import { createLocation } from '../src/services/admin.js'
import { type WebhookSigner, webhookSigner } from '../src/services/webhookDelivery.js'
import { registerWebhook } from '../src/services/webhooks.js'

// The benchmark's receiver listens on loopback.
const ALLOW_INTERNAL_TARGETS = { allowInternal: true }

import { highLevelContactTagUpdate } from '../src/http/highlevel/webhookPayload.js'
import type { DialectName } from '../src/store/database.js'
import { ensureTagsByName } from '../src/store/tags.js'
import { countDeliveriesByState } from '../src/store/webhookDeliveries.js'
import { ActivityWorker } from '../src/worker/activityWorker.js'
import { WebhookDeliveryWorker } from '../src/worker/webhookWorker.js'
import { seedContacts } from '../test/helpers/seed.js'
import { openBenchEngine } from './engines.js'
import { type Measured, measure, peakRssMb } from './measure.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
  },
})
const SIZES = (args.sizes as string).split(',').map(Number)
const ENGINES = (args.engines as string).split(',') as DialectName[]
const IN_FLIGHT = 16

async function startReceiver() {
  let received = 0
  let lastBody = ''
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => {
      received += 1
      lastBody = Buffer.concat(chunks).toString('utf8')
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    received: () => received,
    lastBody: () => lastBody,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function rawPosts(url: string, body: string, count: number, sign: WebhookSigner) {
  const started = performance.now()
  let next = 0
  async function lane() {
    while (next < count) {
      next += 1
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ghl-signature': await sign(body) },
        body,
      })
      await response.body.dump()
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  return (performance.now() - started) / 1000
}

function row(cells: Array<string | number>): string {
  return cells.map((c, i) => String(c).padStart(i < 2 ? 9 : 12)).join(' ')
}

async function main() {
  console.log(`webhook delivery benchmark: one endpoint answering 200, ${IN_FLIGHT} in flight`)
  console.log(`node ${process.version}, ${new Date().toISOString()}\n`)
  console.log(
    row([
      'engine',
      'events',
      'e2e s',
      'deliveries/s',
      'cpu ms/d',
      'db ms/d',
      'raw s',
      'raw posts/s',
      'raw cpu ms/p',
      'ratio wall',
      'ratio cpu',
      'WAL B/d',
    ]),
  )
  for (const dialect of ENGINES) {
    for (const size of SIZES) {
      const engine = await openBenchEngine(dialect)
      const receiver = await startReceiver()
      try {
        const { database } = engine
        const location = await createLocation(database, 'Bench')
        const webhook = await registerWebhook(
          database,
          location.id,
          { url: receiver.url },
          ALLOW_INTERNAL_TARGETS,
        )
        await seedContacts(database, location.id, size)
        const [tag] = await ensureTagsByName(database, location.id, ['bench-hook'], new Date().toISOString())
        // Queue the events (not timed): one activity over every contact.
        const activities = new ActivityWorker(database, { pollMs: 20 })
        await createTaggingActivity(database, location.id, {
          kind: 'contacts_taggings_add',
          selector: { kind: 'all_active_contacts', excludeContactIds: [] },
          tagIds: [tag?.id as string],
        })
        while (await activities.runOne()) {}

        const worker = new WebhookDeliveryWorker(database, {
          payload: highLevelContactTagUpdate,
          concurrency: IN_FLIGHT,
          perEndpoint: IN_FLIGHT,
          pollMs: 20,
          targets: ALLOW_INTERNAL_TARGETS,
        })
        const delivered = await measure(database, async () => {
          worker.start()
          // Watched at the receiver until every POST arrived: counting the queue every 50 ms cost
          // the database ~9 ms a time (15% of the run's statement time on PostgreSQL).
          while (receiver.received() < size) await new Promise((r) => setTimeout(r, 20))
          for (;;) {
            const counts = await countDeliveriesByState(database, location.id, webhook.id)
            if (counts.pending + counts.delivering === 0) break
            await new Promise((r) => setTimeout(r, 5))
          }
        })
        await worker.stop()
        if (receiver.received() !== size) throw new Error(`receiver got ${receiver.received()} of ${size}`)

        const sign = await webhookSigner(database)
        const raw = await measure(database, async () => {
          await rawPosts(receiver.url, receiver.lastBody(), size, sign)
        })
        const cpuMsPer = (m: Measured) => ((m.cpuS / size) * 1000).toFixed(2)
        console.log(
          row([
            dialect,
            size,
            delivered.wallS.toFixed(1),
            Math.round(size / delivered.wallS),
            cpuMsPer(delivered),
            ((delivered.databaseCpuS / size) * 1000).toFixed(2),
            raw.wallS.toFixed(1),
            Math.round(size / raw.wallS),
            cpuMsPer(raw),
            (raw.wallS / delivered.wallS).toFixed(2),
            (raw.cpuS / delivered.cpuS).toFixed(2),
            delivered.walBytes === null ? '-' : Math.round(delivered.walBytes / size),
          ]),
        )
        console.log(`  peak RSS ${peakRssMb().toFixed(0)} MB`)
      } finally {
        await receiver.close()
        await engine.dispose()
      }
    }
  }
  console.log(
    '\nratio = raw / end-to-end, wall time and CPU (1.00 = delivery costs no more than the POST itself)',
  )
  console.log(
    'cpu ms/d: CPU per delivery, this process (worker and receiver) and PostgreSQL; db: PostgreSQL alone',
  )
  console.log('WAL B/d: WAL bytes per delivery (PostgreSQL: claim, record, the endpoint lease)')
}

await main()
