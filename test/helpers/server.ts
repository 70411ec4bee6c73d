import type { FastifyInstance } from 'fastify'
import { isTerminalActivityState } from '../../src/domain/activities.js'
import { buildApp } from '../../src/http/app.js'
import type { DashboardOptions } from '../../src/http/dashboard/index.js'
import { issueOperatorCredential } from '../../src/services/operatorAccess.js'
import { InProcessRateLimiter, type RateLimiter } from '../../src/services/rateLimiter.js'
import type { WebhookTargetPolicy } from '../../src/services/webhookTargets.js'
import type { DialectName } from '../../src/store/database.js'
import { ActivityWorker } from '../../src/worker/activityWorker.js'
import { createTestDatabase, type TestDatabase } from './databases.js'
import { documentedAnswers } from './documentedAnswers.js'
import { makeLocation, makeToken } from './fixtures.js'
import { ALLOW_INTERNAL_TARGETS } from './targets.js'

export type TestServer = TestDatabase & {
  app: FastifyInstance
  baseUrl: string
  locationId: string
  token: string
  /** An operator token that opens the dashboard (as `tagbase serve` issues at first start). */
  operatorToken: string
  /** A second tenant, for isolation checks. */
  other: { locationId: string; token: string }
  request(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<{ status: number; body: any; headers: Headers }>
  /** The in-process activity worker, as `tagbase serve` runs one. */
  worker: ActivityWorker
  close(): Promise<void>
}

export type TestServerOptions = {
  chunkSize?: number
  /** Limits per token; generous by default so suites that send many requests are not throttled. */
  rateLimiter?: RateLimiter
  dashboard?: DashboardOptions | false
  /** Loopback webhook receivers are allowed unless a test checks the refusal. */
  webhookTargets?: WebhookTargetPolicy
}

export type RequestOptions = {
  body?: unknown
  token?: string | null
  version?: string | null
  rawBody?: string
  headers?: Record<string, string>
}

/** Polls a /v3 activity until it reaches a terminal state and returns its last answer. */
export async function finishedActivity(s: Pick<TestServer, 'request'>, activityId: string, token?: string) {
  for (let i = 0; i < 400; i++) {
    const { body } = await s.request('GET', `/v3/activities/${activityId}`, {
      version: null,
      ...(token ? { token } : {}),
    })
    if (isTerminalActivityState(body.state)) return body
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`activity ${activityId} did not finish`)
}

/** A real server on an ephemeral port over its own fresh database, with two tenants. */
export async function startTestServer(
  dialect: DialectName,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const testDb = await createTestDatabase(dialect)
  const worker = new ActivityWorker(testDb.database, { chunkSize: options.chunkSize ?? 5000, pollMs: 50 })
  const rateLimiter =
    options.rateLimiter ??
    new InProcessRateLimiter({ burstMax: 1_000_000, burstIntervalMs: 10_000, dailyMax: 1_000_000_000 })
  const app = await buildApp({
    database: testDb.database,
    onActivityQueued: () => worker.wake(),
    rateLimiter,
    webhookTargets: options.webhookTargets ?? ALLOW_INTERNAL_TARGETS,
    ...(options.dashboard !== undefined ? { dashboard: options.dashboard } : {}),
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('server did not bind a TCP port')
  const baseUrl = `http://127.0.0.1:${address.port}`
  const location = await makeLocation(testDb.database, 'Tenant A')
  // Created in different milliseconds, so oldest-first listings have one order.
  await new Promise((r) => setTimeout(r, 3))
  const otherLocation = await makeLocation(testDb.database, 'Tenant B')
  const token = await makeToken(testDb.database, location.id)
  const otherToken = await makeToken(testDb.database, otherLocation.id)
  const operatorToken = await issueOperatorCredential(testDb.database)
  worker.start()
  const answers = documentedAnswers(app)

  return {
    ...testDb,
    app,
    baseUrl,
    locationId: location.id,
    token,
    operatorToken,
    other: { locationId: otherLocation.id, token: otherToken },
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      const bearer = options.token === undefined ? token : options.token
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`
      const version = options.version === undefined ? '2021-07-28' : options.version
      if (version !== null) headers.version = version
      let payload: string | undefined
      if (options.rawBody !== undefined) payload = options.rawBody
      else if (options.body !== undefined) payload = JSON.stringify(options.body)
      if (payload !== undefined) headers['content-type'] = 'application/json'
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload })
      const text = await response.text()
      const result = { status: response.status, body: text ? JSON.parse(text) : undefined }
      answers.check(method, path, result.status, result.body)
      // Not enumerable, so assertions on {status, body} stay exact.
      return Object.defineProperty(result, 'headers', {
        value: response.headers,
        enumerable: false,
      }) as typeof result & {
        headers: Headers
      }
    },
    worker,
    async close() {
      await app.close()
      await worker.stop()
      await rateLimiter.close()
      await testDb.drop()
      // Fails the suite that received them, once everything is released.
      if (answers.mismatches.length > 0)
        throw new Error(`answers differ from the OpenAPI document:\n${answers.mismatches.join('\n')}`)
    },
  }
}
