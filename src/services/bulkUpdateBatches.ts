import { isDatabaseUnavailable } from '../store/database.js'

/**
 * One bulk request waiting to be applied: its well-formed distinct ids decide what it may be
 * merged with; it is answered through `resolve` or `reject`.
 */
export type QueuedBulkRequest<Outcome> = {
  readonly contactIds: readonly string[]
  readonly resolve: (outcome: Outcome) => void
  readonly reject: (error: unknown) => void
}

/**
 * Applies several requests of one edit with one set of statements, answering each in order. It
 * calls `take` once its transaction has begun, and applies the requests it returns: those still
 * waiting then join the batch (see BulkUpdateBatches.dispatch).
 */
export type ApplyMerged<Request extends QueuedBulkRequest<Outcome>, Outcome> = (
  take: () => readonly Request[],
) => Promise<Outcome[]>

/**
 * The most contacts one merged batch holds: the largest request the API takes, so a merged batch
 * runs statements of a size every single request already runs.
 */
export const MERGED_BATCH_CONTACTS = 1000

/**
 * One edit's requests: those waiting, and whether a batch of them is being applied. One batch at
 * a time keeps a busy tenant's identical edits to one transaction, each taking everything that
 * queued behind the one before (two at a time was measured no faster, at more CPU a request);
 * other tenants' and other edits' batches run beside it.
 */
type EditQueue<Request> = { running: boolean; waiting: Request[] }

/**
 * Concurrent bulk requests making the same edit (same location, operation, tags and source),
 * merged into one transaction of the same fixed set of statements: ten requests of ten contacts
 * cost one lock, one read, one write and one events insert instead of ten of each.
 *
 * A batch takes queued requests in arrival order and stops at the first one sharing a contact
 * with a request already in it (or taking it past MERGED_BATCH_CONTACTS), so each contact
 * sees its requests one after another, in order. Requests on disjoint contacts do not see each
 * other, so applying them together answers each exactly as applying it alone would.
 *
 * When a merged batch fails for anything but the database being down, each of its requests is
 * applied again on its own: one request's fault is answered to that request alone.
 */
export class BulkUpdateBatches<Request extends QueuedBulkRequest<Outcome>, Outcome> {
  private readonly edits = new Map<string, EditQueue<Request>>()

  constructor(private readonly applyMerged: ApplyMerged<Request, Outcome>) {}

  /** Queues `request` behind the batches of its edit (`editKey`) and starts a batch if none runs. */
  submit(editKey: string, request: Request): void {
    let queue = this.edits.get(editKey)
    if (queue === undefined) {
      queue = { running: false, waiting: [] }
      this.edits.set(editKey, queue)
    }
    queue.waiting.push(request)
    this.dispatch(editKey, queue)
  }

  /**
   * Starts the edit's next batch, which takes its requests only when its transaction begins: on
   * SQLite that is the next turn of the event loop (a transaction group), after the requests that
   * arrived meanwhile were read. Taken at dispatch, the batch missed them, so the ten clients of
   * bench:sync's small requests were answered by groups of ~3.4 requests (1.75 per batch).
   */
  private dispatch(editKey: string, queue: EditQueue<Request>): void {
    if (queue.running || queue.waiting.length === 0) return
    queue.running = true
    void this.applyBatch(queue).finally(() => {
      queue.running = false
      if (queue.waiting.length === 0) this.edits.delete(editKey)
      else this.dispatch(editKey, queue)
    })
  }

  /**
   * Applies a batch: the requests `given`, or (none given) the mergeable prefix of the waiting ones,
   * taken once the transaction asks for them. Only the requests taken are answered.
   */
  private async applyBatch(queue: EditQueue<Request>, given?: readonly Request[]): Promise<void> {
    let batch = given
    const take = () => {
      batch ??= takeMergeable(queue.waiting)
      return batch
    }
    try {
      const outcomes = await this.applyMerged(take)
      for (const [i, request] of (batch ?? []).entries()) request.resolve(outcomes[i] as Outcome)
    } catch (error) {
      // A transaction that failed before taking its batch (the database was down at BEGIN) fails it too.
      const failed = take()
      if (isDatabaseUnavailable(error)) {
        // The requests that queued behind this batch waited on a database found down: they are
        // answered now (503) rather than after a timeout of their own, so none waits on two.
        for (const request of [...failed, ...queue.waiting.splice(0)]) request.reject(error)
      } else if (failed.length === 1) {
        failed[0]?.reject(error)
      } else {
        await Promise.all(failed.map((request) => this.applyBatch(queue, [request])))
      }
    }
  }
}

/**
 * Removes and returns the longest prefix of `waiting` whose requests share no contact and hold at
 * most MERGED_BATCH_CONTACTS in all (at least one request, whatever its size).
 */
export function takeMergeable<Request extends { readonly contactIds: readonly string[] }>(
  waiting: Request[],
): Request[] {
  const taken = new Set<string>()
  let count = 0
  for (const request of waiting) {
    const fits = count === 0 || taken.size + request.contactIds.length <= MERGED_BATCH_CONTACTS
    if (!fits || request.contactIds.some((id) => taken.has(id))) break
    for (const id of request.contactIds) taken.add(id)
    count++
  }
  return waiting.splice(0, count)
}
