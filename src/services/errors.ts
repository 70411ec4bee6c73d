/**
 * A use case refusing a request for a reason the caller can fix. Each dialect maps the code
 * to its own status and wording; anything else reaching the HTTP layer is a bug (500).
 */
export type ServiceErrorCode =
  | 'contact-not-found'
  | 'contact-deleted'
  | 'contact-other-location'
  | 'invalid-contact-id'
  | 'duplicate-contact'
  | 'tag-not-found'
  | 'tag-name-taken'
  | 'invalid-tag-name'
  | 'invalid-activity'
  | 'activity-not-found'
  | 'activity-finished'
  | 'unknown-reference'
  | 'list-not-found'
  | 'list-name-taken'
  | 'invalid-list-name'
  | 'webhook-not-found'
  | 'invalid-webhook'
  | 'activity-not-undoable'
  | 'location-not-found'

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ServiceError'
  }
}
