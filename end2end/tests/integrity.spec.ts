import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signIn, watchErrors } from './support';

const root = join(__dirname, '..', '..');
const vigil = process.env.VIGIL_BIN ?? join(root, 'target', 'release', 'vigil');

/** Runs both offline verifiers on a downloaded bundle; returns what each printed. */
function verifyBoth(bundle: string, key: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const file = join(dir, 'bundle.jsonl');
  writeFileSync(file, bundle);
  return [
    execFileSync(vigil, ['verify-bundle', file, '--key', key], { encoding: 'utf8' }),
    execFileSync('python3', [join(root, 'scripts', 'verify_bundle.py'), file, '--key', key], { encoding: 'utf8' }),
  ];
}

test('the Integrity page shows the signed checkpoint, the last verify and retention', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, 'admin@acme.test');
  await page.getByRole('link', { name: 'Integrity' }).click();
  await expect(page).toHaveURL(/\/integrity$/);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);

  const checkpoint = page.getByRole('region', { name: 'Latest checkpoint' });
  await expect(checkpoint).toContainText(/\d{1,3}(,\d{3})+ records, signed \d{4}-\d\d-\d\d/);
  await expect(checkpoint.getByLabel('Signed checkpoint')).toContainText('vigil/acme');
  await expect(checkpoint).toContainText(/Verifier key: vigil\+[0-9a-f]{8}\+/);
  await expect(page.getByRole('region', { name: 'Witnesses' })).toContainText('No witness is registered');
  // scripts/e2e-server.sh runs `vigil verify` after seeding.
  await expect(page.getByRole('region', { name: 'Last verify' })).toContainText(/Passed: [\d,]+ records/);
  const retention = page.getByRole('region', { name: 'Retention' });
  await expect(retention).toContainText('Records are kept forever.');
  await page.screenshot({ path: 'screenshots/integrity.png', fullPage: true });

  // A tenant admin sets the policy; the page says it back; then forever again.
  const days = page.getByLabel('Days to keep records');
  const save = page.getByRole('button', { name: 'Save retention' });
  await days.fill('400');
  await save.click();
  await expect(retention).toContainText('Records lose their bodies 400 days after they arrive');
  // Out of bounds: the browser refuses it before sending (the server would too, with
  // a 400 naming `days`: retention::only_tenant_admins_set_the_policy).
  await days.fill('0');
  await save.click();
  expect(await days.evaluate((e: HTMLInputElement) => e.validity.valid)).toBe(false);
  await expect(retention).toContainText('400 days');
  await days.fill('');
  await save.click();
  await expect(retention).toContainText('Records are kept forever.');
  expect(errors).toEqual([]);
});

test('all records download as a bundle both verifiers accept as complete', async ({ page, request }) => {
  await signIn(page, 'admin@acme.test');
  await page.goto('/integrity');
  const link = page.getByRole('link', { name: 'Download all records as a bundle' });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const bundle = await (await download.createReadStream()).toArray();
  const text = Buffer.concat(bundle).toString('utf8');
  const key = (await (await request.get('/api/v1/public-key')).text()).trim();
  for (const said of verifyBoth(text, key)) {
    expect(said).toMatch(/complete/);
  }
});

test('an account admin reads integrity but cannot set retention', async ({ page }) => {
  await signIn(page, 'prod-admin@acme.test');
  await page.goto('/integrity');
  await expect(page.getByRole('region', { name: 'Latest checkpoint' })).toContainText('records, signed');
  const retention = page.getByRole('region', { name: 'Retention' });
  await expect(retention).toContainText('Records are kept forever.');
  await expect(page.getByLabel('Days to keep records')).toHaveCount(0);
});
