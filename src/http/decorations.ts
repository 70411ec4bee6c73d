import type { Scope } from '../domain/scopes.js'
import type { Principal } from '../services/admin.js'
import type { RateLimiter } from '../services/rateLimiter.js'
import type { WebhookTargetPolicy } from '../services/webhookTargets.js'
import type { Database } from '../store/database.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The store every route works on, injected once at start (see app.ts). */
    database: Database
    /** Tells the in-process worker (if any) that an activity was queued. */
    activityQueued: () => void
    /** Per-token request counting, shared by both dialects. */
    rateLimiter: RateLimiter
    /** Which webhook URLs registration accepts (internal addresses only when the operator allows). */
    webhookTargets: WebhookTargetPolicy
  }
  interface FastifyRequest {
    /** Who the bearer token says is calling; set by the dialect's auth hook. */
    principal: Principal | null
    /** Which dashboard credential opened the request (dashboard routes only). */
    operatorCredential: string | null
    /** The Idempotency-Key this request claimed; its answer is recorded when sent. */
    idempotencyKey: string | null
  }
  interface FastifyContextConfig {
    /** The scope a token needs for this route. */
    scope?: Scope
    /** Where the route names the location it acts on; it must be the token's own. */
    locationFrom?: 'body' | 'query' | 'params'
    /** Answers by status code as the OpenAPI document shows them (documentation only, no serialiser). */
    documentedResponses?: Readonly<Record<number, unknown>>
  }
}
