import type { OperationDocs } from '../operationDoc.js'

const SCOPES = 'Token scope'
const locationRule = 'The `locationId` must be the token’s own location (else 403).'

/** The seeds' own bulk request and answer (HighLevel's documentation of the endpoint). */
const BULK_REQUEST = {
  contacts: ['qFSqySFkVvNzOSqgGqFi', 'abcdef', 'qFSqySFkVvNzOSqgGqFi', '3ualbhnV7j3n3a9r2moD'],
  tags: ['tag-1', 'tag-2'],
  locationId: 'asdrwHvLUxlfw5SqKVCN',
  removeAllTags: false,
}
const BULK_ANSWER = {
  succeded: true,
  errorCount: 0,
  responses: [
    {
      contactId: 'qFSqySFkVvNzOSqgGqFi',
      message: 'Tags updated',
      type: 'success',
      oldTags: ['tag-1', 'tag-2'],
      tagsAdded: [],
      tagsRemoved: [],
    },
    { contactId: 'abcdef', message: 'contact id is not a valid firebase id', type: 'error' },
    { contactId: 'qFSqySFkVvNzOSqgGqFi', message: 'contact is deleted', type: 'error' },
    { contactId: '3ualbhnV7j3n3a9r2moD', message: 'contact does not belong to location', type: 'error' },
  ],
}

