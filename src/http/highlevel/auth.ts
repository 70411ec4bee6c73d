import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Principal } from '../../services/admin.js'
import { authenticateBearer } from '../bearer.js'
import { forbiddenLocation, forbiddenScope, HighLevelHttpError, unauthorized } from './errors.js'

export const API_VERSION = '2021-07-28'

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized()
  return request.principal
}

/** onRequest: the token (401). */
export function registerHighLevelAuth(app: FastifyInstance): void {
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    if (!(await authenticateBearer(request))) throw unauthorized()
  })
}

/**
 * onRequest, after the rate limits (so these answers carry their headers and count, like any
 * answer to a known token): the Version header (400), then the route's scope (403).
 * preHandler, once the body is parsed and validated: the location the request names must be
 * the token's (403), so no route ever reads or writes another tenant's data.
 */
export function registerHighLevelAccessChecks(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const principal = principalOf(request)
    const version = request.headers.version
    if (version !== API_VERSION) {
      throw new HighLevelHttpError(
        400,
        version === undefined
          ? `Version header is required; send Version: ${API_VERSION}`
          : `Version header must be ${API_VERSION}; got ${JSON.stringify(version)}`,
      )
    }

    const scope = request.routeOptions.config.scope
    if (scope && !principal.scopes.has(scope)) throw forbiddenScope()
  })

  app.addHook('preHandler', async (request) => {
    const from = request.routeOptions.config.locationFrom
    if (!from) return
    const source = (from === 'body' ? request.body : from === 'query' ? request.query : request.params) as
      | { locationId?: unknown }
      | undefined
    if (source?.locationId !== principalOf(request).locationId) throw forbiddenLocation()
  })
}
