import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/databases.js'
import { makeContact } from '../helpers/fixtures.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { seededRandom } from '../helpers/webhookReceiver.js'

/**
 * A seeded fuzzer over every operation of /openapi.json in both dialects: bodies generated from
 * each operation's schema and then broken (wrong types, missing fields, huge arrays, deep nesting,
 * NUL and odd unicode, duplicate keys, invalid JSON, wrong Content-Type), path ids and query values
 * malformed, unknown parameters added, huge and negative limits. No answer may be a 5xx, every
 * error must be in its dialect's format, and the server must be healthy afterwards.
 * FUZZ_REQUESTS and FUZZ_SEED change the run (CI: 5000 per engine, seed 1).
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000)
const SEED = Number(process.env.FUZZ_SEED ?? 1)
const CONCURRENCY = 8

type Schema = Record<string, any>
type Operation = {
  method: string
  path: string
  parameters: Array<{ in: string; name: string; schema?: Schema }>
  body?: Schema
}

const ODD_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfff',
  '😀'.repeat(3),
  '\u202e\u200b\ufeff',
  'ǅ̈̈̈̈̈̈̈',
  '../../etc/passwd',
  "'; drop table contacts; --",
  '%00',
  '%zz',
  '{"$ne":null}',
  '__proto__',
  'constructor',
  '9'.repeat(40),
  '-1',
  'null',
  'x'.repeat(5000),
  '\\u0000',
  '<script>alert(1)</script>',
]

class Fuzzer {
  constructor(
    private readonly random: () => number,
    private readonly pools: { ids: string[]; locationId: string },
  ) {}

  int(max: number): number {
    return Math.floor(this.random() * max)
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T
  }
  chance(p: number): boolean {
    return this.random() < p
  }

  oddString(): string {
    return this.pick(ODD_STRINGS)
  }

  /** A plausible value for `schema`, with occasional oddities inside. */
  valid(schema: Schema | undefined, depth = 0): unknown {
    if (!schema) return this.oddValue(depth)
    if (schema.const !== undefined) return schema.const
    if (schema.enum) return this.pick(schema.enum)
    const union = schema.anyOf ?? schema.oneOf
    if (union) return this.valid(this.pick(union), depth)
    if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: Schema) => this.valid(s, depth)))
    const type = Array.isArray(schema.type) ? this.pick(schema.type) : schema.type
    switch (type) {
      case 'object': {
        const result: Record<string, unknown> = {}
        for (const [key, property] of Object.entries<Schema>(schema.properties ?? {}))
          if ((schema.required ?? []).includes(key) || this.chance(0.6))
            result[key] = this.valid(property, depth + 1)
        return result
      }
      case 'array': {
        const length = Math.min(schema.maxItems ?? 5, Math.max(schema.minItems ?? 0, this.int(4)))
        return Array.from({ length }, () => this.valid(schema.items, depth + 1))
      }
      case 'string': {
        if (this.chance(0.1)) return this.oddString()
        if (schema.format === 'email' || /@/.test(schema.pattern ?? ''))
          return `f${this.int(1e6)}@example.com`
        if (schema.format === 'date-time') return new Date(this.int(2e12)).toISOString()
        if (this.chance(0.4)) return this.pick(this.pools.ids)
        return `v${this.int(1e6)}`
      }
      case 'integer':
        return this.chance(0.1) ? this.pick([-1, 0, 1e12, 2 ** 53]) : (schema.minimum ?? 0) + this.int(50)
      case 'number':
        return this.random() * 100
      case 'boolean':
        return this.chance(0.5)
      case 'null':
        return null
      default:
        return this.oddValue(depth)
    }
  }

  oddValue(depth = 0): unknown {
    switch (this.int(10)) {
      case 0:
        return null
      case 1:
        return this.int(3) - 1
      case 2:
        return this.chance(0.5)
      case 3:
        return depth > 3 ? [] : [this.oddValue(depth + 1)]
      case 4:
        return depth > 3 ? {} : { [this.oddString()]: this.oddValue(depth + 1) }
      case 5:
        return 1e308
      default:
        return this.oddString()
    }
  }

  deep(levels: number): unknown {
    let value: unknown = 'x'
    for (let i = 0; i < levels; i++) value = this.chance(0.5) ? [value] : { a: value }
    return value
  }

  /** Breaks a generated body in one of many ways. */
  mutate(body: unknown): unknown {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return this.oddValue()
    const copy = { ...(body as Record<string, unknown>) }
    const keys = Object.keys(copy)
    switch (this.int(8)) {
      case 0:
        if (keys.length) delete copy[this.pick(keys)]
        break
      case 1:
        if (keys.length) copy[this.pick(keys)] = this.oddValue()
        break
      case 2:
        if (keys.length)
          copy[this.pick(keys)] = Array.from({ length: 1000 + this.int(1500) }, () => this.oddString())
        break
      case 3:
        copy[this.pick(keys.length ? keys : ['x'])] = this.deep(50 + this.int(200))
        break
      case 4:
        copy[this.oddString()] = this.oddValue()
        break
      case 5:
        return this.pick([[], 'text', 42, null, true])
      case 6:
        if (keys.length) copy[this.pick(keys)] = this.oddString()
        break
      default:
        if (keys.length) copy[this.pick(keys)] = { nested: this.oddValue() }
    }
    return copy
  }

  pathValue(name: string): string {
    const roll = this.int(10)
    if (name === 'locationId' && roll < 6) return this.pools.locationId
    if (roll < 5) return this.pick(this.pools.ids)
    if (roll === 5) return encodeOdd(this.oddString())
    if (roll === 6) return this.pick(['%zz', '%', '%c3%28', '%ed%a0%80', '%00'])
    if (roll === 7) return 'a'.repeat(80 + this.int(300))
    return encodeURIComponent(`id${this.int(1000)}`)
  }

  queryValue(schema: Schema | undefined): string {
    const roll = this.int(10)
    if (roll < 5) {
      const value = this.valid(schema)
      return typeof value === 'string' ? value : JSON.stringify(value)
    }
    if (roll < 7) return this.pick(['-1', '0', '100000000000', '1e400', 'NaN', 'true', '[]', 'AA', '!!!'])
    return this.oddString()
  }
}