/** Every HighLevel-dialect operation; the OpenAPI document refuses a route missing here. */
export const HIGHLEVEL_OPERATION_DOCS: OperationDocs = {
  'POST /contacts/bulk/tags/update/:type': {
    operationId: 'contacts.createAssociation',
    summary: 'Add or remove tags on up to 1000 contacts at once',
    description: `\`type\` is \`add\` or \`remove\`. \`contacts\`: 1–1000 ids; \`tags\`: 1–100 names (empty only with \`removeAllTags\`, which needs \`remove\` and removes every tag). Over a limit → 422 pointing to the async \`/v3/activities\` API.

One response per entry of \`contacts\`, in request order, as if applied one at a time inside one transaction (a repeated id reports no change the second time). Errors for some contacts (\`contact id is not a valid firebase id\`, \`contact not found\`, \`contact is deleted\`, \`contact does not belong to location\`) do not stop the others; \`succeded\` (HighLevel's spelling) is \`errorCount === 0\`. New tag names are created in the location. \`?dry_run=true\` answers 200 with what would happen and changes nothing. ${locationRule} ${SCOPES}: contacts.write.`,
    requestExamples: [BULK_REQUEST],
    responseExamples: { 201: BULK_ANSWER },
  },
  'POST /contacts/': {
    operationId: 'contacts.createContact',
    summary: 'Create a contact',
    description: `A contact with the same email (case-insensitive) or phone (E.164, any spelling) as a live contact of the location → 400 \`This location does not allow duplicated contacts.\` with \`meta.contactId\`. \`tags\` become the contact's tags. ${locationRule} ${SCOPES}: contacts.write.`,
    requestExamples: [
      {
        locationId: 've9EPM428h8vShlRW1KT',
        firstName: 'Rosan',
        lastName: 'Deo',
        email: 'rosan@deos.com',
        tags: ['vip'],
      },
    ],
  },
  'GET /contacts/': {
    operationId: 'contacts.getContacts',
    summary: 'List the location’s contacts',
    description: `Pages by contact id: \`startAfterId\` = the last id seen, \`limit\` 1–100 (default 20). \`query\` matches names, email, phone and company without case. ${locationRule} ${SCOPES}: contacts.readonly.`,
  },
  'POST /contacts/upsert': {
    operationId: 'contacts.upsertContact',
    summary: 'Create a contact, or update the one with the same email or phone',
    description: `Matches a live contact of the location by email (case-insensitive), then phone (E.164); updates it (\`new: false\`) or creates one (\`new: true\`). ${locationRule} ${SCOPES}: contacts.write.`,
  },
  'GET /contacts/:contactId': {
    operationId: 'contacts.getContact',
    summary: 'Get a contact',
    description: `A contact of another location answers 400 \`Contact not found\`, as a missing one does. ${SCOPES}: contacts.readonly.`,
  },
  'PUT /contacts/:contactId': {
    operationId: 'contacts.updateContact',
    summary: 'Update a contact',
    description: `Fields given replace the stored ones; \`tags\`, when given, replace the contact's tags. ${SCOPES}: contacts.write.`,
  },
  'DELETE /contacts/:contactId': {
    operationId: 'contacts.deleteContact',
    summary: 'Delete a contact',
    description: `A soft delete: the contact leaves reads and lists, and the bulk endpoint reports it as \`contact is deleted\`. Sends ContactDelete to webhooks that asked for it. ${SCOPES}: contacts.write.`,
  },
  'POST /contacts/:contactId/tags': {
    operationId: 'contacts.addTags',
    summary: 'Add tags to one contact',
    description: `\`tags\`: 1–100 names; new names are created in the location. Answers the contact's tags. ${SCOPES}: contacts.write.`,
  },
  'DELETE /contacts/:contactId/tags': {
    operationId: 'contacts.removeTags',
    summary: 'Remove tags from one contact',
    description: `\`tags\`: 1–100 names; names the contact does not carry are ignored. Answers the contact's tags. ${SCOPES}: contacts.write.`,
  },
  'POST /contacts/search': {
    operationId: 'contacts.searchContactsAdvanced',
    summary: 'Search contacts with filters, sort and paging',
    description: `\`pageLimit\` ≤ 500; \`page\` × \`pageLimit\` up to 10 000, past that \`searchAfter\`. \`filters\` are ANDed; \`{group: "AND"|"OR", filters}\` nests two deep (≤ 50 entries). Fields: \`tags\`, \`email\`, \`phone\`, \`firstNameLowerCase\`, \`lastNameLowerCase\`, \`companyName\`, \`dateAdded\`, \`dateUpdated\`, \`dnd\`; any other field or operator → 422 naming it. \`sort\`: \`dateAdded\` or \`dateUpdated\`, \`asc\`/\`desc\`. ${locationRule} ${SCOPES}: contacts.readonly.`,
    requestExamples: [
      {
        locationId: 've9EPM428h8vShlRW1KT',
        pageLimit: 20,
        filters: [{ field: 'tags', operator: 'contains', value: ['vip'] }],
        sort: [{ field: 'dateAdded', direction: 'desc' }],
      },
    ],
  },
  'GET /contacts/search/duplicate': {
    operationId: 'contacts.getDuplicateContact',
    summary: 'Find the contact a new one would duplicate',
    description: `The live contact with this \`email\` (case-insensitive), else this \`number\` (any spelling of the phone), or \`{contact: null}\`. ${locationRule} ${SCOPES}: contacts.readonly.`,
  },
  'GET /locations/:locationId/tags': {
    operationId: 'locations.getLocationTags',
    summary: 'List the location’s tags',
    description: `Every tag of the location, by name. ${locationRule} ${SCOPES}: locations/tags.readonly.`,
  },
  'POST /locations/:locationId/tags': {
    operationId: 'locations.createTag',
    summary: 'Create a tag',
    description: `Names are trimmed, stored lower-case and compared without case; at most 255 characters. An existing name → 400 \`Tag with the same name already exists\`. ${locationRule} ${SCOPES}: locations/tags.write.`,
  },
  'GET /locations/:locationId/tags/:tagId': {
    operationId: 'locations.getTagById',
    summary: 'Get a tag',
    description: `${locationRule} ${SCOPES}: locations/tags.readonly.`,
  },
  'PUT /locations/:locationId/tags/:tagId': {
    operationId: 'locations.updateTag',
    summary: 'Rename a tag',
    description: `Contacts carrying the tag carry the new name. A name another tag has → 400 \`Tag with the same name already exists\`. ${locationRule} ${SCOPES}: locations/tags.write.`,
  },
  'DELETE /locations/:locationId/tags/:tagId': {
    operationId: 'locations.deleteTag',
    summary: 'Delete a tag',
    description: `The tag leaves every contact (each one logged as a ContactTagUpdate event) and is deleted. ${locationRule} ${SCOPES}: locations/tags.write.`,
  },
  'GET /locations/:locationId/webhooks': {
    operationId: 'webhooks.getLocationWebhooks',
    summary: 'List the location’s webhooks (Tagbase’s own)',
    description: `Each webhook with its delivery health (pending, dead, paused). HighLevel configures webhooks in its marketplace app; this route is Tagbase's. ${locationRule} ${SCOPES}: contacts.readonly.`,
  },
  'POST /locations/:locationId/webhooks': {
    operationId: 'webhooks.createLocationWebhook',
    summary: 'Register a webhook (Tagbase’s own)',
    description: `\`url\` (≤ 2048 characters; internal addresses refused unless the operator allows them); \`events\`: ContactTagUpdate is always sent, add ContactCreate and/or ContactDelete. Each delivery is signed (Ed25519 over the body, base64 in \`x-ghl-signature\`) and retried with backoff until delivered or dead. ${locationRule} ${SCOPES}: contacts.write.`,
  },
  'GET /locations/:locationId/webhooks/:webhookId': {
    operationId: 'webhooks.getLocationWebhook',
    summary: 'Get a webhook (Tagbase’s own)',
    description: `${locationRule} ${SCOPES}: contacts.readonly.`,
  },
  'DELETE /locations/:locationId/webhooks/:webhookId': {
    operationId: 'webhooks.deleteLocationWebhook',
    summary: 'Delete a webhook (Tagbase’s own)',
    description: `Deliveries to it stop. ${locationRule} ${SCOPES}: contacts.write.`,
  },
  'POST /locations/:locationId/webhooks/:webhookId/redrive': {
    operationId: 'webhooks.redriveLocationWebhook',
    summary: 'Queue a webhook’s dead deliveries again (Tagbase’s own)',
    description: `Deliveries that ran out of attempts are pending again, and a paused endpoint resumes. ${locationRule} ${SCOPES}: contacts.write.`,
  },
}
