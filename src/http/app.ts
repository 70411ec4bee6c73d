import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { InProcessRateLimiter, type RateLimiter } from '../services/rateLimiter.js'
import { CLOSED_WEBHOOK_TARGETS, type WebhookTargetPolicy } from '../services/webhookTargets.js'
import type { Database } from '../store/database.js'
import './decorations.js'
import { adminApi, registerRequestMetrics } from './admin/index.js'
import { constantContactApi } from './constantcontact/index.js'
import { type DashboardOptions, dashboard } from './dashboard/index.js'
import { sendFrameworkError } from './frameworkErrors.js'
import { highLevelApi } from './highlevel/index.js'
import { registerOpenApi } from './openapi.js'
import { validatorCompiler } from './validation.js'

export type AppOptions = {
  database: Database
  logger?: FastifyServerOptions['logger']
  /** Called when a route queued an activity, so an in-process worker can start at once. */
  onActivityQueued?: () => void
  /** Per-token limits; in-process with the default policy when not given. */
  rateLimiter?: RateLimiter
  /** Which webhook targets registration accepts; internal addresses are refused unless allowed. */
  webhookTargets?: WebhookTargetPolicy
  /** The operator's page at `/` (on by default); false leaves `/` unrouted. */
  dashboard?: DashboardOptions | false
}

/**
 * The official HighLevel SDK sends `Content-Type: application/json` with no body on DELETE and
 * GET; Fastify would refuse that with 400. An empty body parses as absent; anything else goes
 * through Fastify's own parser (which guards against prototype poisoning).
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    if (text === '') return done(null, undefined)
    return parseJson(request, text, done)
  })
}

/**
 * Request logs show the path with query values that carry secrets (the dashboard login link's
 * operator token) replaced, so log files never hold a credential.
 */
function withSecretsRedacted(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === false || logger === undefined || logger === true) return logger
  if (typeof logger !== 'object' || 'info' in logger) return logger
  return {
    ...logger,
    serializers: {
      req: (request: { method: string; url: string; hostname?: string }) => ({
        method: request.method,
        url: request.url.replace(/([?&]token=)[^&]*/g, '$1***'),
        hostname: request.hostname,
      }),
    },
  }
}

/** Wires the store into Fastify and mounts each API dialect; no business logic lives here. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: withSecretsRedacted(options.logger ?? false),
    // HighLevel documents some paths with a trailing slash (POST /contacts/) and clients send both.
    routerOptions: { ignoreTrailingSlash: true },
    // A full bulk request (1000 ids, 100 tags of 255 chars) is well under 1 MiB.
    bodyLimit: 1024 * 1024,
    // Errors raised before a route is found (bad %-encoding, an over-long path segment) leave in
    // the format of the dialect the path belongs to, like every other error.
    frameworkErrors: sendFrameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  acceptEmptyJsonBodies(app)
  app.decorate('database', options.database)
  app.decorate('activityQueued', options.onActivityQueued ?? (() => {}))
  app.decorate('rateLimiter', options.rateLimiter ?? new InProcessRateLimiter())
  app.decorate('webhookTargets', options.webhookTargets ?? CLOSED_WEBHOOK_TARGETS)
  registerRequestMetrics(app)
  await registerOpenApi(app)
  await app.register(adminApi)
  await app.register(constantContactApi, { prefix: '/v3' })
  await app.register(highLevelApi)
  if (options.dashboard !== false) await app.register(dashboard, options.dashboard ?? {})
  return app
}

/**
 * The operator routes alone (/healthz, /readyz, /metrics), for `tagbase worker` processes: their
 * counters (tag rows written by activities, webhook deliveries) live in the worker's memory.
 */
export async function buildOperatorApp(
  options: Pick<AppOptions, 'database' | 'logger'>,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  app.decorate('database', options.database)
  registerRequestMetrics(app)
  await app.register(adminApi)
  return app
}
