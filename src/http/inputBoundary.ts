import type { FastifyInstance, FastifyRequest } from 'fastify'
import { findUnstorableInput } from '../domain/text.js'

/** Where in the request an unusable value was found, for the dialect's error message. */
export type InputProblem = {
  part: 'body' | 'query' | 'path' | 'header'
  field: string
  reason: 'text' | 'depth'
}

const HEADERS_USED_AS_KEYS = ['idempotency-key'] as const

export function describeInputProblem(problem: InputProblem): string {
  const where = problem.part === 'body' ? problem.field || 'request body' : `${problem.part} ${problem.field}`
  return problem.reason === 'depth'
    ? `${where} is nested too deeply`
    : `${where} must not contain NUL characters or unpaired UTF-16 surrogates`
}

function firstProblem(request: FastifyRequest): InputProblem | undefined {
  for (const [part, value] of [
    ['path', request.params],
    ['query', request.query],
    ['body', request.body],
  ] as const) {
    const found = findUnstorableInput(value)
    if (found) return { part, field: found.path, reason: found.reason }
  }
  for (const name of HEADERS_USED_AS_KEYS) {
    const found = findUnstorableInput(request.headers[name])
    if (found) return { part: 'header', field: name, reason: found.reason }
  }
  return undefined
}

/**
 * Refuses, before validation and before any store call, text that the two engines would store
 * differently (or PostgreSQL not at all), so both answer the same 4xx in the dialect's format.
 */
export function registerInputBoundary(app: FastifyInstance, refuse: (problem: InputProblem) => Error): void {
  app.addHook('preValidation', async (request) => {
    const problem = firstProblem(request)
    if (problem) throw refuse(problem)
  })
}

/**
 * Every route refuses query parameters it does not declare (400/422 in its dialect), instead of
 * ignoring them: a filter the caller believes applied but was not gives silently wrong answers.
 * Routes without a query schema get an empty one.
 */
export function refuseUndeclaredQueryParameters(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.schema ??= {}
    const schema = route.schema as { querystring?: Record<string, unknown> }
    if (!schema.querystring)
      schema.querystring = { type: 'object', properties: {}, additionalProperties: false }
    else if (schema.querystring.additionalProperties === undefined)
      schema.querystring = { ...schema.querystring, additionalProperties: false }
  })
}
