/**
 * What /docs says of one operation. The operationId is the vendor SDK's call where one exists,
 * with the SDK's own namespace: `contacts.createAssociation` is `ghl.contacts.createAssociation`
 * in `@gohighlevel/api-client`, `ContactsApi.createContact` the generated Constant Contact
 * client's method. The namespace also keeps ids unique across the two dialects (both SDKs have
 * a `createContact`); Tagbase's own operations are named alike under `webhooks.`,
 * `TagbaseActivitiesApi.` and `operations.`.
 */
export type OperationDoc = {
  operationId: string
  summary: string
  /** The rules and limits a caller needs; Markdown. */
  description: string
  /** Request bodies shown in /docs, first one as the example. */
  requestExamples?: readonly unknown[]
  /** Response examples by status code. */
  responseExamples?: Readonly<Record<number, unknown>>
}

/** Operation docs keyed by `METHOD /fastify/:path`, as the route was registered. */
export type OperationDocs = Readonly<Record<string, OperationDoc>>
