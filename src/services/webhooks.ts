import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { newFirebaseId } from '../domain/ids.js'
import {
  isWebhookAppId,
  isWebhookEventType,
  isWebhookUrl,
  subscribedEventTypes,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from '../domain/webhooks.js'
import type { Database } from '../store/database.js'
import { findSigningKey, insertSigningKeyIfAbsent, replaceSigningKey } from '../store/signingKeys.js'
import {
  countDeliveriesByState,
  type DeliveryCounts,
  redriveDeadDeliveries,
} from '../store/webhookDeliveries.js'
import {
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listWebhooks,
  resumeEndpoint,
  type WebhookRow,
} from '../store/webhooks.js'
import { ServiceError } from './errors.js'
import {
  decryptSecret,
  encryptSecret,
  isEncryptedSecret,
  PLAIN_SIGNING_KEY,
  type SigningKeySource,
} from './signingKeySecrets.js'
import { checkWebhookTarget, type WebhookTargetPolicy } from './webhookTargets.js'

export type WebhookView = WebhookRow & { deliveries: DeliveryCounts }

/**
 * Registers a URL for the location's ContactTagUpdate events, and the ContactCreate and
 * ContactDelete events `events` names. `appId` is echoed in every payload
 * (HighLevel's SDK middleware only verifies payloads whose appId matches its client id); it
 * defaults to the webhook's own id.
 */
export async function registerWebhook(
  database: Database,
  locationId: string,
  input: { url: string; appId?: string; events?: readonly string[] },
  targets: WebhookTargetPolicy,
): Promise<WebhookRow> {
  const unknown = (input.events ?? []).filter((t) => !isWebhookEventType(t))
  if (unknown.length > 0)
    throw new ServiceError(
      'invalid-webhook',
      `events must name ${WEBHOOK_EVENT_TYPES.join(', ')} (got ${unknown.join(', ')})`,
      { field: 'events' },
    )
  if (!isWebhookUrl(input.url))
    throw new ServiceError('invalid-webhook', 'url must be an absolute http or https URL', { field: 'url' })
  await checkWebhookTarget(input.url, targets)
  if (input.appId !== undefined && !isWebhookAppId(input.appId))
    throw new ServiceError('invalid-webhook', 'appId must be 1 to 64 letters, digits or underscores', {
      field: 'appId',
    })
  const id = newFirebaseId()
  return insertWebhook(database, {
    location_id: locationId,
    id,
    url: input.url,
    app_id: input.appId ?? id,
    event_types: subscribedEventTypes((input.events ?? []) as WebhookEventType[]),
    created_at: new Date().toISOString(),
  })
}

async function withHealth(database: Database, webhook: WebhookRow): Promise<WebhookView> {
  return { ...webhook, deliveries: await countDeliveriesByState(database, webhook.location_id, webhook.id) }
}

/** The location's webhooks with their delivery counts by state. */
export async function listWebhooksWithHealth(database: Database, locationId: string): Promise<WebhookView[]> {
  const webhooks = await listWebhooks(database, locationId)
  return Promise.all(webhooks.map((w) => withHealth(database, w)))
}

export async function getWebhook(database: Database, locationId: string, id: string): Promise<WebhookView> {
  const webhook = await findWebhook(database, locationId, id)
  if (!webhook) throw new ServiceError('webhook-not-found', 'Webhook not found')
  return withHealth(database, webhook)
}

/** Unregisters a webhook; deliveries still owed to it are dropped with it. */
export async function removeWebhook(database: Database, locationId: string, id: string): Promise<void> {
  if (!(await deleteWebhook(database, locationId, id)))
    throw new ServiceError('webhook-not-found', 'Webhook not found')
}

/**
 * Queues the dead deliveries of one webhook (or of every webhook of the location) again and
 * lifts the endpoint's pause, so they go out at once. Returns how many were re-queued.
 */
export async function redriveWebhookDeliveries(
  database: Database,
  locationId: string,
  webhookId?: string,
): Promise<number> {
  return database.transaction(async (tx) => {
    const webhooks = webhookId
      ? [await findWebhook(tx, locationId, webhookId)]
      : await listWebhooks(tx, locationId)
    if (webhooks.some((w) => w === undefined))
      throw new ServiceError('webhook-not-found', 'Webhook not found')
    for (const webhook of webhooks as WebhookRow[]) await resumeEndpoint(tx, locationId, webhook.id)
    return redriveDeadDeliveries(tx, locationId, webhookId, new Date().toISOString())
  })
}

const SIGNING_KEY_ID = 'webhook-ed25519'

export type SigningKey = { privateKeyPem: string; publicKeyPem: string }

/**
 * The instance's Ed25519 webhook signing key, created on first use and kept in the database so
 * every process signs with the same key (and receivers configure one public key).
 */
export async function webhookSigningKey(
  database: Database,
  source: SigningKeySource = PLAIN_SIGNING_KEY,
): Promise<SigningKey> {
  if (source.pem) {
    const privateKey = createPrivateKey(source.pem)
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error('the webhook signing key must be an Ed25519 private key')
    return {
      privateKeyPem: source.pem,
      publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    }
  }
  let row = await findSigningKey(database, SIGNING_KEY_ID)
  if (!row) {
    await insertSigningKeyIfAbsent(database, storedSigningKey(newSigningKeyPair(), source))
    row = await findSigningKey(database, SIGNING_KEY_ID)
  }
  if (!row) throw new Error('webhook signing key could not be stored')
  const privateKeyPem = decryptSecret(row.private_key_pem, source.encryptionKey)
  // A key stored before SECRETS_KEY was set is encrypted from now on.
  if (source.encryptionKey && !isEncryptedSecret(row.private_key_pem))
    await replaceSigningKey(database, {
      ...row,
      private_key_pem: encryptSecret(privateKeyPem, source.encryptionKey),
    })
  return { privateKeyPem, publicKeyPem: row.public_key_pem }
}

function newSigningKeyPair(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

/** The row that stores `pair`: the private key encrypted when an encryption key is given. */
function storedSigningKey(pair: SigningKey, source: SigningKeySource) {
  return {
    id: SIGNING_KEY_ID,
    private_key_pem: source.encryptionKey
      ? encryptSecret(pair.privateKeyPem, source.encryptionKey)
      : pair.privateKeyPem,
    public_key_pem: pair.publicKeyPem,
    created_at: new Date().toISOString(),
  }
}

/**
 * Replaces the stored signing key with a new one and returns it: receivers must be given the new
 * public key, and running workers restarted (they keep the key they loaded). Not for a key
 * supplied by the operator (WEBHOOK_SIGNING_KEY_FILE): replace that file instead.
 */
export async function rotateWebhookSigningKey(
  database: Database,
  source: SigningKeySource,
): Promise<SigningKey> {
  if (source.pem) throw new Error('the signing key comes from WEBHOOK_SIGNING_KEY(_FILE); replace it there')
  const pair = newSigningKeyPair()
  await replaceSigningKey(database, storedSigningKey(pair, source))
  return pair
}
