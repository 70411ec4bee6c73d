import type { FastifyRequest } from 'fastify'

/** The secret of an `Authorization: Bearer <token>` header, as both dialects send it. */
export function bearerSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  return (header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null)?.[1]
}
