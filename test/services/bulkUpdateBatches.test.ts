import { describe, expect, it } from 'vitest'
import {
  BulkUpdateBatches,
  MERGED_BATCH_CONTACTS,
  type QueuedBulkRequest,
  takeMergeable,
} from '../../src/services/bulkUpdateBatches.js'
import { DatabaseUnavailableError } from '../../src/store/database.js'

type Request = QueuedBulkRequest<string> & { name: string }

function request(name: string, contactIds: string[]): { request: Request; answer: Promise<string> } {
  let resolve!: (value: string) => void
  let reject!: (error: unknown) => void
  const answer = new Promise<string>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Settled before the test looks at it: not an unhandled rejection.
  answer.catch(() => {})
  return { request: { name, contactIds, resolve, reject }, answer }
}

/** An apply function that records each batch and waits until `release` lets it finish. */
function recordingApply(fail: (batch: readonly Request[]) => unknown = () => undefined) {
  const batches: string[][] = []
  const releases: Array<() => void> = []
  const apply = async (take: () => readonly Request[]) => {
    const batch = take()
    batches.push(batch.map((r) => r.name))
    await new Promise<void>((resolve) => releases.push(resolve))
    const error = fail(batch)
    if (error) throw error
    return batch.map((r) => `done:${r.name}`)
  }
  const releaseAll = async () => {
    for (let i = 0; i < 20 && releases.length > 0; i++) {
      for (const release of releases.splice(0)) release()
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  return { apply, batches, releaseAll }
}

describe('takeMergeable', () => {
  it('takes the longest prefix of requests on disjoint contacts', () => {
    const waiting = [
      { contactIds: ['a', 'b'] },
      { contactIds: ['c'] },
      { contactIds: ['b', 'd'] },
      { contactIds: ['e'] },
    ]
    expect(takeMergeable(waiting).map((r) => r.contactIds)).toEqual([['a', 'b'], ['c']])
    // The request after the overlapping one waits too: a later request never overtakes an earlier one.
    expect(waiting.map((r) => r.contactIds)).toEqual([['b', 'd'], ['e']])
  })

  it('stops before the batch would pass the largest request, but always takes one', () => {
    const big = Array.from({ length: MERGED_BATCH_CONTACTS }, (_, i) => `big${i}`)
    const waiting = [{ contactIds: big }, { contactIds: ['x'] }]
    expect(takeMergeable(waiting)).toEqual([{ contactIds: big }])
    const almost = Array.from({ length: MERGED_BATCH_CONTACTS - 1 }, (_, i) => `n${i}`)
    const more = [{ contactIds: almost }, { contactIds: ['y'] }, { contactIds: ['z'] }]
    expect(takeMergeable(more).map((r) => r.contactIds.length)).toEqual([MERGED_BATCH_CONTACTS - 1, 1])
  })
})

describe('BulkUpdateBatches', () => {
  it('applies a request at once, and merges those that queued behind it into the next batch', async () => {
    const { apply, batches, releaseAll } = recordingApply()
    const batcher = new BulkUpdateBatches<Request, string>(apply)
    const requests = ['r1', 'r2', 'r3', 'r4'].map((name, i) => request(name, [`c${i}`]))
    for (const { request } of requests) batcher.submit('edit', request)
    // Another edit is not held behind this one.
    const other = request('o1', ['c0'])
    batcher.submit('other edit', other.request)
    expect(batches).toEqual([['r1'], ['o1']])
    await releaseAll()
    expect(batches).toEqual([['r1'], ['o1'], ['r2', 'r3', 'r4']])
    expect(await Promise.all(requests.map((r) => r.answer))).toEqual([
      'done:r1',
      'done:r2',
      'done:r3',
      'done:r4',
    ])
    expect(await other.answer).toBe('done:o1')
  })

  it('takes into a batch the requests that arrived before its transaction began', async () => {
    const batches: string[][] = []
    const calls: Array<() => void> = []
    const transactionCalled: Array<() => void> = []
    // Each transaction begins (and takes its batch) only when the test lets it.
    const apply = async (take: () => readonly Request[]) => {
      transactionCalled.shift()?.()
      await new Promise<void>((resolve) => calls.push(resolve))
      const batch = take()
      batches.push(batch.map((r) => r.name))
      return batch.map((r) => `done:${r.name}`)
    }
    const called = () => new Promise<void>((resolve) => transactionCalled.push(resolve))
    const batcher = new BulkUpdateBatches<Request, string>(apply)
    const [r1, r2, r3] = ['r1', 'r2', 'r3'].map((name, i) => request(name, [`c${i}`]))
    if (!r1 || !r2 || !r3) throw new Error('requests')
    const first = called()
    batcher.submit('edit', r1.request)
    await first
    const second = called()
    calls.shift()?.()
    await r1.answer
    batcher.submit('edit', r2.request)
    // r2 arrived while r1's batch ran: the next transaction starts with only r2 waiting...
    await second
    // ...and r3 arrives before it begins, so it joins that batch instead of waiting for another.
    batcher.submit('edit', r3.request)
    calls.shift()?.()
    expect(await Promise.all([r2.answer, r3.answer])).toEqual(['done:r2', 'done:r3'])
    expect(batches).toEqual([['r1'], ['r2', 'r3']])
  })

  it('keeps a request that shares a contact with an earlier one for a later batch', async () => {
    const { apply, batches, releaseAll } = recordingApply()
    const batcher = new BulkUpdateBatches<Request, string>(apply)
    const requests = [
      request('first', ['a']),
      request('second', ['b']),
      request('again-b', ['b', 'c']),
      request('third', ['d']),
    ]
    for (const { request } of requests) batcher.submit('edit', request)
    await releaseAll()
    expect(batches).toEqual([['first'], ['second'], ['again-b', 'third']])
    await Promise.all(requests.map((r) => r.answer))
  })

  it("applies a failed batch's requests again one by one, so only the faulty one fails", async () => {
    const refused = new Error('refused')
    const { apply, batches, releaseAll } = recordingApply((batch) =>
      batch.some((r) => r.name === 'bad') ? refused : undefined,
    )
    const batcher = new BulkUpdateBatches<Request, string>(apply)
    const requests = [
      request('lead', ['a']),
      request('ok', ['b']),
      request('bad', ['c']),
      request('fine', ['d']),
    ]
    for (const { request } of requests) batcher.submit('edit', request)
    await releaseAll()
    expect(batches).toEqual([['lead'], ['ok', 'bad', 'fine'], ['ok'], ['bad'], ['fine']])
    const settled = await Promise.allSettled(requests.map((r) => r.answer))
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      'done:lead',
      'done:ok',
      'refused',
      'done:fine',
    ])
  })

  it('answers the requests queued behind a batch that found the database down at once, with its error', async () => {
    const down = new DatabaseUnavailableError('connect', new Error('refused'))
    const { apply, batches, releaseAll } = recordingApply((batch) =>
      batch[0]?.name === 'lead' ? down : undefined,
    )
    const batcher = new BulkUpdateBatches<Request, string>(apply)
    const requests = [request('lead', ['a']), request('queued', ['b']), request('queued too', ['c'])]
    for (const { request } of requests) batcher.submit('edit', request)
    await releaseAll()
    // Only the one batch ran: the others waited on it and were not applied.
    expect(batches).toEqual([['lead']])
    const settled = await Promise.allSettled(requests.map((r) => r.answer))
    expect(settled.map((s) => s.status === 'rejected' && s.reason)).toEqual([down, down, down])
    // The edit starts afresh afterwards.
    const later = request('later', ['a'])
    batcher.submit('edit', later.request)
    await releaseAll()
    expect(await later.answer).toBe('done:later')
  })
})
