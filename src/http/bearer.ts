import type { FastifyRequest } from 'fastify'
import { authenticate, type Principal } from '../services/admin.js'

/** The secret of an `Authorization: Bearer <token>` header, as both dialects send it. */
function bearerSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  return (header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null)?.[1]
}

/**
 * Who the request's bearer token says is calling, recorded on the request; undefined for a
 * missing, malformed, unknown or revoked token (each dialect answers that in its own words).
 */
export async function authenticateBearer(request: FastifyRequest): Promise<Principal | undefined> {
  const secret = bearerSecret(request)
  const principal = secret ? await authenticate(request.server.database, secret) : undefined
  if (principal) request.principal = principal
  return principal
}
