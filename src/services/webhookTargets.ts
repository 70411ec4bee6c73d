import { lookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import { isInternalAddress } from '../domain/urls.js'
import { ServiceError } from './errors.js'

/**
 * Whether webhooks may target loopback, private, link-local and other internal addresses. Off by
 * default (signed contact data must not be posted into the operator's own network, and delivery
 * state must not reveal which internal ports answer); WEBHOOK_ALLOW_INTERNAL_TARGETS=on allows it.
 */
export type WebhookTargetPolicy = { allowInternal: boolean }

export const CLOSED_WEBHOOK_TARGETS: WebhookTargetPolicy = Object.freeze({ allowInternal: false })

function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '')
  return name === 'localhost' || name.endsWith('.localhost')
}

function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

function refused(): ServiceError {
  return new ServiceError(
    'invalid-webhook',
    'url must point to a public address; loopback, private and link-local addresses are refused',
    { field: 'url' },
  )
}

/**
 * At registration: refuses URLs whose host is an internal address, a local name, or a name that
 * resolves to an internal address now. A name that does not resolve is accepted (DNS may be down
 * or not yet set up): every delivery checks the addresses it connects to anyway.
 */
export async function checkWebhookTarget(url: string, policy: WebhookTargetPolicy): Promise<void> {
  if (policy.allowInternal) return
  const host = bareHost(new URL(url).hostname)
  if (isIP(host)) {
    if (isInternalAddress(host)) throw refused()
    return
  }
  if (isLocalName(host)) throw refused()
  let addresses: Array<{ address: string }>
  try {
    addresses = await lookup(host, { all: true, verbatim: true })
  } catch {
    return
  }
  if (addresses.some((a) => isInternalAddress(a.address))) throw refused()
}

/** Why a delivery to `url` may not be attempted at all (an internal literal address), or undefined. */
export function refusedLiteralTarget(url: string, policy: WebhookTargetPolicy): string | undefined {
  if (policy.allowInternal) return undefined
  const host = bareHost(new URL(url).hostname)
  if ((isIP(host) && isInternalAddress(host)) || isLocalName(host))
    return 'refused: the URL points to an internal address'
  return undefined
}

/**
 * The DNS lookup deliveries connect with: the addresses a name resolves to are checked at the
 * moment of connecting, so a name that resolved to a public address at registration and to an
 * internal one later (DNS rebinding) is refused.
 */
export function guardedLookup(policy: WebhookTargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true, verbatim: true }).then(
      (addresses) => {
        const allowed = policy.allowInternal
          ? addresses
          : addresses.filter((a) => !isInternalAddress(a.address))
        if (allowed.length === 0) {
          const error = Object.assign(new Error(`refused: ${hostname} resolves to an internal address`), {
            code: 'EINTERNALTARGET',
          })
          callback(error, '', 4)
          return
        }
        if (options.all) callback(null, allowed as never)
        else callback(null, allowed[0]?.address as string, allowed[0]?.family as number)
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    )
  }
}
