import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isOperatorSecret } from '../src/services/operatorAccess.js'
import { findSigningKey } from '../src/store/signingKeys.js'
import { CLI_TEST_TIMEOUT_MS, tagbase, tagbaseText } from './helpers/cli.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from './helpers/databases.js'

for (const dialect of DIALECTS) {
  describe(`tagbase operator and signing-key commands on ${dialect}`, {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, () => {
    let db: TestDatabase
    beforeAll(async () => {
      db = await createTestDatabase(dialect)
    })
    afterAll(() => db.drop())

    it('operator token: a new login link each time, and the earlier token stops working', async () => {
      const first = await tagbase(db, 'operator', 'token')
      expect(first.token).toMatch(/^tbo-/)
      expect(first.loginUrl).toMatch(new RegExp(`^http://[^/]+/dashboard/login\\?token=${first.token}$`))
      expect(await isOperatorSecret(db.database, first.token)).toBe(true)
      const second = await tagbase(db, 'operator', 'token')
      expect(second.token).not.toBe(first.token)
      expect(await isOperatorSecret(db.database, first.token)).toBe(false)
      expect(await isOperatorSecret(db.database, second.token)).toBe(true)
    })

    it('webhook rotate-key: receivers get a new public key; the stored key was never shown', async () => {
      const before = await tagbaseText(db, 'webhook', 'public-key')
      expect(before).toMatch(/^-----BEGIN PUBLIC KEY-----/)
      const rotated = await tagbaseText(db, 'webhook', 'rotate-key')
      expect(rotated).toMatch(/^-----BEGIN PUBLIC KEY-----/)
      expect(rotated).not.toBe(before)
      expect(await tagbaseText(db, 'webhook', 'public-key')).toBe(rotated)
      const stored = await findSigningKey(db.database, 'webhook-ed25519')
      expect(stored?.public_key_pem).toBe(rotated)
    })
  })
}
