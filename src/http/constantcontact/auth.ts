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
 * onRequest: token (401), then the contact_data scope (403). A Constant Contact request names no
 * account: everything it touches is the token's location, so tenants cannot reach each other.
 */
export function registerConstantContactAuth(app: FastifyInstance): void {
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    const principal = await authenticateBearer(request)
    if (!principal) throw unauthorized()
    if (!principal.scopes.has(CONTACT_DATA_SCOPE)) throw forbiddenScope()
  })
}
