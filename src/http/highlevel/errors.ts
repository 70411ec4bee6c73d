import { STATUS_CODES } from 'node:http'
import type { ErrorObject } from 'ajv'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { RateLimitDecision } from '../../domain/rateLimits.js'
import { ServiceError, type ServiceErrorCode } from '../../services/errors.js'
import { isDatabaseUnavailable } from '../../store/database.js'
import { RETRY_AFTER_UNAVAILABLE_SECONDS } from '../unavailable.js'
import { TOO_MANY_ITEMS_HINT } from '../validation.js'

/**
 * HighLevel's error body: `{statusCode, message, error}`, NestJS style. 422 answers list every
 * problem in `message`; other statuses carry one sentence.
 */
export type HighLevelErrorBody = {
  statusCode: number
  message: string | string[]
  error?: string
  [extra: string]: unknown
}

export class HighLevelHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly messages: string | string[],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(Array.isArray(messages) ? messages.join('; ') : messages)
  }

  body(): HighLevelErrorBody {
    return {
      statusCode: this.statusCode,
      message: this.messages,
      error: statusText(this.statusCode),
      ...this.extra,
    }
  }
}

export const unauthorized = () => new HighLevelHttpError(401, 'Invalid token: access token is invalid')
export const forbiddenLocation = () =>
  new HighLevelHttpError(403, 'The token does not have access to this location.')
export const forbiddenScope = () => new HighLevelHttpError(403, 'The token is not authorized for this scope.')
export const serviceUnavailable = () =>
  new HighLevelHttpError(503, 'The service is temporarily unavailable; retry the request later')
export const unprocessable = (messages: string[]) => new HighLevelHttpError(422, messages)
export const tooManyRequests = (decision: Pick<RateLimitDecision, 'exceeded'>) =>
  new HighLevelHttpError(
    429,
    decision.exceeded === 'daily'
      ? 'Too many requests: the daily request limit of this token is used up'
      : 'Too many requests: the burst request limit of this token is used up; retry after the interval',
  )

function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Error'
}

const SERVICE_STATUS: Record<ServiceErrorCode, number> = {
  'contact-not-found': 400,
  'contact-deleted': 400,
  'contact-other-location': 400,
  'invalid-contact-id': 400,
  'duplicate-contact': 400,
  'tag-not-found': 400,
  'tag-name-taken': 400,
  'invalid-tag-name': 422,
  // Activities belong to the Constant Contact dialect; listed so every code has a status.
  'invalid-activity': 400,
  'activity-not-found': 404,
  'activity-finished': 400,
  'unknown-reference': 400,
  'list-not-found': 404,
  'list-name-taken': 400,
  'invalid-list-name': 422,
  'webhook-not-found': 404,
  'invalid-webhook': 422,
  'activity-not-undoable': 400,
  'location-not-found': 400,
}

function fromServiceError(error: ServiceError): HighLevelHttpError {
  const status = SERVICE_STATUS[error.code]
  if (status === 422) return unprocessable([error.message])
  return new HighLevelHttpError(
    status,
    error.message,
    Object.keys(error.details).length ? { meta: error.details } : {},
  )
}

function fieldName(path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.')
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  array: 'an array',
  boolean: 'a boolean value',
  number: 'a number',
  integer: 'an integer number',
  object: 'an object',
}

/** One class-validator style sentence per schema violation, the wording HighLevel's API uses. */
export function describeValidationProblem(problem: ErrorObject, part: string): string {
  const path = fieldName(problem.instancePath)
  const arrayItem = /^(.*)\.(\d+)$/.exec(path)
  const subject = arrayItem
    ? `each value in ${arrayItem[1]}`
    : path || (part === 'body' ? 'request body' : part)
  const params = problem.params as Record<string, unknown>
  switch (problem.keyword) {
    case 'additionalProperties':
      return part === 'querystring'
        ? `query parameter ${String(params.additionalProperty)} is not supported`
        : `property ${[path, params.additionalProperty].filter(Boolean).join('.')} should not exist`
    case 'required': {
      const missing = [path, params.missingProperty].filter(Boolean).join('.')
      return `${missing} should not be empty`
    }
    case 'type':
      return `${subject} must be ${TYPE_WORDS[String(params.type)] ?? String(params.type)}`
    case 'minItems':
      return `${subject} must contain at least ${params.limit} elements`
    case 'maxItems': {
      const hint = (problem.parentSchema as Record<string, unknown> | undefined)?.[TOO_MANY_ITEMS_HINT]
      return `${subject} must contain no more than ${params.limit} elements${hint ? `; ${hint}` : ''}`
    }
    case 'minLength':
      return params.limit === 1
        ? `${subject} should not be empty`
        : `${subject} must be longer than or equal to ${params.limit} characters`
    case 'maxLength':
      return `${subject} must be shorter than or equal to ${params.limit} characters`
    case 'enum': {
      const allowed = params.allowedValues as unknown[]
      // Quote strings only when the enum mixes types (true vs "true"), so plain enums read naturally.
      const mixed = allowed.some((v) => typeof v !== 'string')
      const shown = allowed.map((v) => (mixed && typeof v === 'string' ? JSON.stringify(v) : String(v)))
      return `${subject} must be one of the following values: ${shown.join(', ')}`
    }
    case 'minimum':
      return `${subject} must not be less than ${params.limit}`
    case 'maximum':
      return `${subject} must not be greater than ${params.limit}`
    default:
      return `${subject} ${problem.message ?? 'is invalid'}`
  }
}

export function sendHighLevelError(reply: FastifyReply, error: HighLevelHttpError): FastifyReply {
  return reply.code(error.statusCode).send(error.body())
}

/** Maps anything thrown under the HighLevel routes to HighLevel's error body; never leaks internals. */
export function highLevelErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof HighLevelHttpError) return sendHighLevelError(reply, error)
  if (error instanceof ServiceError) return sendHighLevelError(reply, fromServiceError(error))
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'database unavailable')
    reply.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_SECONDS))
    return sendHighLevelError(reply, serviceUnavailable())
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const part = fastifyError.validationContext ?? 'body'
    const messages = [
      ...new Set(fastifyError.validation.map((p) => describeValidationProblem(p as ErrorObject, part))),
    ]
    return sendHighLevelError(reply, unprocessable(messages))
  }
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return sendHighLevelError(reply, new HighLevelHttpError(status, fastifyError.message))
  }
  request.log.error({ err: error }, 'unhandled error')
  return sendHighLevelError(reply, new HighLevelHttpError(500, 'Internal server error'))
}
