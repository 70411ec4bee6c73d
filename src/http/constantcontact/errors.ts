import type { ErrorObject } from 'ajv'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { RateLimitDecision } from '../../domain/rateLimits.js'
import { ServiceError, type ServiceErrorCode } from '../../services/errors.js'
import { isDatabaseUnavailable } from '../../store/database.js'
import { RETRY_AFTER_UNAVAILABLE_SECONDS } from '../unavailable.js'
import { INVALID_VALUE_MESSAGE } from '../validation.js'

/** Constant Contact's error body: a JSON array of `{error_key, error_message}`. */
export type ConstantContactError = { error_key: string; error_message: string }

export class ConstantContactHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errors: ConstantContactError[],
  ) {
    super(errors.map((e) => e.error_message).join('; '))
  }
}

const KEYS = {
  400: 'http.status.bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'http.status.not_found',
  409: 'http.status.conflict',
  415: 'http.status.unsupported_media_type',
  429: 'http.status.too_many_requests',
  500: 'http.status.internal_error',
  503: 'http.status.service_unavailable',
} as const

function single(status: keyof typeof KEYS, message: string): ConstantContactHttpError {
  return new ConstantContactHttpError(status, [{ error_key: KEYS[status], error_message: message }])
}

export const unauthorized = () => single(401, 'The access token used is invalid.')
export const forbiddenScope = () =>
  single(403, 'Forbidden request. You lack the necessary scopes (contact_data) for this request.')
export const serviceUnavailable = () =>
  single(503, 'The service is temporarily unavailable. Retry the request later.')
export const notFound = (what: string) => single(404, `${what} was not found.`)
export const conflict = (message: string) => single(409, message)
export const tooManyRequests = (decision: Pick<RateLimitDecision, 'exceeded'>) =>
  single(
    429,
    decision.exceeded === 'daily'
      ? 'Too many requests. The daily request limit of this access token is used up.'
      : 'Too many requests. The request limit of this access token per interval is used up.',
  )
export const badRequest = (problems: ReadonlyArray<{ message: string }>) =>
  new ConstantContactHttpError(
    400,
    problems.map((p) => ({ error_key: KEYS[400], error_message: p.message })),
  )

const SERVICE_STATUS: Record<ServiceErrorCode, keyof typeof KEYS> = {
  'contact-not-found': 404,
  'contact-deleted': 404,
  'contact-other-location': 404,
  'invalid-contact-id': 404,
  'duplicate-contact': 409,
  'tag-not-found': 404,
  'tag-name-taken': 409,
  'invalid-tag-name': 400,
  'invalid-activity': 400,
  'activity-not-found': 404,
  'activity-finished': 409,
  'unknown-reference': 400,
  'list-not-found': 404,
  'list-name-taken': 409,
  'invalid-list-name': 400,
  'webhook-not-found': 404,
  'invalid-webhook': 400,
  'activity-not-undoable': 409,
  'location-not-found': 404,
}

function fromServiceError(error: ServiceError): ConstantContactHttpError {
  // Ids of other tenants, malformed ids and deleted contacts all read as "not found" here.
  if (
    error.code === 'contact-not-found' ||
    error.code === 'contact-deleted' ||
    error.code === 'invalid-contact-id'
  )
    return notFound('The contact')
  if (error.code === 'duplicate-contact') return conflict('A contact with this email address already exists.')
  return single(SERVICE_STATUS[error.code], error.message)
}

function fieldPath(problem: ErrorObject, part: string): string {
  const path = problem.instancePath.replace(/^\//, '').replaceAll('/', '.')
  return path || part
}

function describe(problem: ErrorObject, part: string): string {
  const field = fieldPath(problem, part)
  const params = problem.params as Record<string, unknown>
  const annotated = (problem.parentSchema as Record<string, unknown> | undefined)?.[INVALID_VALUE_MESSAGE]
  if (typeof annotated === 'string') return `${field} ${annotated}`
  switch (problem.keyword) {
    case 'additionalProperty':
    case 'additionalProperties':
      if (part === 'querystring')
        return `query parameter ${String(params.additionalProperty)} is not supported`
      return `${field === part ? '' : `${field}.`}${String(params.additionalProperty)} is not a supported field`
    case 'required':
      return `${field === part ? '' : `${field}.`}${String(params.missingProperty)} is required`
    case 'minItems':
      return `${field} must contain at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`
    case 'maxItems':
      return `${field} must contain at most ${String(params.limit)} items`
    case 'type':
      if (field === 'body') return 'the body must be a JSON object'
      return `${field} must be ${String(params.type) === 'object' ? 'an object' : `of type ${String(params.type)}`}`
    default:
      return `${field} ${problem.message ?? 'is invalid'}`
  }
}

/**
 * A value matching none of a union's branches is one problem, not one per branch: the branches'
 * own complaints are dropped in favour of the union's.
 */
function withoutUnionBranches(problems: readonly ErrorObject[]): ErrorObject[] {
  const unions = problems.filter((p) => p.keyword === 'anyOf').map((p) => `${p.schemaPath}/`)
  return problems.filter((p) => !unions.some((prefix) => p.schemaPath.startsWith(prefix)))
}

export function sendConstantContactError(reply: FastifyReply, error: ConstantContactHttpError): FastifyReply {
  return reply.code(error.statusCode).send(error.errors)
}

/** Maps anything thrown under /v3 to Constant Contact's error array; never leaks internals. */
export function constantContactErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof ConstantContactHttpError) return sendConstantContactError(reply, error)
  if (error instanceof ServiceError) return sendConstantContactError(reply, fromServiceError(error))
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'database unavailable')
    reply.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_SECONDS))
    return sendConstantContactError(reply, serviceUnavailable())
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const part = fastifyError.validationContext ?? 'body'
    const problems = withoutUnionBranches(fastifyError.validation as ErrorObject[])
    const messages = [...new Set(problems.map((p) => describe(p, part)))]
    return sendConstantContactError(reply, badRequest(messages.map((message) => ({ message }))))
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return sendConstantContactError(reply, single(415, 'The request body must be application/json.'))
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return sendConstantContactError(
      reply,
      new ConstantContactHttpError(status, [
        { error_key: `http.status.${status}`, error_message: fastifyError.message },
      ]),
    )
  }
  request.log.error({ err: error }, 'unhandled error')
  return sendConstantContactError(reply, single(500, 'Internal server error'))
}