/** encodeURIComponent, with lone surrogates sent as the WTF-8 bytes a hostile client would send. */
function encodeOdd(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return text
      .replace(/[\ud800-\udfff]/g, '\u0000')
      .split('\u0000')
      .map(encodeURIComponent)
      .join('%ED%A0%80')
  }
}

function isDialectError(path: string, body: unknown): boolean {
  if (path.startsWith('/v3')) {
    return (
      Array.isArray(body) &&
      body.length > 0 &&
      body.every((e) => typeof e?.error_key === 'string' && typeof e?.error_message === 'string')
    )
  }
  const b = body as { statusCode?: unknown; message?: unknown } | undefined
  return (
    typeof b?.statusCode === 'number' &&
    (typeof b.message === 'string' ||
      (Array.isArray(b.message) && b.message.every((m) => typeof m === 'string')))
  )
}

function operationsOf(doc: any): Operation[] {
  const operations: Operation[] = []
  for (const [path, methods] of Object.entries<any>(doc.paths)) {
    if (!path.startsWith('/v3') && !path.startsWith('/contacts') && !path.startsWith('/locations')) continue
    for (const [method, op] of Object.entries<any>(methods)) {
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
      })
    }
  }
  return operations
}

for (const dialect of DIALECTS) {
  describe(`fuzzing every API operation on ${dialect}`, () => {
    let s: TestServer
    beforeAll(async () => {
      s = await startTestServer(dialect, { chunkSize: 200 })
    })
    afterAll(() => s.close())

    it(`sends ${REQUESTS} seeded broken requests: no 5xx, every error in its dialect's format, healthy after`, async () => {
      const ids: string[] = [s.other.locationId]
      for (let i = 0; i < 5; i++) ids.push(await makeContact(s.database, s.locationId, ['fuzz']))
      const tag = await s.request('POST', '/v3/contact_tags', { body: { name: 'fuzz-tag' } })
      const list = await s.request('POST', '/v3/contact_lists', { body: { name: 'fuzz-list' } })
      ids.push(tag.body.tag_id, list.body.list_id)
      const operations = operationsOf((await s.request('GET', '/openapi.json', { token: null })).body)
      expect(operations.length).toBeGreaterThan(35)

      const fuzz = new Fuzzer(seededRandom(SEED), { ids, locationId: s.locationId })
      const failures: string[] = []
      const statuses = new Map<number, number>()
      let sent = 0

      async function one(): Promise<void> {
        const op = fuzz.pick(operations)
        let path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => fuzz.pathValue(name))
        const query = new URLSearchParams()
        for (const p of op.parameters.filter((p) => p.in === 'query'))
          if (p.name === 'locationId' ? fuzz.chance(0.9) : fuzz.chance(0.4))
            query.append(p.name, p.name === 'locationId' ? s.locationId : fuzz.queryValue(p.schema))
        if (fuzz.chance(0.1))
          query.append(fuzz.pick(['foo', 'email', 'locationid', '__proto__', '']), fuzz.oddString())
        if ([...query].length) path += `?${query.toString()}`
        const headers: Record<string, string> = { authorization: `Bearer ${s.token}`, version: '2021-07-28' }
        if (fuzz.chance(0.05)) headers.authorization = fuzz.pick(['Bearer', 'Bearer x', `Basic ${s.token}`])
        if (fuzz.chance(0.05)) headers.version = fuzz.pick(['2021-04-15', '', 'x'])
        if (fuzz.chance(0.05))
          headers['idempotency-key'] = fuzz.pick(['k', 'é'.repeat(300), `key-${fuzz.int(5)}`])
        let body: string | undefined
        if (op.method !== 'GET' && (op.body || fuzz.chance(0.1))) {
          const generated = op.body ? fuzz.valid(op.body) : fuzz.oddValue()
          const roll = fuzz.int(10)
          if (roll < 3) body = JSON.stringify(generated)
          else if (roll < 8) body = JSON.stringify(fuzz.mutate(generated))
          else if (roll === 8)
            body = fuzz.pick(['{', '{"a":1,"a":2}', '[', 'nul', '"\\ud800"', '{"__proto__":{"x":1}}', ''])
          else body = JSON.stringify(generated).replace('{', '{"tags":"dup","tags":["dup"],')
          headers['content-type'] = fuzz.chance(0.9)
            ? 'application/json'
            : fuzz.pick([
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/json; charset=latin1',
                'multipart/form-data',
              ])
        }
        let status = 0
        let text = ''
        try {
          const response = await fetch(`${s.baseUrl}${path}`, { method: op.method, headers, body })
          status = response.status
          text = await response.text()
        } catch (error) {
          failures.push(`${op.method} ${path}: no answer (${(error as Error).message})`)
          return
        }
        sent++
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        const summary = `${op.method} ${path.slice(0, 160)} ${body?.slice(0, 160) ?? ''} -> ${status} ${text.slice(0, 200)}`
        if (status >= 500) failures.push(summary)
        else if (status >= 400) {
          let parsed: unknown
          try {
            parsed = JSON.parse(text)
          } catch {
            parsed = undefined
          }
          if (!isDialectError(path, parsed)) failures.push(`not in the dialect's format: ${summary}`)
        }
      }

      let next = 0
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < REQUESTS) {
            next++
            await one()
          }
        }),
      )
      expect(failures.slice(0, 20)).toEqual([])
      expect(sent).toBe(REQUESTS)
      // The run reached the handlers, not only the validators.
      expect([...statuses.keys()].some((code) => code < 300)).toBe(true)
      expect((await s.request('GET', '/readyz', { token: null })).status).toBe(200)
      expect((await s.request('GET', `/contacts/?locationId=${s.locationId}`)).status).toBe(200)
      console.info(
        `fuzz ${dialect}: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
      )
    })
  })
}
