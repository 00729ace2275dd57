import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PASSWORD = 'vigil-demo';
const key = () => readFileSync(join(__dirname, '..', '.e2e', 'key'), 'utf8').trim();

// Console errors (failed hydration, 404 assets) fail the test.
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function signIn(page: Page, email: string) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
}

async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

test('a wrong password shows a clear message @ssr', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill('admin@acme.test');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password, or too many failed attempts: try again later.');
  await expect(page).toHaveURL(/\/login\?error=invalid$/);
  await page.screenshot({ path: `screenshots/login-error.png` });
});

test('the tenant admin sees seeded records of every account @ssr', async ({ page, javaScriptEnabled }) => {
  const errors = watchErrors(page);
  await signIn(page, 'admin@acme.test');
  if (javaScriptEnabled) await hydrated(page);
  const rows = page.locator('table.events tbody tr');
  await expect(rows).toHaveCount(50);
  await expect(page.locator('.viewer-scope')).toContainText('Acme Corp');
  const accounts = new Set(await page.locator('table.events tbody tr td:nth-child(3)').allInnerTexts());
  expect(accounts.size).toBeGreaterThan(1);
  // The tenant admin also sees tenant-level records (their own sign-ins).
  for (const a of accounts) expect(a).toMatch(/^acme-|^— tenant —$/);
  await expect(page.getByRole('link', { name: 'Older →' })).toBeVisible();
  await page.screenshot({ path: `screenshots/records-${javaScriptEnabled ? 'hydrated' : 'ssr'}.png`, fullPage: false });
  expect(errors).toEqual([]);
});

test('an account admin sees only their account, and no account selector', async ({ page }) => {
  await signIn(page, 'prod-admin@acme.test');
  await hydrated(page);
  const accounts = await page.locator('table.events tbody tr td:nth-child(3)').allInnerTexts();
  expect(accounts.length).toBeGreaterThan(0);
  expect(new Set(accounts)).toEqual(new Set(['acme-prod']));
  await expect(page.getByLabel('Account')).toHaveCount(0);
  await expect(page.locator('.viewer-scope')).toContainText('account_admin');
});

test('the tenant admin narrows to one account with the selector', async ({ page }) => {
  await signIn(page, 'admin@acme.test');
  await hydrated(page);
  await page.getByLabel('Account').selectOption('acme-research');
  await expect(page).toHaveURL(/account=acme-research/);
  const cells = page.locator('table.events tbody tr td:nth-child(3)');
  await expect(cells.first()).toHaveText('acme-research');
  expect(new Set(await cells.allInnerTexts())).toEqual(new Set(['acme-research']));
  await page.screenshot({ path: 'screenshots/account-selector.png' });
});

test('another tenant admin sees only their tenant', async ({ page }) => {
  await signIn(page, 'admin@globex.test');
  await hydrated(page);
  await expect(page.locator('.viewer-scope')).toContainText('Globex');
  const accounts = new Set(await page.locator('table.events tbody tr td:nth-child(3)').allInnerTexts());
  for (const a of accounts) expect(a).toMatch(/^globex-|tenant/);
});

test('a record opens in full, and sign-ins are on the record with IP', async ({ page }) => {
  await signIn(page, 'admin@acme.test');
  await hydrated(page);
  await page.getByRole('link', { name: 'Admin activity', exact: true }).click();
  await expect(page).toHaveURL(/\/admin$/);
  const row = page.locator('table.events tbody tr', { hasText: 'Signed in' }).first();
  await expect(row).toContainText('admin@acme.test');
  await row.locator('a.row-link').first().click();
  await expect(page).toHaveURL(/open=\d+/);
  const drawer = page.getByRole('dialog', { name: 'Record detail' });
  await expect(drawer.locator('dl.fields')).toContainText('127.0.0.1');
  await expect(drawer.locator('dl.fields')).toContainText('admin@acme.test (user)');
  // Who wrote it to Vigil: a sign-in is Vigil's own record, whatever a key may claim.
  await expect(drawer.locator('dl.fields')).toContainText('Vigil itself');
  // Its inclusion proof downloads with the signed checkpoint it verifies against.
  const proofLink = drawer.getByRole('link', { name: 'Download inclusion proof' });
  await expect(proofLink).toBeVisible();
  const proof = await page.request.get((await proofLink.getAttribute('href'))!);
  expect(proof.status()).toBe(200);
  const body = await proof.json();
  expect(body.proof.length).toBeGreaterThan(0);
  expect(body.checkpoint).toContain('vigil/acme');
  // The list stays behind the drawer.
  await expect(page.locator('table.events tbody tr').first()).toBeVisible();
  await page.screenshot({ path: 'screenshots/detail.png' });
});

test('API keys: create (shown once), use, deactivate', async ({ page, request }) => {
  await signIn(page, 'prod-admin@acme.test');
  await hydrated(page);
  await page.getByRole('link', { name: 'API keys' }).click();
  await expect(page).toHaveURL(/\/keys$/);
  await page.getByLabel('Name').fill('e2e-gateway');
  await page.getByLabel('Account').selectOption('acme-prod');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = page.locator('code.secret');
  await expect(secret).toHaveText(/^vgl_/);
  const key = (await secret.innerText()).trim();
  const res = await request.post('/api/v1/events', {
    headers: { Authorization: `Bearer ${key}` },
    data: { kind: 'system_event', type: 'cron.fired', severity: 'info', description: 'from the e2e key' },
  });
  expect(res.status()).toBe(201);
  const row = page.locator('tr', { hasText: 'e2e-gateway' });
  await expect(row).toContainText('active');
  await page.screenshot({ path: 'screenshots/keys.png' });
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await expect(row).toContainText('deactivated');
  const again = await request.post('/api/v1/events', {
    headers: { Authorization: `Bearer ${key}` },
    data: { kind: 'system_event', type: 'cron.fired', severity: 'info', description: 'refused' },
  });
  expect(again.status()).toBe(401);
});

test('a record ingested over the API appears on the page', async ({ page, request }) => {
  const marker = `e2e-${Date.now()}@acme.test`;
  const res = await request.post('/api/v1/events', {
    headers: { Authorization: `Bearer ${key()}` },
    data: {
      kind: 'ai_interaction', account_id: 'acme-support', user: marker, action: 'chat.completion',
      resource: 'chat:conv_e2e', model: 'claude-sonnet-4', input_tokens: 900, output_tokens: 300, dlp: 'blocked:ssn',
    },
  });
  expect(res.status()).toBe(201);
  const body = await res.json();
  expect(body.seq).toBeGreaterThan(0);

  await signIn(page, 'admin@acme.test');
  const row = page.locator(`tr[data-id="${body.id}"]`);
  await expect(row).toContainText(marker);
  await expect(row).toContainText('DLP blocked:ssn');
});

test('signing out returns to the sign-in page', async ({ page }) => {
  await signIn(page, 'admin@acme.test');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
});
