import { type Static, Type } from '@sinclair/typebox'

export const LocationParams = Type.Object({ locationId: Type.String({ minLength: 1, maxLength: 64 }) })

export const ActivityParams = Type.Object({
  locationId: Type.String({ minLength: 1, maxLength: 64 }),
  activityId: Type.String({ minLength: 1, maxLength: 64 }),
})

const TagNames = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100 })

/** The dashboard form's request: what to do, which tags, over which contacts. */
export const StartTaggingBody = Type.Object(
  {
    operation: Type.Union([Type.Literal('add'), Type.Literal('remove')]),
    tags: TagNames,
    source: Type.Union([
      Type.Object({ allActiveContacts: Type.Literal(true) }, { additionalProperties: false }),
      Type.Object(
        { tagIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 500 }) },
        { additionalProperties: false },
      ),
    ]),
  },
  { additionalProperties: false },
)
export type StartTaggingBody = Static<typeof StartTaggingBody>
