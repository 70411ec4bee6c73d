import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifyInstance } from 'fastify'

type DocumentedRoute = { path: string; pattern: RegExp; literals: number }

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

/**
 * Holds every answer a suite receives to the OpenAPI document: when the document describes the
 * route's answer for that status, the body must match it. The answer schemas are documentation
 * only (the routes serialise as they build), so this is what keeps them true.
 */
export function documentedAnswers(app: FastifyInstance) {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
  const validators = new Map<string, ValidateFunction | null>()
  const mismatches: string[] = []
  let routes: DocumentedRoute[] | undefined
  let document: any

  const routeOf = (url: string): DocumentedRoute | undefined => {
    if (!routes) {
      document = app.swagger()
      routes = Object.keys(document.paths).map((path) => {
        const segments = withoutTrailingSlash(path).split('/')
        const pattern = segments
          .map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/')
        return {
          path,
          pattern: new RegExp(`^${pattern}$`),
          literals: segments.filter((s) => !s.startsWith('{')).length,
        }
      })
    }
    const path = withoutTrailingSlash(url.split('?')[0] as string)
    return routes.filter((r) => r.pattern.test(path)).sort((a, b) => b.literals - a.literals)[0]
  }

  return {
    mismatches,
    check(method: string, url: string, status: number, body: unknown): void {
      if (body === undefined) return
      const route = routeOf(url)
      if (!route) return
      const key = `${method.toLowerCase()} ${route.path} ${status}`
      if (!validators.has(key)) {
        const schema =
          document.paths[route.path][method.toLowerCase()]?.responses?.[String(status)]?.content?.[
            'application/json'
          ]?.schema
        validators.set(key, schema ? ajv.compile(schema) : null)
      }
      const validate = validators.get(key)
      if (validate && !validate(body))
        mismatches.push(`${key}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`)
    },
  }
}
