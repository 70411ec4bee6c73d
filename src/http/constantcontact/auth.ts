import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Principal } from '../../services/admin.js'
import { authenticateBearer } from '../bearer.js'
import { forbiddenScope, unauthorized } from './errors.js'

/** The scope every /v3 route needs, as in Constant Contact. */
export const CONTACT_DATA_SCOPE = 'contact_data'

export function accountOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized()
  return request.principal
}

/**
 * onRequest: the token (401). A Constant Contact request names no account: everything it touches
 * is the token's location, so tenants cannot reach each other.
 */
export function registerConstantContactAuth(app: FastifyInstance): void {
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    if (!(await authenticateBearer(request))) throw unauthorized()
  })
}

/**
 * onRequest, after the rate limits (so a 403 carries their headers and counts, like any answer to
 * a known token): the contact_data scope.
 */
export function registerConstantContactScopeCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!accountOf(request).scopes.has(CONTACT_DATA_SCOPE)) throw forbiddenScope()
  })
}
