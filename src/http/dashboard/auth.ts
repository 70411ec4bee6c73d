import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sendDashboardError } from './errors.js'

const REALM = 'Basic realm="Tagbase dashboard", charset="UTF-8"'

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** The password of an `Authorization: Basic` header (any user name), undefined when absent or malformed. */
function basicPassword(header: string | undefined): string | undefined {
  const encoded = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1] : undefined
  if (!encoded) return undefined
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? undefined : decoded.slice(colon + 1)
}

/**
 * HTTP Basic authentication for every dashboard route when a password is configured: the browser
 * asks once and resends it, EventSource included. Compared as digests, in constant time.
 */
export function registerDashboardPassword(app: FastifyInstance, password: string): void {
  const expected = digest(password)
  app.addHook('onRequest', async (request, reply) => {
    const given = basicPassword(request.headers.authorization)
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return
    reply.header('www-authenticate', REALM)
    return sendDashboardError(reply, 401, 'The dashboard needs its password (DASHBOARD_PASSWORD)')
  })
}
