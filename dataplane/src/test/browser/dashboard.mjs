// Drives a live node's dashboard in Debian's headless Chromium, as a user would, and prints one JSON line of what
// it saw. Usage: node dashboard.mjs ADMIN_URL ADMIN_TOKEN APP LOG_MARKER SCREENSHOT
import { chromium } from 'playwright-core';

const [adminUrl, token, app, marker, screenshot] = process.argv.slice(2);
const seen = { signedIn: false, appListed: false, chartPoints: 0, requestId: null, detailShowsId: false,
  logLineShown: false, consoleErrors: [] };
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // Script errors, and any of the page's own files that did not load. (API answers such as the 401 before signing
  // in are the browser's "Failed to load resource" lines: expected, and not counted.)
  page.on('pageerror', (error) => seen.consoleErrors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      seen.consoleErrors.push(message.text());
    }
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && (path.startsWith('/dashboard/') || path.startsWith('/webjars/'))) {
      seen.consoleErrors.push(`${response.status()} ${path}`);
    }
  });
  await page.goto(`${adminUrl}/`);
  await page.fill('#token', token);
  await page.click('#sign-in');
  await page.waitForSelector('#fleet table', { timeout: 30_000 });
  seen.signedIn = true;

  const link = page.locator('a.app-link', { hasText: app });
  await link.waitFor({ timeout: 90_000 });
  seen.appListed = true;
  await link.click();

  await page.waitForFunction(() => (Chart.getChart('chart-requests')?.data.labels.length ?? 0) >= 3,
    null, { timeout: 30_000 });
  await page.waitForFunction(() => Chart.getChart('chart-requests').data.datasets[0].data.some((v) => v > 0),
    null, { timeout: 30_000 });
  seen.chartPoints = await page.evaluate(() => Chart.getChart('chart-requests').data.labels.length);

  // The table refreshes every 2 s: the request is the one whose detail opened, checked against the admin API.
  const row = page.locator('#requests tr.clickable').first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.waitForSelector('#detail[open]');
  seen.requestId = (await page.textContent('#detail-body h2')).replace('Request ', '').trim();
  seen.detailShowsId = await page.evaluate(async (id) => {
    const found = await (await fetch(`/v1/requests?request_id=${id}`)).json();
    return found.records.length === 1 && found.records[0].request_id === id
      && document.getElementById('detail-body').textContent.includes(found.records[0].path);
  }, seen.requestId);
  await page.click('#detail .close');

  await page.waitForFunction((text) => document.getElementById('logs').textContent.includes(text), marker,
    { timeout: 30_000 });
  seen.logLineShown = true;
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (error) {
  seen.error = String(error);
} finally {
  await browser.close();
  console.log(JSON.stringify(seen));
}
