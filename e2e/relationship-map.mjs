// Opens the relationship-map example (examples/relationship-map) in headless Chromium, for
// the Go test examples/examples_test.go.
// Usage: node relationship-map.mjs <chromium> <page url> <api url> <screenshot path>
//
// Only the page's origin and the API's may be reached: any other request is blocked,
// reported and fails the run. Prints one JSON line per event on stdout:
//   {"kind":"ready","nodes":[names],"edges":[edge]} once the map is drawn and live;
//   then, for each line {"edge": id, "strength": s} read on stdin, waits until the page
//   draws that relationship with that strength and prints {"kind":"edge","edge":edge,"log":[texts]};
//   when stdin closes, saves the screenshot and prints {"kind":"screenshot","path":path}.
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';

const [chromium, pageURL, apiURL, screenshot] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const allowed = new Set([new URL(pageURL).origin, new URL(apiURL).origin]);
const offsite = [];
const check = (url) => {
  const u = new URL(url);
  if (u.protocol === 'data:') return true;
  // A WebSocket's origin is its HTTP origin's.
  u.protocol = u.protocol.replace(/^ws/, 'http');
  if (allowed.has(u.origin)) return true;
  offsite.push(url);
  return false;
};

const browser = await puppeteer.launch({
  executablePath: chromium,
  // No host name resolves, so the browser's own background requests go nowhere either.
  args: ['--headless=new', '--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  defaultViewport: { width: 1280, height: 800 },
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`page console: ${m.text()}\n`));
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.setRequestInterception(true);
  page.on('request', (req) => (check(req.url()) ? req.continue() : req.abort('blockedbyclient')));
  // WebSockets pass outside request interception: watch them on the DevTools protocol.
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', ({ url }) => check(url));

  await page.goto(pageURL);
  await page.waitForSelector('body[data-state="live"], body[data-state="error"]', { timeout: 15000 });
  const state = await page.$eval('body', (b) => ({ state: b.dataset.state, status: b.querySelector('#status').textContent }));
  if (state.state !== 'live') throw new Error(`the page failed: ${state.status}`);

  const edges = () => page.$$eval('[data-edge]', (els) => els.map((e) => ({
    id: e.dataset.edge, type: e.dataset.type, strength: Number(e.dataset.strength), from: e.dataset.from, to: e.dataset.to,
    width: Number(e.getAttribute('stroke-width')), color: e.getAttribute('stroke'),
  })));
  out({ kind: 'ready', nodes: await page.$$eval('[data-node]', (els) => els.map((e) => e.dataset.name)), edges: await edges() });

  for await (const line of createInterface({ input: process.stdin })) {
    const want = JSON.parse(line);
    await page.waitForFunction((id, strength) => {
      const e = [...document.querySelectorAll('[data-edge]')].find((el) => el.dataset.edge === id);
      return e && Math.abs(Number(e.dataset.strength) - strength) < 1e-9;
    }, { timeout: 15000 }, want.edge, want.strength);
    out({
      kind: 'edge',
      edge: (await edges()).find((e) => e.id === want.edge),
      log: await page.$$eval('#log li', (lis) => lis.map((li) => li.textContent)),
    });
  }

  // Let the layout settle and the change's highlight fade for the picture.
  await new Promise((resolve) => setTimeout(resolve, 1600));
  await page.screenshot({ path: screenshot });
  out({ kind: 'screenshot', path: screenshot });
} finally {
  await browser.close();
  if (offsite.length) {
    process.stderr.write(`requests outside the test's origins: ${offsite.join(', ')}\n`);
    process.exitCode = 1;
  }
}
