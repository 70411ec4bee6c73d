import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { webhookSigner } from '../../src/services/webhookDelivery.js'
import { rotateWebhookSigningKey, webhookSigningKey } from '../../src/services/webhooks.js'
import { findSigningKey } from '../../src/store/signingKeys.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'

const verifies = (publicKeyPem: string, body: string, signature: string) =>
  verify(null, Buffer.from(body), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'))

for (const dialect of DIALECTS) {
  describe(`webhook signing key at rest on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())
    const stored = async () => (await findSigningKey(t.database, 'webhook-ed25519'))?.private_key_pem

    it('encrypts a plain stored key in place once SECRETS_KEY is given, and needs that key afterwards', async () => {
      const plain = await webhookSigningKey(t.database)
      expect(await stored()).toContain('PRIVATE KEY')
      const encrypted = await webhookSigningKey(t.database, { encryptionKey: 'operator-secret' })
      expect(encrypted).toEqual(plain)
      const row = (await stored()) as string
      expect(row.startsWith('enc:v1:')).toBe(true)
      expect(row).not.toContain('PRIVATE KEY')
      expect(await webhookSigningKey(t.database, { encryptionKey: 'operator-secret' })).toEqual(plain)
      await expect(webhookSigningKey(t.database)).rejects.toThrow(/set SECRETS_KEY/)
      await expect(webhookSigningKey(t.database, { encryptionKey: 'wrong' })).rejects.toThrow(
        /does not decrypt/,
      )
    })

    it('rotates to a new key that signs from then on, stored encrypted', async () => {
      const source = { encryptionKey: 'operator-secret' }
      const before = await webhookSigningKey(t.database, source)
      const after = await rotateWebhookSigningKey(t.database, source)
      expect(after.publicKeyPem).not.toBe(before.publicKeyPem)
      expect(((await stored()) as string).startsWith('enc:v1:')).toBe(true)
      const sign = await webhookSigner(t.database, source)
      expect(verifies(after.publicKeyPem, '{"a":1}', await sign('{"a":1}'))).toBe(true)
      expect(verifies(before.publicKeyPem, '{"a":1}', await sign('{"a":1}'))).toBe(false)
    })

    it('uses a key supplied by the operator without storing it', async () => {
      const fresh = await createTestDatabase(dialect)
      try {
        const { privateKey, publicKey } = generateKeyPairSync('ed25519')
        const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
        const key = await webhookSigningKey(fresh.database, { pem })
        expect(key.publicKeyPem).toBe(publicKey.export({ type: 'spki', format: 'pem' }).toString())
        expect(await findSigningKey(fresh.database, 'webhook-ed25519')).toBeUndefined()
        const sign = await webhookSigner(fresh.database, { pem })
        expect(verifies(key.publicKeyPem, 'body', await sign('body'))).toBe(true)
        await expect(rotateWebhookSigningKey(fresh.database, { pem })).rejects.toThrow(/replace it there/)
      } finally {
        await fresh.drop()
      }
    })
  })
}
