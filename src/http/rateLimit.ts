import type { FastifyInstance } from 'fastify'
import { type RateLimitDecision, rateLimitHeaders } from '../domain/rateLimits.js'

/**
 * Counts every authenticated request against its token's limits and puts the HighLevel
 * rate-limit headers on the answer, errors included. Runs after the dialect's auth hook, so it
 * knows the token; requests refused for their token are not counted (there is no one to charge).
 * Each dialect supplies its own 429 body.
 */
export function registerRateLimits(
  app: FastifyInstance,
  tooManyRequests: (decision: RateLimitDecision) => Error,
): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.principal) return
    const limiter = app.rateLimiter
    const decision = await limiter.consume(request.principal.tokenId)
    reply.headers(rateLimitHeaders(limiter.policy, decision))
    if (!decision.allowed) throw tooManyRequests(decision)
  })
}
