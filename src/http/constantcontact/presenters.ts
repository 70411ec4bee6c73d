import { percentDone } from '../../domain/activities.js'
import type { ContactView } from '../../services/contacts.js'
import type { ActivityRow } from '../../store/activities.js'
import type { ListRow } from '../../store/lists.js'
import type { TagRow } from '../../store/tags.js'

/** Constant Contact writes timestamps to the second: 2021-03-19T15:58:15Z. */
export function ccTime(iso: string): string
export function ccTime(iso: string | null): string | undefined
export function ccTime(iso: string | null): string | undefined {
  return iso === null ? undefined : iso.replace(/\.\d+Z$/, 'Z')
}

export function presentActivity(row: ActivityRow) {
  const state = row.state
  const known = row.items_total !== null
  return {
    activity_id: row.id,
    state,
    created_at: ccTime(row.created_at),
    updated_at: ccTime(row.updated_at),
    ...(row.started_at ? { started_at: ccTime(row.started_at) } : {}),
    ...(row.completed_at ? { completed_at: ccTime(row.completed_at) } : {}),
    percent_done: percentDone(state, row.items_total, row.items_completed),
    activity_errors: row.errors,
    status: known
      ? {
          items_total_count: row.items_total,
          items_completed_count: row.items_completed,
          // Tagbase's addition: contacts an undo left alone, or named ids that are not usable contacts.
          ...(row.undo_of || row.items_skipped > 0 ? { items_skipped_count: row.items_skipped } : {}),
          ...(row.list_ids ? { list_count: row.list_ids.length } : {}),
        }
      : {},
    _links: {
      self: { href: `/v3/activities/${row.id}` },
      // Tagbase's undo (not in Constant Contact): which activity it reverts.
      ...(row.undo_of ? { undo_of: { href: `/v3/activities/${row.undo_of}` } } : {}),
    },
  }
}

export function presentTag(row: TagRow, contactsCount?: number) {
  return {
    tag_id: row.id,
    // As written through this dialect; lower-cased when it came from elsewhere.
    name: row.display_name ?? row.name,
    ...(row.tag_source ? { tag_source: row.tag_source } : {}),
    ...(contactsCount === undefined ? {} : { contacts_count: contactsCount }),
    created_at: ccTime(row.created_at),
    updated_at: ccTime(row.updated_at),
  }
}

export function presentList(row: ListRow, membershipCount?: number) {
  return {
    list_id: row.id,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    favorite: row.favorite === 1,
    created_at: ccTime(row.created_at),
    updated_at: ccTime(row.updated_at),
    ...(membershipCount === undefined ? {} : { membership_count: membershipCount }),
  }
}

/** Fields of Constant Contact's contact that Tagbase keeps in the contact's `extra` JSON. */
export type ConstantContactExtra = {
  jobTitle?: string
  permissionToSend?: string
  createSource?: string
  updateSource?: string
  phoneKind?: string
}

export function presentContact(view: ContactView, links: { tagIds: string[]; listIds: string[] }) {
  const extra = view.extra as ConstantContactExtra
  const unsubscribed = view.unsubscribed_at !== null
  return {
    contact_id: view.id,
    ...(view.email
      ? {
          email_address: {
            address: view.email,
            permission_to_send: unsubscribed ? 'unsubscribed' : (extra.permissionToSend ?? 'implicit'),
            created_at: ccTime(view.created_at),
            updated_at: ccTime(view.updated_at),
            ...(view.subscribed_at ? { opt_in_date: ccTime(view.subscribed_at) } : {}),
            ...(view.unsubscribed_at ? { opt_out_date: ccTime(view.unsubscribed_at) } : {}),
          },
        }
      : {}),
    ...(view.first_name ? { first_name: view.first_name } : {}),
    ...(view.last_name ? { last_name: view.last_name } : {}),
    ...(extra.jobTitle ? { job_title: extra.jobTitle } : {}),
    ...(view.company_name ? { company_name: view.company_name } : {}),
    phone_numbers: view.phone ? [{ phone_number: view.phone, kind: extra.phoneKind ?? 'mobile' }] : [],
    create_source: extra.createSource ?? 'Account',
    ...(extra.updateSource ? { update_source: extra.updateSource } : {}),
    created_at: ccTime(view.created_at),
    updated_at: ccTime(view.updated_at),
    ...(view.deleted_at ? { deleted_at: ccTime(view.deleted_at) } : {}),
    list_memberships: links.listIds,
    taggings: links.tagIds,
  }
}
