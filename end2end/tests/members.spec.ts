import { test, expect } from '@playwright/test';
import { signIn, watchErrors } from './support';

test('a tenant admin invites an account admin, who joins and sees only that account', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await signIn(page, 'admin@acme.test');
  await page.getByRole('link', { name: 'Members' }).click();
  await expect(page).toHaveURL(/\/members$/);
  const members = page.getByRole('region', { name: 'Members' });
  await expect(members).toContainText('prod-admin@acme.test');

  const email = `research-${Date.now()}@acme.test`;
  const invite = page.getByRole('region', { name: 'Invite' });
  await invite.getByLabel('Email').fill(email);
  await invite.getByLabel('Role').selectOption('account_admin');
  await invite.getByLabel('Account').selectOption('acme-research');
  await invite.getByRole('button', { name: 'Create invitation' }).click();
  await expect(page).toHaveURL(/\/members\?done=invited$/);
  await expect(page.locator('.notice')).toContainText('Invitation created.');
  const link = (await page.locator('[data-invite-link]').innerText()).trim();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invite\/vgi_[\w-]+$/);
  await expect(page.getByRole('region', { name: 'Pending invitations' })).toContainText(email);
  await page.screenshot({ path: 'screenshots/members.png', fullPage: true });
  // The link is shown once.
  await page.reload();
  await expect(page.locator('[data-invite-link]')).toHaveCount(0);

  // The invitee, in a browser of their own.
  const theirs = await browser.newContext();
  const guest = await theirs.newPage();
  const guestErrors = watchErrors(guest);
  await guest.goto(link);
  await expect(guest.locator('main')).toContainText("invited to Acme Corp's audit log as account admin of acme-research");
  await guest.screenshot({ path: 'screenshots/invite.png' });
  await guest.getByLabel('Choose a password').fill('short');
  await guest.getByLabel('Password again').fill('short');
  // The browser asks for 10 characters first; the server refuses the same, naming the field.
  await guest.getByLabel('Choose a password').evaluate((e: HTMLInputElement) => e.removeAttribute('minlength'));
  await guest.getByLabel('Password again').evaluate((e: HTMLInputElement) => e.removeAttribute('minlength'));
  await guest.getByRole('button', { name: 'Accept and sign in' }).click();
  await expect(guest.getByRole('alert')).toContainText('Password: at least 10 characters');
  await guest.getByLabel('Choose a password').fill('research-password');
  await guest.getByLabel('Password again').fill('research-password');
  await guest.getByRole('button', { name: 'Accept and sign in' }).click();
  await expect(guest).toHaveURL(/\/$/);
  await expect(guest.locator('body[data-hydrated="true"]')).toHaveCount(1);
  await expect(guest.locator('.viewer-email')).toHaveText(email);
  const accounts = await guest.locator('table.events tbody tr td:nth-child(3)').allInnerTexts();
  expect(accounts.length).toBeGreaterThan(0);
  expect(new Set(accounts)).toEqual(new Set(['acme-research']));
  // Their Members page: their account's admins only, and no tenant admin role to give.
  await guest.getByRole('link', { name: 'Members' }).click();
  await expect(guest).toHaveURL(/\/members$/);
  const theirMembers = guest.getByRole('region', { name: 'Members' });
  await expect(theirMembers).toContainText('research-admin@acme.test');
  await expect(theirMembers).not.toContainText('prod-admin@acme.test');
  await expect(guest.locator('option[value="tenant_admin"]')).toHaveCount(0);
  // Settings are the tenant admins'.
  const settings = await guest.goto('/settings');
  expect(settings?.status()).toBe(403);
  // The link was used.
  const again = await guest.goto(link);
  expect(again?.status()).toBe(410);
  await expect(guest.getByRole('alert')).toContainText('already been used');
  expect(guestErrors.filter((e) => !e.includes('403') && !e.includes('410'))).toEqual([]);
  await theirs.close();

  // Back with the tenant admin: they are a member now, and the acceptance is on record.
  await page.reload();
  await expect(members.locator(`tr[data-member="${email}"]`)).toContainText('acme-research');
  await page.goto('/admin?range=today');
  await expect(page.locator('table.events')).toContainText('Invitation accepted');
  expect(errors).toEqual([]);
});

test('a tenant admin sets a model rate, the webhook and business hours @ssr', async ({ page }) => {
  await signIn(page, 'admin@acme.test');
  await page.goto('/settings');
  const rates = page.getByRole('region', { name: 'Model rates' });
  await rates.getByLabel('Model').fill('gpt-4o');
  await rates.getByLabel('Input $/M tokens').fill('2.25');
  await rates.getByLabel('Output $/M tokens').fill('9');
  await rates.getByLabel('Effective from').fill('2026-01-01');
  await rates.getByRole('button', { name: 'Save rate' }).click();
  await expect(page).toHaveURL(/\/settings\?done=rate_saved$/);
  await expect(rates.locator('tr[data-rate="gpt-4o"]')).toContainText('$2.25');

  const hook = page.getByRole('region', { name: 'Control webhook' });
  await hook.getByLabel('URL').fill('http://control.internal/cancel');
  await hook.getByRole('button', { name: 'Save webhook' }).click();
  await expect(page.getByRole('alert')).toContainText('Webhook URL: must be https');

  const hours = page.getByRole('region', { name: 'Business hours' });
  await hours.getByLabel('Time zone').fill('Europe/Berlin');
  await hours.getByLabel('From').fill('08:30');
  await hours.getByLabel('To').fill('17:30');
  await hours.getByRole('button', { name: 'Save hours' }).click();
  await expect(page).toHaveURL(/\/settings\?done=hours_saved$/);
  await expect(hours).toContainText('Now: Mon–Fri 08:30–17:30 Europe/Berlin');
  await page.screenshot({ path: 'screenshots/settings.png', fullPage: true });
});
