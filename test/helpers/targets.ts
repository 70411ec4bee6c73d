import type { WebhookTargetPolicy } from '../../src/services/webhookTargets.js'

/** The tests' webhook receivers listen on loopback, which production refuses unless allowed. */
export const ALLOW_INTERNAL_TARGETS: WebhookTargetPolicy = Object.freeze({ allowInternal: true })
