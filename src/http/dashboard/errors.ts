import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ServiceError, type ServiceErrorCode } from '../../services/errors.js'
import { isDatabaseUnavailable } from '../../store/database.js'
import { RETRY_AFTER_UNAVAILABLE_SECONDS } from '../unavailable.js'

/** The dashboard's own error body: Fastify's shape, which its page shows as `message`. */
export function sendDashboardError(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message })
}

const NOT_FOUND: readonly ServiceErrorCode[] = ['location-not-found', 'activity-not-found', 'tag-not-found']
// The activity is in a state that refuses the request (finished, running, already undone).
const CONFLICT: readonly ServiceErrorCode[] = ['activity-finished', 'activity-not-undoable']

function statusOf(code: ServiceErrorCode): number {
  if (NOT_FOUND.includes(code)) return 404
  return CONFLICT.includes(code) ? 409 : 400
}

export function dashboardErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof ServiceError) return sendDashboardError(reply, statusOf(error.code), error.message)
  if (isDatabaseUnavailable(error)) {
    reply.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_SECONDS))
    return sendDashboardError(reply, 503, 'The database is unavailable; retry later')
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const problems = fastifyError.validation.map(
      (p) => `${p.instancePath || fastifyError.validationContext} ${p.message}`,
    )
    return sendDashboardError(reply, 400, [...new Set(problems)].join('; '))
  }
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500)
    return sendDashboardError(reply, status, error.message)
  request.log.error({ err: error }, 'unhandled error')
  return sendDashboardError(reply, 500, 'Internal server error')
}
