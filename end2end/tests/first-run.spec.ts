import { test, expect, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchErrors } from './support';

// A new operator following the README's "Getting started" on an empty database: a
// server of its own, not the seeded one the other tests share.
const root = join(__dirname, '..', '..');
const vigil = process.env.VIGIL_BIN ?? join(root, 'target', 'release', 'vigil');
const port = Number(process.env.VIGIL_E2E_FIRST_RUN_PORT ?? 3231);
const base = `http://127.0.0.1:${port}`;
const PASSWORD = 'a long first-run passphrase';

let server: ChildProcess | undefined;
test.afterAll(() => server?.kill());

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${base}/`);
}

test('from an empty database: init, sign in, account, key, ingest, invite, a scoped admin', async ({ page, browser, request }) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-first-run-'));
  const env = {
    ...process.env,
    VIGIL_DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
    VIGIL_SIGNING_KEY: join(dir, 'signing.key'),
    VIGIL_INIT_PASSWORD: PASSWORD,
  };
  const run = (...args: string[]) => execFileSync(vigil, args, { env, cwd: root, encoding: 'utf8' }).trim();
  expect(run('init', '--tenant-id', 'fresh', '--tenant-name', 'Fresh Co', '--email', 'admin@fresh.example'))
    .toContain('created tenant fresh');
  const operator = run('operator-token', 'create', '--name', 'ops');
  server = spawn(vigil, ['serve', '--addr', `127.0.0.1:${port}`, '--site-root', 'target/site'], { env, cwd: root, stdio: 'ignore' });
  await expect.poll(async () => (await request.get(`${base}/readyz`).catch(() => null))?.status(), { timeout: 20_000 }).toBe(200);

  // The operator API provisions two accounts.
  for (const [id, name] of [['fresh-a', 'Fresh A'], ['fresh-b', 'Fresh B']]) {
    const made = await request.post(`${base}/api/v1/admin/tenants/fresh/accounts`, {
      headers: { Authorization: `Bearer ${operator}` },
      data: { id, name },
    });
    expect(made.status()).toBe(201);
  }

  // The tenant admin signs in and creates an ingest key for the whole tenant.
  const errors = watchErrors(page);
  await signIn(page, 'admin@fresh.example', PASSWORD);
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('Name').fill('platform');
  await page.getByLabel('Account').selectOption('');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.locator('code.secret').innerText()).trim();
  expect(key).toMatch(/^vgl_/);

  // The platform sends a record for each account (as curl would).
  for (const account of ['fresh-a', 'fresh-b']) {
    const sent = await request.post(`${base}/api/v1/events`, {
      headers: { Authorization: `Bearer ${key}` },
      data: { kind: 'system_event', account_id: account, type: 'cron.fired', severity: 'info', description: `hello from ${account}` },
    });
    expect(sent.status()).toBe(201);
  }

  // An account admin for fresh-a is invited and joins in a browser of their own.
  await page.getByRole('link', { name: 'Members' }).click();
  const invite = page.getByRole('region', { name: 'Invite' });
  await invite.getByLabel('Email').fill('a-admin@fresh.example');
  await invite.getByLabel('Role').selectOption('account_admin');
  await invite.getByLabel('Account').selectOption('fresh-a');
  await invite.getByRole('button', { name: 'Create invitation' }).click();
  const link = (await page.locator('[data-invite-link]').innerText()).trim();
  const theirs = await browser.newContext();
  const guest = await theirs.newPage();
  await guest.goto(link);
  await guest.getByLabel('Choose a password').fill('a-admin-password');
  await guest.getByLabel('Password again').fill('a-admin-password');
  await guest.getByRole('button', { name: 'Accept and sign in' }).click();
  await expect(guest).toHaveURL(`${base}/`);
  await guest.goto(`${base}/events`);
  await expect(guest.locator('table.events')).toContainText('hello from fresh-a');
  await expect(guest.locator('table.events')).not.toContainText('hello from fresh-b');
  await guest.screenshot({ path: 'screenshots/first-run-account-admin.png' });
  await theirs.close();
  expect(errors).toEqual([]);
});
