import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const key = () => readFileSync(join(__dirname, '..', '.e2e', 'key'), 'utf8').trim();

async function signIn(page: Page, email = 'admin@acme.test') {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('vigil-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

const rows = (page: Page) => page.locator('table.events:not(.compact) > tbody:not(.live) > tr');
const col = (page: Page, n: number) => page.locator(`table.events:not(.compact) > tbody:not(.live) > tr > td:nth-child(${n})`);

test('every tab shows its columns (screenshots)', async ({ page }) => {
  await signIn(page);
  const tabs: [string, string, string[]][] = [
    ['Jobs', '/jobs', ['Status', 'Job', 'Agent', 'Model', 'Type', 'Tokens', 'Evaluator', 'Time']],
    ['Threads', '/threads', ['Source', 'Type', 'Agent', 'Messages', 'Latest message', 'Time']],
    ['Events', '/events', ['Type', 'Severity', 'Description', 'Agent', 'Time']],
    ['AI interactions', '/ai', ['User', 'Action', 'Resource', 'Model', 'Tokens', 'Cost', 'DLP', 'IP', 'Time']],
    ['Admin activity', '/admin', ['Event', 'Category', 'User', 'Date and time', 'Description', 'IP']],
    ['Usage', '/usage', ['Time', 'Actor', 'AI worker', 'Executions', 'Credits', 'Balance after']],
  ];
  for (const [label, path, headers] of tabs) {
    await page.getByRole('link', { name: label, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    // The new tab's table replaces the old one after the URL changes: poll until it has.
    const heads = page.locator('table.events:not(.compact)').first().locator('thead th');
    await expect
      .poll(async () => (await heads.allInnerTexts()).map((t) => t.trim()).filter((t) => t))
      .toEqual(headers.map((h) => h.toUpperCase()));
    await expect(rows(page).first()).toBeVisible();
    await expect(page.locator('.range-words')).toContainText('Last 30 Days');
    await page.screenshot({ path: `screenshots/tab-${path.slice(1)}.png` });
  }
});

test('jobs: one row per job at its current state; status filter', async ({ page }) => {
  await signIn(page);
  await page.goto('/jobs');
  const ids = await col(page, 2).allInnerTexts();
  expect(new Set(ids).size).toBe(ids.length);
  await page.getByLabel('Status').selectOption('failed');
  await expect(page).toHaveURL(/\/jobs\?status=failed$/);
  // The old rows stay until the new page arrives: wait for the filtered page itself.
  await expect.poll(async () => [...new Set(await col(page, 1).allInnerTexts())]).toEqual(['failed']);
  // The URL alone reproduces the view.
  await page.reload();
  await expect(page.getByLabel('Status')).toHaveValue('failed');
  expect(new Set(await col(page, 1).allInnerTexts())).toEqual(new Set(['failed']));
  await page.goBack();
  await expect(page).toHaveURL(/\/jobs$/);
});

test('quick filters on threads, events and AI interactions', async ({ page }) => {
  await signIn(page);
  await page.goto('/threads');
  await page.getByLabel('Source').selectOption('slack');
  await expect(page).toHaveURL(/source=slack/);
  await expect(col(page, 1).first()).toHaveText('slack');
  expect(new Set(await col(page, 1).allInnerTexts())).toEqual(new Set(['slack']));

  await page.goto('/events');
  await page.getByLabel('Severity').selectOption('error');
  await expect(col(page, 2).first()).toHaveText('error');
  expect(new Set(await col(page, 2).allInnerTexts())).toEqual(new Set(['error']));

  await page.goto('/ai');
  await page.getByLabel('DLP result').selectOption('flagged');
  await expect(page).toHaveURL(/dlp=flagged/);
  await expect(col(page, 7).first()).toHaveText(/^(redacted|blocked):/);
  for (const v of await col(page, 7).allInnerTexts()) expect(v).toMatch(/^(redacted|blocked):/);
  await page.getByLabel('Model').fill('gpt-4o');
  await page.getByLabel('Model').press('Enter');
  await expect(page).toHaveURL(/model=gpt-4o/);
  await expect(col(page, 4).first()).toHaveText('gpt-4o');
  expect(new Set(await col(page, 4).allInnerTexts())).toEqual(new Set(['gpt-4o']));
});

test('filter builder with AND and with OR', async ({ page }) => {
  await signIn(page);
  await page.goto('/ai');
  await page.getByRole('button', { name: '+ Add condition' }).click();
  await page.getByLabel('Column').nth(0).selectOption('model');
  await page.getByLabel('Value').nth(0).fill('gpt-4o');
  await page.getByRole('button', { name: '+ Add condition' }).click();
  await page.getByLabel('Column').nth(1).selectOption('model');
  await page.getByLabel('Value').nth(1).fill('claude-sonnet-4');
  await page.getByLabel('Join').selectOption('or');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/f=model\.eq\.gpt-4o&f=model\.eq\.claude-sonnet-4&join=or/);
  await expect(col(page, 4).first()).toHaveText(/gpt-4o|claude-sonnet-4/);
  const either = new Set(await col(page, 4).allInnerTexts());
  expect([...either].every((m) => m === 'gpt-4o' || m === 'claude-sonnet-4')).toBe(true);
  expect(either.size).toBe(2);
  await page.screenshot({ path: 'screenshots/builder-or.png' });

  // AND: model is gpt-4o and user is not ana@acme.test.
  await page.getByLabel('Join').selectOption('and');
  await page.getByLabel('Column').nth(1).selectOption('user');
  await page.getByLabel('Operator').nth(1).selectOption('ne');
  await page.getByLabel('Value').nth(1).fill('ana@acme.test');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/f=user\.ne\.ana%40acme\.test&join=and/);
  await expect(col(page, 4).first()).toHaveText('gpt-4o');
  expect(new Set(await col(page, 4).allInnerTexts())).toEqual(new Set(['gpt-4o']));
  expect(await col(page, 1).allInnerTexts()).not.toContain('ana@acme.test');
});

test('time presets, calendar range, and the range in words', async ({ page }) => {
  await signIn(page);
  await page.goto('/events');
  await page.getByLabel('Time range').selectOption('today');
  await expect(page).toHaveURL(/range=today/);
  await expect(page.locator('.range-words')).toContainText('Today');
  const today = new Date().toISOString().slice(0, 10);
  // The list refreshes after the URL does: wait for it rather than read the old rows.
  await expect.poll(async () => (await col(page, 5).allInnerTexts()).every((t) => t.startsWith(today))).toBe(true);

  await page.getByLabel('Time range').selectOption('custom');
  await expect(page.getByLabel('End date')).toHaveValue(today);
  const start = new Date(Date.now() - 3 * 86400_000).toISOString().slice(0, 10);
  await page.getByLabel('Start date').fill(start);
  await page.getByLabel('Start date').dispatchEvent('change');
  await expect(page).toHaveURL(new RegExp(`range=custom&from=${start}`));
  await expect(page.locator('.range-words')).toContainText('(UTC)');
  await expect.poll(async () => (await col(page, 5).allInnerTexts()).every((t) => t.slice(0, 10) >= start)).toBe(true);

  await page.getByLabel('Time range').selectOption('last_year');
  await expect(page.getByText('No events found.')).toBeVisible();
  await expect(page.getByText('the time range may hide everything', { exact: false })).toBeVisible();
});

test('search is debounced and lands in the URL', async ({ page }) => {
  await signIn(page);
  await page.goto('/events');
  const requests: string[] = [];
  page.on('request', (r) => r.url().includes('/api/list_records') && requests.push(r.url()));
  await page.getByLabel('Search').pressSequentially('cron', { delay: 40 });
  await expect(page).toHaveURL(/q=cron/);
  await expect(col(page, 1).first()).toHaveText(/^cron\./);
  for (const t of await col(page, 1).allInnerTexts()) expect(t.startsWith('cron.')).toBe(true);
  // Four keystrokes, one query.
  expect(requests.length).toBe(1);
});

test('a search under three characters says why it does not run; Jobs take any prefix', async ({ page }) => {
  await signIn(page);
  await page.goto('/ai');
  await page.getByLabel('Search').pressSequentially('gp', { delay: 40 });
  await expect(page).toHaveURL(/q=gp/);
  await expect(page.getByRole('alert')).toHaveText('invalid search: at least 3 characters (on Jobs, any start of a job id or model)');
  await page.screenshot({ path: 'screenshots/search-short.png' });
  await page.getByLabel('Search').pressSequentially('t', { delay: 40 });
  await expect(page).toHaveURL(/q=gpt/);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(col(page, 1).first()).toBeVisible();
  await page.goto('/jobs?q=j');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(col(page, 2).first()).toHaveText(/^job_/);
});

test('live mode picks up a record ingested during the test', async ({ page, request }) => {
  await signIn(page);
  await page.goto('/events?live=1');
  await expect(page.getByRole('status')).toContainText('Live');
  const marker = `live-${Date.now()}`;
  const res = await request.post('/api/v1/events', {
    headers: { Authorization: `Bearer ${key()}` },
    data: { kind: 'system_event', account_id: 'acme-prod', type: 'deploy.finished', severity: 'warning', description: marker },
  });
  expect(res.status()).toBe(201);
  const fresh = page.locator('table.events tbody.live tr', { hasText: marker });
  await expect(fresh).toBeVisible({ timeout: 12_000 });
  await expect(fresh).toHaveClass(/fresh/);
  await expect(page.getByRole('status')).toContainText('last refreshed');
  await page.screenshot({ path: 'screenshots/live.png' });
});

test('detail drawer for every kind; platform text stays text', async ({ page, request }) => {
  const evil = '<img src=x onerror="window.__pwned=1">';
  const res = await request.post('/api/v1/events', {
    headers: { Authorization: `Bearer ${key()}` },
    data: { kind: 'thread', account_id: 'acme-prod', thread_id: 'thr_xss', source: 'webhook', type: 'chat', message_count: 1,
            latest_message: evil, transcript: [{ role: 'user', content: evil }] },
  });
  expect(res.status()).toBe(201);
  await signIn(page);
  const cases: [string, string][] = [
    ['/jobs', 'Status history'], ['/threads', 'Transcript'], ['/events', 'Metadata'],
    ['/ai', 'Record'], ['/admin', 'Metadata'], ['/usage', 'Record'],
  ];
  for (const [path, section] of cases) {
    await page.goto(path);
    await rows(page).first().locator('a.row-link').first().click();
    const drawer = page.getByRole('dialog', { name: 'Record detail' });
    await expect(drawer.getByRole('heading', { name: section, exact: true })).toBeVisible();
    await expect(drawer.locator('dl.fields')).toContainText('Hash');
    if (path === '/jobs') await expect(drawer.locator('ol.history li').first()).toContainText('queued');
  }
  await page.goto('/threads?q=thr_xss');
  await rows(page).first().locator('a.row-link').first().click();
  await expect(page.getByRole('dialog').locator('ol.transcript')).toContainText(evil);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await page.screenshot({ path: 'screenshots/drawer-thread.png' });
});

test('a running job can be cancelled from its row', async ({ page }) => {
  await signIn(page);
  await page.goto('/jobs?status=running');
  const row = rows(page).filter({ has: page.getByRole('button', { name: 'Cancel' }) }).first();
  const jobId = (await row.locator('td:nth-child(2)').innerText()).trim();
  await row.getByRole('button', { name: 'Cancel' }).click();
  const same = rows(page).filter({ hasText: jobId });
  await expect(same).toContainText('cancel requested');
  await page.goto('/admin?action=job.cancel_requested');
  await expect(rows(page).first()).toContainText('Job cancel requested');
});

test('usage: details, by user, by worker, tokens and cost with charts', async ({ page }) => {
  await signIn(page);
  await page.goto('/usage');
  await expect(page.getByRole('region', { name: 'Tokens and cost by model' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'Tokens and cost by model chart' }).locator('rect')).not.toHaveCount(0);
  await page.getByRole('link', { name: 'By user' }).click();
  await expect(page).toHaveURL(/view=by_user/);
  await expect(page.getByRole('region', { name: 'Credits by user' })).toBeVisible();
  await page.getByRole('link', { name: 'By AI worker' }).click();
  await expect(page.getByRole('region', { name: 'Credits by AI worker' }).locator('tbody tr').first()).toBeVisible();
  await page.screenshot({ path: 'screenshots/usage-by-worker.png', fullPage: true });
});

test('exports hold exactly what the filters select', async ({ page }) => {
  await signIn(page);
  await page.goto('/jobs?status=failed');
  const shown = (await col(page, 2).allInnerTexts()).map((s) => s.trim());
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  expect(csvDownload.suggestedFilename()).toBe('Account_Audit_Logs_Last_30_Days.csv');
  const csv = readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toContain('id,seq,occurred_at,kind');
  expect(csv.length - 1).toBe(shown.length);
  for (const line of csv.slice(1)) expect(line).toContain('""status"":""failed""');

  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSON' }).click()]);
  const list = JSON.parse(readFileSync(await jsonDownload.path(), 'utf8'));
  expect(list.map((e: any) => e.job_id).sort()).toEqual([...shown].sort());
  expect(list.every((e: any) => e.status === 'failed' && e.tenant_id === 'acme')).toBe(true);
});

test('live mode on jobs shows each job once, at its newest state', async ({ page, request }) => {
  await signIn(page);
  await page.goto('/jobs?live=1');
  const jobId = (await col(page, 2).first().innerText()).trim();
  const post = (status: string) =>
    request.post('/api/v1/events', {
      headers: { Authorization: `Bearer ${key()}` },
      data: { kind: 'job', account_id: 'acme-prod', job_id: jobId, status, agent: 'support-triage', job_type: 'agent.run' },
    });
  expect((await post('retrying')).status()).toBe(201);
  const visible = page.locator('table.events tr:visible', { hasText: jobId });
  await expect(visible.locator('.badge').first()).toHaveText('retrying', { timeout: 12_000 });
  await expect(visible).toHaveCount(1);
  expect((await post('failed')).status()).toBe(201);
  await expect(visible.locator('.badge').first()).toHaveText('failed', { timeout: 12_000 });
  await expect(visible).toHaveCount(1);
});
