import { describe, expect, it } from 'vitest'
import {
  CLOSED_WEBHOOK_TARGETS,
  checkWebhookTarget,
  guardedLookup,
  refusedLiteralTarget,
} from '../../src/services/webhookTargets.js'

describe('webhook targets', () => {
  it('refuses internal literal addresses and local names at registration unless allowed', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://app.localhost/hook',
      'http://[::1]/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.5/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0x7f000001/hook', // WHATWG URL parsing turns this into 127.0.0.1
    ]) {
      await expect(checkWebhookTarget(url, CLOSED_WEBHOOK_TARGETS), url).rejects.toThrow(/public address/)
      await expect(checkWebhookTarget(url, { allowInternal: true })).resolves.toBeUndefined()
      expect(refusedLiteralTarget(url, CLOSED_WEBHOOK_TARGETS), url).toMatch(/internal address/)
    }
    await expect(checkWebhookTarget('https://8.8.8.8/hook', CLOSED_WEBHOOK_TARGETS)).resolves.toBeUndefined()
  })

  it('checks the addresses a name resolves to when connecting (DNS rebinding)', async () => {
    const lookup = guardedLookup(CLOSED_WEBHOOK_TARGETS)
    // localhost resolves through /etc/hosts, with no network: a name that points inside.
    const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup('localhost', { all: false }, (error) => resolve(error)),
    )
    expect(refused?.code).toBe('EINTERNALTARGET')
    const allowed = await new Promise<string>((resolve, reject) =>
      guardedLookup({ allowInternal: true })('localhost', { all: false }, (error, address) =>
        error ? reject(error) : resolve(address as string),
      ),
    )
    expect(['127.0.0.1', '::1']).toContain(allowed)
  })
})
