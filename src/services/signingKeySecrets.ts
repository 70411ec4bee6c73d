import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/**
 * Where the webhook signing key comes from, besides the database's plain copy:
 * - `pem`: supplied by the operator (WEBHOOK_SIGNING_KEY_FILE or WEBHOOK_SIGNING_KEY); nothing
 *   secret is stored in the database then.
 * - `encryptionKey`: the database copy is kept encrypted (AES-256-GCM) with a key derived from
 *   this secret (SECRETS_KEY); a plain copy found is encrypted in place on first use.
 */
export type SigningKeySource = { pem?: string | undefined; encryptionKey?: string | undefined }

export const PLAIN_SIGNING_KEY: SigningKeySource = Object.freeze({})

const PREFIX = 'enc:v1:'

function keyOf(secret: string): Buffer {
  return createHash('sha256').update(`tagbase signing key encryption\0${secret}`, 'utf8').digest()
}

export function isEncryptedSecret(stored: string): boolean {
  return stored.startsWith(PREFIX)
}

export function encryptSecret(plain: string, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv)
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return `${PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${body.toString('base64')}`
}

export function decryptSecret(stored: string, secret: string | undefined): string {
  if (!isEncryptedSecret(stored)) return stored
  if (!secret)
    throw new Error(
      'the webhook signing key is stored encrypted; set SECRETS_KEY to the key it was encrypted with',
    )
  const [iv = '', tag = '', body = ''] = stored.slice(PREFIX.length).split(':')
  const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), Buffer.from(iv, 'base64'))
  decipher.setAuthTag(Buffer.from(tag, 'base64'))
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8')
  } catch {
    throw new Error('SECRETS_KEY does not decrypt the stored webhook signing key (wrong key?)')
  }
}
