import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

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
  })
})
