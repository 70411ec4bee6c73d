import type { ContactSelector } from '../domain/selectors.js'
import { maskUrlSecrets } from '../domain/urls.js'
import { listActivities as listActivityRows } from '../store/activities.js'
import { countLiveContacts, countLiveContactsPerLocation } from '../store/contacts.js'
import { countLiveContactsPerTag } from '../store/contactTags.js'
import type { Database } from '../store/database.js'
import { findLocation, listLocations } from '../store/locations.js'
import { countRunnableActivitiesPerLocation, countWebhooksPerLocation } from '../store/operations.js'
import { findTagsByIds, listTags } from '../store/tags.js'
import type { EndpointError } from '../store/webhooks.js'
import {
  type ActivitySummary,
  cancelActivity,
  createTaggingActivity,
  summarizeActivity,
  type TaggingActivityInput,
  tagIdsForNames,
} from './activities.js'
import { ServiceError } from './errors.js'
import { createUndoActivity } from './undoActivity.js'
import { listWebhooksWithHealth } from './webhooks.js'

/** How many of a location's newest activities the dashboard follows. */
export const DASHBOARD_ACTIVITY_LIMIT = 20
/** Tags listed per location (most held first); the total is reported beside them. */
export const DASHBOARD_TAG_LIMIT = 200

export type LocationOverview = {
  id: string
  name: string
  createdAt: string
  contacts: number
  activitiesRunning: number
  webhooks: number
  webhooksPaused: number
}

/** Every location, its live contacts, and what needs an operator's eye: running activities, paused webhooks. */
export async function listLocationOverviews(database: Database): Promise<LocationOverview[]> {
  const now = new Date().toISOString()
  const [locations, contacts, running, webhooks] = await Promise.all([
    listLocations(database),
    countLiveContactsPerLocation(database),
    countRunnableActivitiesPerLocation(database),
    countWebhooksPerLocation(database, now),
  ])
  return locations.map((l) => ({
    id: l.id,
    name: l.name,
    createdAt: l.created_at,
    contacts: contacts.get(l.id) ?? 0,
    activitiesRunning: running.get(l.id) ?? 0,
    webhooks: webhooks.get(l.id)?.webhooks ?? 0,
    webhooksPaused: webhooks.get(l.id)?.paused ?? 0,
  }))
}

export type WebhookHealth = {
  id: string
  url: string
  appId: string
  deliveries: { pending: number; delivering: number; delivered: number; dead: number }
  consecutiveFailures: number
  pausedUntil: string | null
  lastError: EndpointError | null
}

/** The parts of a location's page that change while an operator watches: pushed as they change. */
export type LiveLocationState = {
  activities: ActivitySummary[]
  webhooks: WebhookHealth[]
}

export type LocationDashboard = LiveLocationState & {
  location: { id: string; name: string; createdAt: string }
  contacts: number
  tags: Array<{ id: string; name: string; contacts: number }>
  tagsTotal: number
}

/** The location a dashboard request names; refused when it does not exist. */
export async function requireDashboardLocation(database: Database, locationId: string) {
  const location = await findLocation(database, locationId)
  if (!location) throw new ServiceError('location-not-found', 'Location not found')
  return location
}

export async function readLiveLocationState(
  database: Database,
  locationId: string,
): Promise<LiveLocationState> {
  const [activities, webhooks] = await Promise.all([
    listActivityRows(database, locationId, { limit: DASHBOARD_ACTIVITY_LIMIT }),
    listWebhooksWithHealth(database, locationId),
  ])
  return {
    activities: activities.map(summarizeActivity),
    webhooks: webhooks.map((w) => ({
      id: w.id,
      // Credentials and query secrets in the URL are the tenant's; an operator sees them masked.
      url: maskUrlSecrets(w.url),
      appId: w.app_id,
      deliveries: w.deliveries,
      consecutiveFailures: w.consecutive_failures,
      pausedUntil:
        w.paused_until !== null && w.paused_until > new Date().toISOString() ? w.paused_until : null,
      lastError: w.last_error,
    })),
  }
}

/** One location's page: contacts, tags by how many live contacts hold them, activities, webhooks. */
export async function readLocationDashboard(
  database: Database,
  locationId: string,
): Promise<LocationDashboard> {
  const location = await requireDashboardLocation(database, locationId)
  const [contacts, tags, counts, live] = await Promise.all([
    countLiveContacts(database, locationId, undefined),
    listTags(database, locationId),
    countLiveContactsPerTag(database, locationId),
    readLiveLocationState(database, locationId),
  ])
  const counted = tags
    .map((t) => ({ id: t.id, name: t.name, contacts: counts.get(t.id) ?? 0 }))
    .sort((a, b) => b.contacts - a.contacts || a.name.localeCompare(b.name))
  return {
    location: { id: location.id, name: location.name, createdAt: location.created_at },
    contacts,
    tags: counted.slice(0, DASHBOARD_TAG_LIMIT),
    tagsTotal: counted.length,
    ...live,
  }
}

export type DashboardTaggingRequest = {
  operation: 'add' | 'remove'
  /** Tag names; adding creates the missing ones, removing refuses unknown names. */
  tags: string[]
  /** Every active contact, or the contacts holding any of these tags. */
  source: { allActiveContacts: true } | { tagIds: string[] }
}

/** Starts a tagging activity from the dashboard's form; a worker runs it like any other. */
export async function startDashboardTagging(
  database: Database,
  locationId: string,
  request: DashboardTaggingRequest,
): Promise<ActivitySummary> {
  await requireDashboardLocation(database, locationId)
  const kind: TaggingActivityInput['kind'] =
    request.operation === 'add' ? 'contacts_taggings_add' : 'contacts_taggings_remove'
  const selector: ContactSelector =
    'tagIds' in request.source
      ? { kind: 'tag_ids', tagIds: request.source.tagIds }
      : { kind: 'all_active_contacts', excludeContactIds: [] }
  if ('tagIds' in request.source) {
    // Checked before tagIdsForNames creates any tag, so a refused request leaves nothing behind.
    const found = await findTagsByIds(database, locationId, request.source.tagIds)
    if (found.length !== new Set(request.source.tagIds).size)
      throw new ServiceError('invalid-activity', 'source names tags this location does not have')
  }
  const tagIds = await tagIdsForNames(database, locationId, kind, request.tags)
  return summarizeActivity(await createTaggingActivity(database, locationId, { kind, selector, tagIds }))
}

/** The dashboard's Cancel button: stops an unfinished activity; chunks already applied stay. */
export async function cancelDashboardActivity(
  database: Database,
  locationId: string,
  activityId: string,
): Promise<ActivitySummary> {
  await requireDashboardLocation(database, locationId)
  return summarizeActivity(await cancelActivity(database, locationId, activityId))
}

/** The dashboard's Undo button: queues an undo of a finished add/remove activity. */
export async function undoDashboardActivity(
  database: Database,
  locationId: string,
  activityId: string,
): Promise<ActivitySummary> {
  await requireDashboardLocation(database, locationId)
  return summarizeActivity(await createUndoActivity(database, locationId, activityId))
}
