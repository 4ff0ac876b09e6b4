import type { Page } from 'playwright-core';
import { waitForMail } from './mail-drop.js';
import { atPath, base } from './pages.js';

/** Opens the invitation link mailed to `email` (at the origin `at`), sets `password` and waits for the login page. */
export async function acceptInvitation(page: Page, mailDir: string, email: string, password: string, at = base()): Promise<void> {
  const mail = await waitForMail(mailDir, (m) => m.to.includes(email) && /invitation\//.test(m.text));
  const link = /(http\S+\/invitation\/\S+)/.exec(mail.text)![1];
  await page.goto(link.replace(/^https?:\/\/[^/]+/, at));
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat new password').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await atPath(page, '/login');
}
