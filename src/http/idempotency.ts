import type { FastifyInstance } from 'fastify'
import { beginIdempotentRequest, completeIdempotentRequest } from '../services/idempotency.js'

export type IdempotencyErrors = {
  /** The key was used before with another request (422). */
  mismatch(): Error
  /** The first request with the key has not answered yet and the wait ran out (409). */
  busy(): Error
}

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its answer (status and body)
 * is recorded; repeats with the same request get that answer replayed for 24 h without being
 * applied again, concurrent repeats wait for it. Runs after authentication and the location
 * check, so keys are per tenant. Each dialect supplies its own error shapes.
 */
export function registerIdempotencyKeys(app: FastifyInstance, errors: IdempotencyErrors): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return
    const key = request.headers['idempotency-key']
    if (typeof key !== 'string' || key.length === 0 || !request.principal) return
    const { locationId } = request.principal
    const decision = await beginIdempotentRequest(app.database, locationId, key, {
      method: request.method,
      path: request.url,
      body: request.body,
    })
    if (decision.kind === 'mismatch') throw errors.mismatch()
    if (decision.kind === 'busy') throw errors.busy()
    if (decision.kind === 'replay') {
      return reply
        .code(decision.status)
        .header('content-type', 'application/json; charset=utf-8')
        .header('idempotent-replayed', 'true')
        .send(decision.response)
    }
    request.idempotencyKey = key
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey
    if (!key || !request.principal) return payload
    request.idempotencyKey = null
    await completeIdempotentRequest(app.database, request.principal.locationId, key, {
      status: reply.statusCode,
      response: typeof payload === 'string' ? payload : '',
    })
    return payload
  })
}
