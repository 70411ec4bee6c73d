import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { GHLValidationError, type HighLevel } from '@gohighlevel/api-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/databases.js'
import { highLevelSdk } from '../helpers/sdk.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const SEEDS_DIR = join(import.meta.dirname, '../fixtures/reference-seeds')

/**
 * The example request bodies of the HighLevel documents: curl `-d '{...}'` bodies, and the body
 * assembled from the per-field `Example:` values of a reference page's "Body" section.
 */
function seedExampleBodies(): Array<{ seed: string; body: Record<string, unknown> }> {
  const bodies: Array<{ seed: string; body: Record<string, unknown> }> = []
  for (const file of readdirSync(SEEDS_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()) {
    const text = readFileSync(join(SEEDS_DIR, file), 'utf8')
    const unescaped = text.replaceAll('\\\n', '\n').replaceAll('\\', '')
    for (const match of unescaped.matchAll(/-d '(\{[\s\S]*?\})'/g)) {
      bodies.push({ seed: file, body: JSON.parse(match[1] as string) })
    }
    const fieldExamples = /\nBody\n([\s\S]*?)\nResponses\n/.exec(text)?.[1]
    if (fieldExamples && /(^|\n)contacts\n/.test(fieldExamples))
      bodies.push({ seed: file, body: bodyFromFieldExamples(fieldExamples) })
  }
  return bodies
}

function bodyFromFieldExamples(section: string): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const field of ['contacts', 'tags', 'locationId', 'removeAllTags']) {
    const example = new RegExp(`(?:^|\\n)${field}\\n[\\s\\S]*?Example:\\n(.*)`).exec(section)?.[1]
    if (example === undefined) continue
    try {
      body[field] = JSON.parse(example)
    } catch {
      body[field] = example
    }
  }
  return body
}

