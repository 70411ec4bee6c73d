import type { ContactTagUpdate } from '../store/events.js'

/** Tag rows a chunk added and removed (filled in by the chunk, counted once it commits). */
export type WrittenRows = { source?: string; added: number; removed: number }

export function countUpdates(written: WrittenRows, updates: readonly ContactTagUpdate[]): void {
  for (const update of updates) {
    written.added += update.tagsAdded.length
    written.removed += update.tagsRemoved.length
  }
}
