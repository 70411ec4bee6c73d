import type { OperationDocs } from '../operationDoc.js'

const scope = 'Token scope: contact_data. Everything it touches belongs to the token’s location.'
const sourceRules =
  '`source` has exactly one of `contact_ids` (≤ 500), `list_ids` (≤ 50), `tag_ids` (≤ 500; contacts carrying any), `all_active_contacts: true`, `new_subscriber: true`; `exclude.contact_ids` (≤ 500) only with `all_active_contacts` or `list_ids`. A source’s tags and lists must be the account’s (else 400, no activity). Contacts named in `contact_ids` that are not usable are skipped and listed in `activity_errors`. The contacts covered are fixed when the activity starts.'
const selectorRules = `\`tag_ids\` (≤ 500) must all be tags of the account (else 400). ${sourceRules}`

/** A tagging activity as Constant Contact's documentation shows one, with Tagbase-shaped ids. */
const TAGGING_REQUEST = {
  source: { all_active_contacts: true },
  exclude: { contact_ids: ['1c953023-02e6-8a30-96a1-904ba5e0f23e'] },
  tag_ids: ['1379693c-5b13-87de-89e8-cc7c805c27a0'],
}
const TAGGING_ANSWER = {
  activity_id: '1b8bda78-7c47-11ea-8c2a-fa163e6a92d8',
  state: 'initialized',
  created_at: '2026-03-12T16:01:20Z',
  updated_at: '2026-03-12T16:01:20Z',
  percent_done: 0,
  activity_errors: [],
  status: {},
  _links: { self: { href: '/v3/activities/1b8bda78-7c47-11ea-8c2a-fa163e6a92d8' } },
}

function taggingActivity(verb: 'add' | 'remove') {
  return {
    operationId: `BulkActivitiesApi.${verb === 'add' ? 'createTagAddContactActivity' : 'createTagRemoveActivity'}`,
    summary: `${verb === 'add' ? 'Add' : 'Remove'} tags on the contacts a selector picks (async)`,
    description: `Answers 201 at once with an activity; poll \`GET /v3/activities/{activity_id}\` for \`state\` and \`percent_done\`. Any number of contacts, in chunks of \`ACTIVITY_CHUNK_SIZE\`, each chunk one transaction: a worker that dies resumes from its last chunk. ${selectorRules} \`?dry_run=true\` answers 200 with the counts it would change. ${scope}`,
    requestExamples: [TAGGING_REQUEST],
    responseExamples: { 201: TAGGING_ANSWER },
  }
}

function listMembershipActivity(verb: 'add' | 'remove') {
  return {
    operationId: `BulkActivitiesApi.${verb === 'add' ? 'createListAddActivity' : 'createListRemoveActivity'}`,
    summary: `${verb === 'add' ? 'Put' : 'Take'} the contacts a selector picks ${verb === 'add' ? 'on' : 'off'} lists (async)`,
    description: `\`list_ids\`: 1–50 lists of the account (else 400). The same engine as tagging activities: answers 201 at once, chunks of \`ACTIVITY_CHUNK_SIZE\`, resumable, \`?dry_run=true\`, \`Idempotency-Key\`, undo (\`POST /v3/activities/{activity_id}/undo\`) and per-contact results (\`list_ids_added\`/\`list_ids_removed\`). ${sourceRules} Contacts already on every list (or on none, removing) are counted as skipped. ${scope}`,
    requestExamples: [
      {
        source: { tag_ids: ['1379693c-5b13-87de-89e8-cc7c805c27a0'] },
        list_ids: ['c149ae80-cd2e-11e6-9274-00163e3b3e3f'],
      },
    ],
    responseExamples: { 201: TAGGING_ANSWER },
  }
}

