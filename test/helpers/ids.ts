import { firebaseIdToUuid, uuidToFirebaseId } from '../../src/domain/ids.js'

/** A contact's or tag's id as the Constant Contact dialect names it (a UUID). */
export const ccId = (id: string): string => firebaseIdToUuid(id)

/** A /v3 contact or tag id as the HighLevel dialect (and the store) names it. */
export const hlId = (uuid: string): string => {
  const id = uuidToFirebaseId(uuid)
  if (!id) throw new Error(`${uuid} names no Tagbase id`)
  return id
}
