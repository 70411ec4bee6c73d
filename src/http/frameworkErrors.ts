import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ConstantContactHttpError, sendConstantContactError } from './constantcontact/errors.js'
import { sendDashboardError } from './dashboard/errors.js'
import { HighLevelHttpError, sendHighLevelError } from './highlevel/errors.js'

function messageOf(error: FastifyError): string {
  return error.code === 'FST_ERR_BAD_URL'
    ? 'The request path is not valid URL encoding'
    : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path segment of the request is too long'
      : 'The request could not be routed'
}

/**
 * Fastify's `frameworkErrors`: failures found before routing, answered as 400 in the format of the
 * dialect whose path prefix the request has (/v3: Constant Contact; /dashboard: the dashboard's;
 * anything else: HighLevel's, which owns the unprefixed paths).
 */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const message = messageOf(error)
  const path = request.raw.url ?? ''
  if (path === '/v3' || path.startsWith('/v3/'))
    return sendConstantContactError(
      reply,
      new ConstantContactHttpError(400, [{ error_key: 'http.status.bad_request', error_message: message }]),
    )
  if (path.startsWith('/dashboard/')) return sendDashboardError(reply, 400, message)
  return sendHighLevelError(reply, new HighLevelHttpError(400, message))
}
