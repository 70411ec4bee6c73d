/**
 * Which contacts an activity covers: named contacts, members of lists, holders of tags, every
 * active contact, or new subscribers; the broad ones less the excluded contacts.
 */
export type ContactSelector =
  | { kind: 'contact_ids'; contactIds: string[] }
  | { kind: 'list_ids'; listIds: string[]; excludeContactIds: string[] }
  | { kind: 'tag_ids'; tagIds: string[] }
  | { kind: 'all_active_contacts'; excludeContactIds: string[] }
  | { kind: 'new_subscriber' }

export const SELECTOR_LIMITS = Object.freeze({
  contactIds: 500,
  listIds: 50,
  sourceTagIds: 500,
  excludeContactIds: 500,
  tagIds: 500,
})
