import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { Gauge, Registry } from 'prom-client'
import { ACTIVITY_STATES } from '../../domain/activities.js'
import { httpRequestSeconds, httpRequests, metricsRegistry } from '../../services/metrics.js'
import type { Database } from '../../store/database.js'
import { pendingMigrations } from '../../store/migrate.js'
import {
  countActivitiesByState,
  countDeliveriesByStateEverywhere,
  oldestDueDeliveryAt,
  oldestQueuedActivityAt,
  pingDatabase,
} from '../../store/operations.js'

/**
 * Operator routes, outside both API dialects and without tokens (keep them on a private network):
 * `/healthz` (the process answers), `/readyz` (database reachable, schema current) and `/metrics`
 * (Prometheus text format). `tagbase serve` has them on its API port; `tagbase worker` on
 * METRICS_PORT when set.
 */
export const adminApi: FastifyPluginAsync = async (app) => {
  const databaseGauges = databaseMetrics(app.database)

  app.get('/healthz', { config: { documentedResponses: { 200: Healthy } } }, async () => ({ status: 'ok' }))

  app.get(
    '/readyz',
    { config: { documentedResponses: { 200: Readiness, 503: NotReady } } },
    async (_request, reply) => {
      let pending: string[]
      try {
        // A silent database must not hold a load balancer's probe past its own timeout.
        pending = await withinMs(READINESS_LIMIT_MS, async () => {
          await pingDatabase(app.database)
          return pendingMigrations(app.database)
        })
      } catch (error) {
        return reply.code(503).send({ status: 'unavailable', database: 'unreachable', error: String(error) })
      }
      if (pending.length > 0)
        return reply.code(503).send({ status: 'unavailable', database: 'ok', pendingMigrations: pending })
      return { status: 'ok', database: 'ok', pendingMigrations: [] }
    },
  )

  app.get('/metrics', async (_request, reply) => {
    const merged = Registry.merge([metricsRegistry, databaseGauges])
    return reply.type(merged.contentType).send(await merged.metrics())
  })
}

/** /readyz answers within 2 s whatever the database does. */
const READINESS_LIMIT_MS = 1500

function withinMs<T>(ms: number, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    work().then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

const Healthy = Type.Object({ status: Type.Literal('ok') }, { description: 'The process answers' })
const Readiness = Type.Object(
  {
    status: Type.Literal('ok'),
    database: Type.Literal('ok'),
    pendingMigrations: Type.Array(Type.String(), { maxItems: 0 }),
  },
  { description: 'Database reachable, schema current' },
)
const NotReady = Type.Object(
  {
    status: Type.Literal('unavailable'),
    database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
    pendingMigrations: Type.Optional(Type.Array(Type.String(), { description: 'Migrations not yet run' })),
    error: Type.Optional(Type.String()),
  },
  { description: 'Not ready: the database does not answer, or migrations are pending' },
)

/** Counts every answer by route pattern (never the raw URL: ids would explode the label set). */
export function registerRequestMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) })
    httpRequestSeconds.observe({ route, method: request.method }, reply.elapsedTime / 1000)
  })
}

/** Gauges read from the shared database when scraped, in a registry of this app's own. */
function databaseMetrics(database: Database): Registry {
  const registry = new Registry()
  new Gauge({
    name: 'tagbase_activities',
    help: 'Activities by state, all locations',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = new Map((await countActivitiesByState(database)).map((r) => [r.state, r.n]))
      for (const state of Object.values(ACTIVITY_STATES)) this.set({ state }, counts.get(state) ?? 0)
    },
  })
  new Gauge({
    name: 'tagbase_webhook_deliveries_open',
    help: 'Webhook deliveries not yet delivered or dead, by state, all locations',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = new Map((await countDeliveriesByStateEverywhere(database)).map((r) => [r.state, r.n]))
      for (const state of ['pending', 'delivering']) this.set({ state }, counts.get(state) ?? 0)
    },
  })
  new Gauge({
    name: 'tagbase_queue_lag_seconds',
    help: 'Age of the oldest waiting work: an activity not yet started, a webhook delivery past due',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const now = Date.now()
      const age = (at: string | null) => (at === null ? 0 : Math.max(0, (now - Date.parse(at)) / 1000))
      this.set({ queue: 'activities' }, age(await oldestQueuedActivityAt(database)))
      this.set({ queue: 'webhooks' }, age(await oldestDueDeliveryAt(database, new Date(now).toISOString())))
    },
  })
  return registry
}