/** Every Constant Contact-dialect operation; the OpenAPI document refuses a route missing here. */
export const CONSTANT_CONTACT_OPERATION_DOCS: OperationDocs = {
  'POST /v3/activities/contacts_taggings_add': taggingActivity('add'),
  'POST /v3/activities/contacts_taggings_remove': taggingActivity('remove'),
  'POST /v3/activities/add_list_memberships': listMembershipActivity('add'),
  'POST /v3/activities/remove_list_memberships': listMembershipActivity('remove'),
  'POST /v3/activities/contacts_tags_delete': {
    operationId: 'BulkActivitiesApi.createTagDeleteActivity',
    summary: 'Delete tags: they leave every contact, then are deleted (async)',
    description: `\`tag_ids\`: 1–500 tags of the account. Answers 201 with the activity; its undo creates the tags again and restores them. ${scope}`,
    requestExamples: [{ tag_ids: ['1379693c-5b13-87de-89e8-cc7c805c27a0'] }],
  },
  'POST /v3/activities/:activity_id/undo': {
    operationId: 'TagbaseActivitiesApi.createUndoActivity',
    summary: 'Undo a finished tagging, list-membership or tag-delete activity (Tagbase’s own)',
    description: `Queues an activity that reverts what the original changed, contact by contact; a contact changed since, or deleted, is left alone and reported. Only add, remove, list-membership and tag-delete activities that ended (completed, failed or cancelled part-way), and only once: a second undo → 409 naming the first. ${scope}`,
  },
  'GET /v3/activities/:activity_id/results': {
    operationId: 'TagbaseActivitiesApi.getActivityResults',
    summary: 'What an activity changed and skipped, per contact (Tagbase’s own)',
    description: `\`outcome=changed|skipped\` filters; pages with \`limit\` and \`_links.next\`. Each result: \`contact_id\`, \`outcome\`, \`tags_added\`, \`tags_removed\`, and for skips the \`reason\`. ${scope}`,
  },
  'GET /v3/activities/:activity_id': {
    operationId: 'BulkActivitiesApi.getActivityById',
    summary: 'Get an activity',
    description: `\`state\`: initialized, processing, completed, cancelled or failed; \`percent_done\` and \`status.items_total_count\`/\`items_completed_count\` follow the chunks. ${scope}`,
  },
  'GET /v3/activities': {
    operationId: 'BulkActivitiesApi.getAllActivities',
    summary: 'List activities, newest first',
    description: `\`limit\` 1–500 (default 50), \`state\` filters, \`_links.next\` pages. ${scope}`,
  },
  'GET /v3/contact_tags': {
    operationId: 'ContactTagsApi.getAllTags',
    summary: 'List tags',
    description: `\`limit\` ≤ 500 (default 50), \`include_count=true\` adds \`contacts_count\` (live contacts), \`_links.next\` pages. ${scope}`,
  },
  'POST /v3/contact_tags': {
    operationId: 'ContactTagsApi.postTag',
    summary: 'Create a tag',
    description: `\`name\` ≤ 255 characters, unique without case (else 409); \`tag_source\` optional. ${scope}`,
    requestExamples: [{ name: 'Loyal customer', tag_source: 'Tagbase' }],
  },
  'GET /v3/contact_tags/:tag_id': {
    operationId: 'ContactTagsApi.getTag',
    summary: 'Get a tag',
    description: `\`include_count=true\` adds \`contacts_count\`. ${scope}`,
  },
  'PUT /v3/contact_tags/:tag_id': {
    operationId: 'ContactTagsApi.putTag',
    summary: 'Rename a tag',
    description: `A name another tag has → 409. ${scope}`,
  },
  'DELETE /v3/contact_tags/:tag_id': {
    operationId: 'ContactTagsApi.deleteTag',
    summary: 'Delete a tag (async)',
    description: `202 with the activity that removes the tag from every contact and then deletes it. ${scope}`,
  },
  'GET /v3/contact_lists': {
    operationId: 'ContactListsApi.getAllLists',
    summary: 'List contact lists',
    description: `\`limit\` ≤ 1000 (default 50), \`include_membership_count=all|active\` adds each list's member count; answers \`lists_count\` and \`_links.next\`. ${scope}`,
  },
  'POST /v3/contact_lists': {
    operationId: 'ContactListsApi.createList',
    summary: 'Create a contact list',
    description: `\`name\` unique (else 409). ${scope}`,
    requestExamples: [
      { name: 'Spring promotion', favorite: false, description: 'Customers who asked about spring' },
    ],
  },
  'GET /v3/contact_lists/:list_id': {
    operationId: 'ContactListsApi.getList',
    summary: 'Get a contact list',
    description: scope,
  },
  'PUT /v3/contact_lists/:list_id': {
    operationId: 'ContactListsApi.updateList',
    summary: 'Update a contact list',
    description: `A name another list has → 409. ${scope}`,
  },
  'DELETE /v3/contact_lists/:list_id': {
    operationId: 'ContactListsApi.deleteList',
    summary: 'Delete a contact list',
    description: `204; its memberships go with it, the contacts stay. ${scope}`,
  },
  'POST /v3/contacts': {
    operationId: 'ContactsApi.createContact',
    summary: 'Create a contact',
    description: `\`email_address.address\` unique without case (else 409); \`taggings\` and \`list_memberships\` are ids of the account. ${scope}`,
    requestExamples: [
      {
        email_address: { address: 'dlang@example.com', permission_to_send: 'implicit' },
        first_name: 'David',
        last_name: 'Lang',
        create_source: 'Account',
        taggings: ['1379693c-5b13-87de-89e8-cc7c805c27a0'],
      },
    ],
  },
  'GET /v3/contacts': {
    operationId: 'ContactsApi.getAllContacts',
    summary: 'List contacts with filters',
    description: `Filters: \`status\`, \`email\`, \`tags\` (≤ 50), \`lists\` (≤ 25), \`created_after\`/\`created_before\`, \`updated_after\`/\`updated_before\` (ISO-8601); \`include=taggings,list_memberships\`; \`include_count=true\` adds \`contacts_count\`; \`_links.next\` pages. ${scope}`,
  },
  'GET /v3/contacts/counts': {
    operationId: 'ContactsApi.getContactCounts',
    summary: 'Count contacts by permission to send',
    description: `\`total\`, \`explicit\`, \`implicit\`, \`pending\`, \`unsubscribed\`; \`include=new_subscriber\` adds the new subscribers of the last \`NEW_SUBSCRIBER_DAYS\`. ${scope}`,
  },
  'GET /v3/contacts/:contact_id': {
    operationId: 'ContactsApi.getContactById',
    summary: 'Get a contact',
    description: `\`include=taggings,list_memberships\`. A contact of another account → 404. ${scope}`,
  },
  'PUT /v3/contacts/:contact_id': {
    operationId: 'ContactsApi.updateContact',
    summary: 'Update a contact',
    description: `Replaces the contact's fields; \`taggings\` and \`list_memberships\`, when given, replace its tags and lists. ${scope}`,
  },
  'DELETE /v3/contacts/:contact_id': {
    operationId: 'ContactsApi.deleteContact',
    summary: 'Delete a contact',
    description: `204; a soft delete: the contact leaves reads, lists and activities. ${scope}`,
  },
}
