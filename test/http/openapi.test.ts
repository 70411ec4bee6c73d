import { readFileSync } from 'node:fs'
import { HighLevel } from '@gohighlevel/api-client'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv } from 'ajv'
import { BulkActivitiesApi, ContactListsApi, ContactsApi, ContactTagsApi } from 'ctct-api-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeContact } from '../helpers/fixtures.js'
import { finishedActivity, startTestServer, type TestServer } from '../helpers/server.js'

// The document depends on the routes only, not on the engine: one run on SQLite.
describe('OpenAPI document', () => {
  let s: TestServer
  let document: any
  beforeAll(async () => {
    s = await startTestServer('sqlite')
    const response = await fetch(`${s.baseUrl}/openapi.json`)
    expect(response.status).toBe(200)
    document = await response.json()
  })
  afterAll(() => s.close())

  it('is a valid OpenAPI 3.1 document by a standard validator', async () => {
    expect(document.openapi).toBe('3.1.0')
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    expect(document.info.version).toBe(pkg.version)
    const result = await new Validator().validate(document)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it('documents both dialects from the route schemas', () => {
    const bulk = document.paths['/contacts/bulk/tags/update/{type}'].post
    expect(bulk.tags).toEqual(['HighLevel'])
    expect(bulk.security).toEqual([{ bearer: [] }])
    expect(bulk.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'path', name: 'type' }),
        expect.objectContaining({ in: 'header', name: 'Version', required: true }),
      ]),
    )
    const bulkBody = bulk.requestBody.content['application/json'].schema
    expect(bulkBody.properties.contacts.maxItems).toBe(1000)
    expect(bulkBody.required).toEqual(expect.arrayContaining(['contacts', 'tags', 'locationId']))

    const tagging = document.paths['/v3/activities/contacts_taggings_add'].post
    expect(tagging.tags).toEqual(['Constant Contact'])
    const taggingBody = tagging.requestBody.content['application/json'].schema
    expect(Object.keys(taggingBody.properties.source.properties)).toEqual(
      expect.arrayContaining(['contact_ids', 'list_ids', 'tag_ids', 'all_active_contacts', 'new_subscriber']),
    )
    expect(document.paths['/v3/activities/{activity_id}/undo'].post.tags).toEqual(['Constant Contact'])
    expect(document.paths['/locations/{locationId}/webhooks'].post.tags).toEqual(['HighLevel'])
    expect(document.paths['/readyz'].get.tags).toEqual(['Operations'])
    expect(document.paths['/readyz'].get.security).toBeUndefined()
  })

  it('gives every operation a summary, a description and the vendor SDK call as its unique operationId', () => {
    const operations = Object.entries<Record<string, any>>(document.paths).flatMap(([path, methods]) =>
      Object.entries<any>(methods).map(([method, op]) => ({ where: `${method} ${path}`, ...op })),
    )
    expect(operations.length).toBeGreaterThanOrEqual(47)
    for (const op of operations) {
      expect(op.summary, op.where).toMatch(/\w/)
      expect(op.description?.length ?? 0, op.where).toBeGreaterThan(10)
    }
    const ids = operations.map((op) => op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    // Each id names a method the vendor's client really has, under the client's own namespace.
    const sdk = new HighLevel({ privateIntegrationToken: 'pit-docs', logLevel: 'none' }) as unknown as Record<
      string,
      Record<string, unknown>
    >
    const ctct = { BulkActivitiesApi, ContactListsApi, ContactsApi, ContactTagsApi } as unknown as Record<
      string,
      { prototype: Record<string, unknown> }
    >
    const vendorCalls = ids.filter((id) => !/^(webhooks|operations|TagbaseActivitiesApi)\./.test(id))
    expect(vendorCalls.length).toBeGreaterThanOrEqual(37)
    for (const id of vendorCalls) {
      const [namespace, method] = id.split('.') as [string, string]
      const owner = ctct[namespace]?.prototype ?? sdk[namespace]
      expect(typeof owner?.[method], id).toBe('function')
    }
    const bulk = document.paths['/contacts/bulk/tags/update/{type}'].post
    expect(bulk.operationId).toBe('contacts.createAssociation')
    expect(bulk.description).toContain('1–1000 ids')
  })

  it('shows request and response examples that are valid by the documented schemas', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
    const bulk = document.paths['/contacts/bulk/tags/update/{type}'].post
    const body = bulk.requestBody.content['application/json']
    // The seeds' own example request and answer.
    expect(body.example.contacts).toEqual([
      'qFSqySFkVvNzOSqgGqFi',
      'abcdef',
      'qFSqySFkVvNzOSqgGqFi',
      '3ualbhnV7j3n3a9r2moD',
    ])
    const answer = bulk.responses['201'].content['application/json']
    expect(answer.example.responses[1].message).toBe('contact id is not a valid firebase id')
    let examples = 0
    for (const methods of Object.values<Record<string, any>>(document.paths))
      for (const op of Object.values<any>(methods)) {
        const media = [
          op.requestBody?.content?.['application/json'],
          ...Object.values<any>(op.responses ?? {}).map((r) => r.content?.['application/json']),
        ]
        for (const m of media)
          if (m?.example !== undefined) {
            examples += 1
            const validate = ajv.compile(m.schema)
            expect(validate(m.example) ? null : JSON.stringify(validate.errors), op.operationId).toBeNull()
          }
      }
    expect(examples).toBeGreaterThanOrEqual(8)
  })

  it("documents each dialect's answers, and real answers match what is documented", async () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
    const documentedAs = (path: string, method: string, status: number) => {
      const schema =
        document.paths[path][method].responses[String(status)]?.content['application/json'].schema
      expect(schema, `${method} ${path} ${status} is documented`).toBeDefined()
      return ajv.compile(schema)
    }
    const expectDocumented = (path: string, method: string, answer: { status: number; body: unknown }) => {
      const validate = documentedAs(path, method, answer.status)
      expect({ body: answer.body, errors: validate(answer.body) ? null : validate.errors }).toEqual({
        body: answer.body,
        errors: null,
      })
    }

    const bulkPath = '/contacts/bulk/tags/update/{type}'
    const contactId = await makeContact(s.database, s.locationId, ['old'])
    const bulk = (body: unknown, query = '', token?: string | null) =>
      s.request('POST', `/contacts/bulk/tags/update/add${query}`, {
        body,
        ...(token !== undefined ? { token } : {}),
      })
    const valid = { locationId: s.locationId, contacts: [contactId, 'not-an-id'], tags: ['new'] }
    const answers = [
      await bulk(valid),
      await bulk(valid, '?dry_run=true'),
      await bulk({ locationId: s.locationId, contacts: 'x', tags: [] }),
      await bulk(valid, '', 'pit-unknown'),
    ]
    expect(answers.map((a) => a.status)).toEqual([201, 200, 422, 401])
    for (const answer of answers) expectDocumented(bulkPath, 'post', answer)
    expect(answers[0]?.body.responses).toHaveLength(2)

    const v3 = (method: string, path: string, body?: unknown) =>
      s.request(method, `/v3${path}`, { version: null, ...(body !== undefined ? { body } : {}) })
    const tag = await v3('POST', '/contact_tags', { name: 'documented' })
    const taggingBody = { source: { all_active_contacts: true }, tag_ids: [tag.body.tag_id] }
    const created = await v3('POST', '/activities/contacts_taggings_add', taggingBody)
    expectDocumented('/v3/activities/contacts_taggings_add', 'post', created)
    expectDocumented(
      '/v3/activities/contacts_taggings_add',
      'post',
      await v3('POST', '/activities/contacts_taggings_add?dry_run=true', taggingBody),
    )
    expectDocumented(
      '/v3/activities/contacts_taggings_add',
      'post',
      await v3('POST', '/activities/contacts_taggings_add', { source: {} }),
    )
    const done = { status: 200, body: await finishedActivity(s, created.body.activity_id) }
    expectDocumented('/v3/activities/{activity_id}', 'get', done)
    expectDocumented(
      '/v3/activities/{activity_id}',
      'get',
      await v3('GET', '/activities/00000000-0000-4000-8000-000000000000'),
    )
    const undo = await v3('POST', `/activities/${created.body.activity_id}/undo`)
    expectDocumented('/v3/activities/{activity_id}/undo', 'post', undo)
    await finishedActivity(s, undo.body.activity_id)
    expectDocumented(
      '/v3/activities/{activity_id}',
      'get',
      await v3('GET', `/activities/${undo.body.activity_id}`),
    )
    expectDocumented(
      '/v3/activities/{activity_id}/undo',
      'post',
      await v3('POST', `/activities/${undo.body.activity_id}/undo`),
    )
  })

  it('serves an interactive reference at /docs from local assets', async () => {
    const page = await fetch(`${s.baseUrl}/docs/`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('swagger-ui')
    const script = /src="\.\/(swagger-ui-bundle\.js)"/.exec(html)?.[1] ?? 'swagger-ui-bundle.js'
    const asset = await fetch(`${s.baseUrl}/docs/static/${script}`)
    expect(asset.status).toBe(200)
    // Read to the end, so the connection is idle when the server closes.
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000)
    // Tagbase's name and logo, not the framework's, and no box loading other documents.
    expect(html).toContain('<title>Tagbase API reference</title>')
    const initializer = await (await fetch(`${s.baseUrl}/docs/static/swagger-initializer.js`)).text()
    expect(
      Buffer.from(/data:image\/svg\+xml;base64,([^']+)'/.exec(initializer)?.[1] ?? '', 'base64').toString(),
    ).toContain('Tagbase')
    const theme = await (await fetch(`${s.baseUrl}/docs/static/theme/tagbase.css`)).text()
    expect(theme).toContain('.download-url-wrapper { display: none }')
  })
})