for (const dialect of DIALECTS) {
  describe(`official HighLevel SDK against Tagbase on ${dialect}`, () => {
    let s: TestServer
    let ghl: HighLevel
    beforeAll(async () => {
      s = await startTestServer(dialect)
      ghl = highLevelSdk(s.baseUrl, s.token)
    })
    afterAll(() => s.close())

    it('creates contacts, tags them one by one and in bulk, and reads them back', async () => {
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const created = await ghl.contacts.createContact({
          locationId: s.locationId,
          firstName: `Sdk${i}`,
          email: `sdk${i}@example.com`,
          tags: ['imported'],
        })
        ids.push(created.contact?.id as string)
      }
      const [first, second, third] = ids as [string, string, string]

      expect(await ghl.contacts.addTags({ contactId: first }, { tags: ['Solo'] })).toEqual({
        tags: ['imported', 'solo'],
      })
      expect(await ghl.contacts.removeTags({ contactId: first }, { tags: ['imported'] })).toEqual({
        tags: ['solo'],
      })

      const added = await ghl.contacts.createAssociation(
        { type: 'add' },
        { contacts: ids, tags: ['campaign-a', 'campaign-b'], locationId: s.locationId },
      )
      expect(added.succeded).toBe(true)
      expect(added.errorCount).toBe(0)
      expect(added.responses).toHaveLength(3)

      const removed = await ghl.contacts.createAssociation(
        { type: 'remove' },
        { contacts: [second], tags: [], locationId: s.locationId, removeAllTags: true },
      )
      expect(removed.responses).toEqual([
        {
          contactId: second,
          message: 'Tags updated',
          type: 'success',
          oldTags: ['campaign-a', 'campaign-b', 'imported'],
          tagsAdded: [],
          tagsRemoved: ['campaign-a', 'campaign-b', 'imported'],
        },
      ])

      expect((await ghl.contacts.getContact({ contactId: first })).contact?.tags).toEqual([
        'campaign-a',
        'campaign-b',
        'solo',
      ])
      expect((await ghl.contacts.getContact({ contactId: second })).contact?.tags).toEqual([])
      const listed = await ghl.contacts.getContacts({ locationId: s.locationId, query: 'sdk', limit: 10 })
      expect(listed.contacts?.map((c) => c.id).sort()).toEqual([...ids].sort())

      const tags = await ghl.locations.getLocationTags({ locationId: s.locationId })
      expect(tags.tags?.map((t) => t.name)).toEqual(['campaign-a', 'campaign-b', 'imported', 'solo'])

      const updated = await ghl.contacts.updateContact({ contactId: third }, { lastName: 'Updated' })
      expect(updated.contact).toMatchObject({ name: 'Sdk2 Updated' })
      expect((await ghl.contacts.deleteContact({ contactId: third })).succeded).toBe(true)
      const upserted = await ghl.contacts.upsertContact({
        locationId: s.locationId,
        email: 'sdk0@example.com',
        city: 'X',
      })
      expect(upserted).toMatchObject({ new: false, contact: { id: first, city: 'X' } })

      // Pick contacts by tag, then tag them in bulk: the flow the search exists for.
      const picked = await ghl.contacts.searchContactsAdvanced({
        locationId: s.locationId,
        pageLimit: 10,
        filters: [{ field: 'tags', operator: 'eq', value: 'campaign-a' }],
      } as never)
      expect(picked.total).toBe(1)
      expect(picked.contacts.map((c: { id: string }) => c.id)).toEqual([first])
      const duplicate = await ghl.contacts.getDuplicateContact({
        locationId: s.locationId,
        email: 'SDK1@example.com',
      })
      expect(duplicate.contact?.id).toBe(second)
    })

    it('manages location tags', async () => {
      const created = await ghl.locations.createTag({ locationId: s.locationId }, { name: 'SDK Tag' })
      const id = created.tag?.id as string
      expect((await ghl.locations.getTagById({ locationId: s.locationId, tagId: id })).tag?.name).toBe(
        'sdk tag',
      )
      expect(
        (await ghl.locations.updateTag({ locationId: s.locationId, tagId: id }, { name: 'renamed' })).tag
          ?.name,
      ).toBe('renamed')
      expect((await ghl.locations.deleteTag({ locationId: s.locationId, tagId: id })).succeded).toBe(true)
    })

    it('surfaces our 422 as the SDK validation error with HighLevel message list', async () => {
      const error = await ghl.contacts
        .createAssociation({ type: 'add' }, { contacts: [], tags: ['x'], locationId: s.locationId })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(GHLValidationError)
      expect((error as GHLValidationError).statusCode).toBe(422)
      expect((error as GHLValidationError).response).toMatchObject({
        message: ['contacts must contain at least 1 elements'],
      })
    })

    it('replays every seed example body against real contacts', async () => {
      const examples = seedExampleBodies()
      expect(examples.map((e) => e.seed)).toEqual([
        '000_5e68eac4c9924ba5.txt',
        '001_9b82975a0a2de377.txt',
        '002_77e0a2848700bbf8.txt',
      ])
      for (const { seed, body } of examples) {
        // The example's ids are placeholders: map each distinct well-formed one onto a real contact,
        // the last of them onto another tenant's contact, and keep the malformed ones as they are.
        const placeholders = [
          ...new Set((body.contacts as string[]).filter((id) => /^[0-9A-Za-z]{20}$/.test(id))),
        ]
        const real = new Map<string, string>()
        for (const [i, placeholder] of placeholders.entries()) {
          const foreign = i === placeholders.length - 1
          const created = await highLevelSdk(
            s.baseUrl,
            foreign ? s.other.token : s.token,
          ).contacts.createContact({
            locationId: foreign ? s.other.locationId : s.locationId,
            email: `${seed}-${i}@example.com`,
            tags: ['tag-1', 'tag-2'],
          })
          real.set(placeholder, created.contact?.id as string)
        }
        const contacts = (body.contacts as string[]).map((id) => real.get(id) ?? id)
        const request = { ...body, contacts, locationId: s.locationId } as Parameters<
          typeof ghl.contacts.createAssociation
        >[1]
        const answer = await highLevelSdk(s.baseUrl, s.token).contacts.createAssociation(
          { type: 'add' },
          request,
        )
        // The vendor's OpenAPI types `responses` as string[]; the wire carries objects.
        const responses = answer.responses as unknown as Array<{ message: string }>
        expect(
          responses.map((r) => r.message),
          seed,
        ).toEqual([
          'Tags updated',
          'contact id is not a valid firebase id',
          'Tags updated',
          'contact does not belong to location',
        ])
        expect(answer.responses[0]).toMatchObject({
          oldTags: ['tag-1', 'tag-2'],
          tagsAdded: [],
          tagsRemoved: [],
        })
        expect(answer).toMatchObject({ succeded: false, errorCount: 2 })
      }
    })
  })
}
