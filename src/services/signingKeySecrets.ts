import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

import type { SigningKeySource } from '../domain/webhooks.js'

export type { SigningKeySource }

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
