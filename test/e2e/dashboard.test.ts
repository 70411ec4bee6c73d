import { mkdir } from 'node:fs/promises'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runActivityStep } from '../../src/services/runActivity.js'
import { registerWebhook } from '../../src/services/webhooks.js'
import { type ActivityRow, claimRunnableActivity } from '../../src/store/activities.js'
import { recordEndpointFailure } from '../../src/store/webhooks.js'
import { DIALECTS } from '../helpers/databases.js'
import { makeContact } from '../helpers/fixtures.js'
import { seedContacts } from '../helpers/seed.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { ALLOW_INTERNAL_TARGETS } from '../helpers/targets.js'

/** Debian's chromium package; the test fails (never skips) when it is missing. */
const CHROMIUM = process.env.TAGBASE_TEST_CHROMIUM ?? '/usr/bin/chromium'
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url)
const CONTACTS = 3000
const CHUNK = 1000

/** What the activity's row on the page says: its state and the percent drawn in its bar. */
async function activityRow(page: Page, activityId: string) {
  const row = page.locator(`#activities tr[data-activity-id="${activityId}"]`)
  return { state: await row.getAttribute('data-state'), percent: await row.locator('.percent').textContent() }
}

for (const dialect of DIALECTS) {
  describe(`dashboard in Chromium on ${dialect}`, () => {
    let s: TestServer
    let browser: Browser
    let page: Page
    const pageErrors: string[] = []
    const refusedRequests: string[] = []

    beforeAll(async () => {
      s = await startTestServer(dialect, { dashboard: { liveFeed: { pollMs: 100, keepAliveMs: 5000 } } })
      // This test runs the activity's steps itself, so it can watch each one arrive on the page.
      await s.worker.stop()
      await seedContacts(s.database, s.locationId, CONTACTS - 1)
      await makeContact(s.database, s.locationId, ['existing'])
      await registerWebhook(
        s.database,
        s.locationId,
        { url: 'http://127.0.0.1:9/unreachable' },
        ALLOW_INTERNAL_TARGETS,
      )
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      })
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      page.on('pageerror', (error) => pageErrors.push(error.message))
      page.on('response', (response) => {
        if (response.status() >= 400)
          refusedRequests.push(
            `${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`,
          )
      })
    })
    afterAll(async () => {
      await browser?.close()
      await s?.close()
    })

    it('starts an activity from the page and shows its progress live until 100 %', async () => {
      // The login link `tagbase serve` prints: it sets the operator cookie and opens the page.
      await page.goto(`${s.baseUrl}/dashboard/login?token=${encodeURIComponent(s.operatorToken)}`)
      expect(new URL(page.url()).pathname).toBe('/')
      await page.getByRole('button', { name: /Tenant A/ }).click()
      await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('live')
      expect(await page.locator('#location-contacts').textContent()).toBe('3,000')
      expect(await page.locator('#tags tr[data-tag-name="existing"] .tag-contacts').textContent()).toBe('1')

      // A refused request is explained on the page, and starts nothing.
      await page.selectOption('select[name="operation"]', 'remove')
      await page.fill('input[name="tags"]', 'never-made')
      await page.click('button[type="submit"]')
      await expect.poll(() => page.locator('#start-result').textContent()).toMatch(/no such tags.*never-made/)
      expect(await page.locator('#start-result').getAttribute('class')).toBe('error')

      await page.selectOption('select[name="operation"]', 'add')
      await page.fill('input[name="tags"]', 'spring-sale, vip')
      await page.click('button[type="submit"]')
      await expect.poll(() => page.locator('#start-result').getAttribute('data-activity-id')).toBeTruthy()
      const activityId = (await page.locator('#start-result').getAttribute('data-activity-id')) as string
      await expect.poll(() => activityRow(page, activityId)).toEqual({ state: 'initialized', percent: '1 %' })

      // Run the activity chunk by chunk; after each step the page shows what the database says.
      const lease = {
        owner: 'e2e',
        now: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 120_000).toISOString(),
      }
      const claimed = (await s.database.transaction((tx) => claimRunnableActivity(tx, lease))) as ActivityRow
      expect(claimed.id).toBe(activityId)
      const seen: string[] = []
      for (;;) {
        const outcome = await runActivityStep(s.database, claimed, lease, {
          chunkSize: CHUNK,
          newSubscriberDays: 30,
        })
        const row = (await s.request('GET', `/v3/activities/${activityId}`, { version: null })).body
        const expected = { state: row.state, percent: `${row.percent_done} %` }
        await expect.poll(() => activityRow(page, activityId)).toEqual(expected)
        seen.push(`${expected.state} ${expected.percent}`)
        if (outcome === 'done') break
      }
      // 99 % after the last chunk: Constant Contact's percent_done reads 100 only once completed.
      expect(seen).toEqual([
        'processing 1 %',
        'processing 33 %',
        'processing 66 %',
        'processing 99 %',
        'completed 100 %',
      ])
      // The row says which tags the activity added; the message under the form followed it to its end.
      await expect
        .poll(() =>
          page.locator(`#activities tr[data-activity-id="${activityId}"] .activity-tags`).textContent(),
        )
        .toBe(' spring-sale, vip')
      await expect
        .poll(() => page.locator('#start-result').textContent())
        .toBe(`Activity ${activityId} completed`)
      expect(
        await page
          .locator(`#activities tr[data-activity-id="${activityId}"] code.copyable`)
          .getAttribute('title'),
      ).toBe(`${activityId} (click to copy)`)

      // Finishing refreshes the tag counts; the webhook now owes a delivery per changed contact.
      await expect
        .poll(() => page.locator('#tags tr[data-tag-name="spring-sale"] .tag-contacts').textContent())
        .toBe('3,000')
      expect(await page.locator('#tags tr[data-tag-name="vip"] .tag-contacts').textContent()).toBe('3,000')
      const webhook = page.locator('#webhooks tbody tr')
      expect(await webhook.getAttribute('data-health')).toBe('ok')
      expect(await webhook.locator('td').nth(3).textContent()).toBe('3,000')

      // Undo from the page queues an undo (no worker runs here, so it waits); Cancel stops it.
      await page
        .locator(`#activities tr[data-activity-id="${activityId}"] button[data-action="undo"]`)
        .click()
      await expect.poll(() => page.locator('#activity-result').textContent()).toMatch(/^Undo .* queued$/)
      const undoRow = page.locator('#activities tbody tr').first()
      await expect.poll(() => undoRow.getAttribute('data-state')).toBe('initialized')
      const undoId = (await undoRow.getAttribute('data-activity-id')) as string
      expect(undoId).not.toBe(activityId)
      await undoRow.locator('button[data-action="cancel"]').click()
      await expect.poll(() => activityRow(page, undoId)).toEqual({ state: 'cancelled', percent: '0 %' })
      // A cancelled activity offers nothing more.
      expect(await page.locator(`#activities tr[data-activity-id="${undoId}"] button`).count()).toBe(0)

      // The sidebar says how many contacts each location has.
      expect(
        await page
          .locator(`#locations button[data-location-id="${s.locationId}"] .location-contacts`)
          .textContent(),
      ).toBe(' 3,000 contacts')

      // An endpoint that keeps failing shows its last error beside its failures in a row.
      const webhookId = (await webhook.getAttribute('data-webhook-id')) as string
      await recordEndpointFailure(
        s.database,
        s.locationId,
        webhookId,
        4,
        { message: 'HTTP 503', at: new Date().toISOString() },
        () => new Date(Date.now() + 600_000).toISOString(),
      )
      await expect.poll(() => webhook.getAttribute('data-health')).toBe('paused')
      expect(await webhook.textContent()).toContain('(4 failures in a row)')
      expect(await webhook.locator('.last-error').textContent()).toMatch(/^last error: HTTP 503 at /)

      await mkdir(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: new URL(`dashboard-${dialect}.png`, ARTIFACTS).pathname, fullPage: true })

      // At a phone's width the page reflows to one column: nothing wider than the screen, the
      // header whole.
      await page.setViewportSize({ width: 390, height: 844 })
      await expect
        .poll(() => page.evaluate<number>('document.documentElement.scrollWidth'))
        .toBeLessThanOrEqual(390)
      for (const part of ['header h1', 'header nav', '#locations', '#location-name'])
        expect((await page.locator(part).boundingBox())?.x ?? -1, part).toBeGreaterThanOrEqual(0)
      const nav = await page.locator('header nav').boundingBox()
      expect((nav?.x ?? 0) + (nav?.width ?? 999)).toBeLessThanOrEqual(390)
      await page.screenshot({
        path: new URL(`dashboard-${dialect}-390px.png`, ARTIFACTS).pathname,
        fullPage: true,
      })
      expect(pageErrors).toEqual([])
      expect(refusedRequests).toEqual([`POST /dashboard/api/locations/${s.locationId}/activities 400`])
    })
  })
}
