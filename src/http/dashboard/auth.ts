import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isOperatorSecret } from '../../services/operatorAccess.js'
import { sendDashboardError } from './errors.js'

const REALM = 'Basic realm="Tagbase dashboard", charset="UTF-8"'
export const OPERATOR_COOKIE = 'tagbase_operator'
export const LOGIN_PATH = '/dashboard/login'

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

function bearerSecret(header: string | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined
}

function cookieSecret(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === OPERATOR_COOKIE) return value.join('=')
  }
  return undefined
}

const LOGIN_HELP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tagbase dashboard: log in</title></head>
<body><h1>Tagbase dashboard</h1>
<p>Open the login link that <code>tagbase serve</code> printed when it first started.</p>
<p>No link at hand? Run <code>tagbase operator token</code> on the server for a new one
(earlier links stop working).</p></body></html>
`

export type DashboardCredentialOptions = {
  /** DASHBOARD_PASSWORD: HTTP Basic with this password also opens the dashboard. */
  password?: string | undefined
}

/** Which credential opened the request (for per-credential caps), or undefined. */
async function credentialOf(
  app: FastifyInstance,
  request: FastifyRequest,
  expectedPassword: Buffer | undefined,
): Promise<string | undefined> {
  const { authorization, cookie } = request.headers
  const given = basicPassword(authorization)
  if (expectedPassword && given !== undefined && timingSafeEqual(digest(given), expectedPassword))
    return 'password'
  for (const secret of [bearerSecret(authorization), cookieSecret(cookie)]) {
    if (secret && (await isOperatorSecret(app.database, secret)))
      return `operator:${digest(secret).toString('hex').slice(0, 16)}`
  }
  return undefined
}

/**
 * Every dashboard route needs a credential: an operator token (printed once by `tagbase serve`,
 * reissued by `tagbase operator token`) as a cookie set by the login link or as a Bearer header,
 * or DASHBOARD_PASSWORD over HTTP Basic when one is configured. There is no open mode.
 */
export function registerDashboardCredentials(
  app: FastifyInstance,
  options: DashboardCredentialOptions,
): void {
  const expectedPassword = options.password ? digest(options.password) : undefined
  app.decorateRequest('operatorCredential', null)
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === LOGIN_PATH) return
    const credential = await credentialOf(app, request, expectedPassword)
    if (credential) {
      request.operatorCredential = credential
      return
    }
    if (expectedPassword) reply.header('www-authenticate', REALM)
    // A person opening the page gets a page that says how to log in.
    if (request.routeOptions.url === '/' && !expectedPassword)
      return reply.code(401).type('text/html; charset=utf-8').send(LOGIN_HELP_PAGE)
    return sendDashboardError(
      reply,
      401,
      expectedPassword
        ? 'The dashboard needs its password (DASHBOARD_PASSWORD) or an operator token'
        : 'The dashboard needs an operator token: open the login link `tagbase serve` printed, or run `tagbase operator token` for a new one',
    )
  })
}

/** GET /dashboard/login?token=…: checks the operator token, keeps it in a cookie, goes to the page. */
export async function logIn(app: FastifyInstance, token: string, reply: FastifyReply, secure: boolean) {
  if (!(await isOperatorSecret(app.database, token)))
    return sendDashboardError(
      reply,
      401,
      'This login link is not valid (any more); run `tagbase operator token`',
    )
  const attributes = [
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    'Max-Age=2592000',
    ...(secure ? ['Secure'] : []),
  ]
  return reply
    .header('set-cookie', `${OPERATOR_COOKIE}=${token}; ${attributes.join('; ')}`)
    .header('cache-control', 'no-store')
    .redirect('/', 303)
}

/**
 * Requests that change something must come from the dashboard's own page: JSON bodies only (a
 * cross-site form can send text/plain or form encodings without a preflight) and, where the
 * browser says where the request comes from (Origin, Sec-Fetch-Site), from this origin.
 */
export function refuseCrossSiteWrites(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return
    const site = request.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return sendDashboardError(reply, 403, 'Cross-site requests may not change anything here')
    const origin = request.headers.origin
    if (origin !== undefined && origin !== `${request.protocol}://${request.host}`)
      return sendDashboardError(reply, 403, 'Cross-origin requests may not change anything here')
    const type = request.headers['content-type'] ?? ''
    if (!/^application\/json\s*(;|$)/i.test(type))
      return sendDashboardError(reply, 415, 'Send a JSON body (Content-Type: application/json)')
  })
}
