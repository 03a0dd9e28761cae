// Drives the playground (GET /) in headless Chromium with the network cut off: every
// request to another origin is aborted and recorded, and no host name resolves but
// 127.0.0.1. It puts an access token in the Headers tab, runs a query over HTTP, opens the
// explorer and the docs, prettifies a subscription, runs it (the headers go as
// connection_init) and waits for an event, then saves a screenshot. Prints one JSON line
// per step, the last ("done") with the web workers the page started and what went wrong;
// exits 1 when a step failed or the page tried to leave the origin, broke its policy, threw
// or warned.
//
//   node e2e/playground.mjs <server-url> <chromium> <screenshot.png> <access-token> <ecosystem-id>
//
// After the line {"step":"subscribed"} the caller makes events in the ecosystem until the
// line {"step":"event"}. The Go test internal/server TestPlaygroundOffline runs it.
import puppeteer from 'puppeteer-core';

const [serverURL, chromium, screenshot, token, ecosystemId] = process.argv.slice(2);
if (!ecosystemId) {
  console.error('usage: node playground.mjs <server-url> <chromium> <screenshot.png> <access-token> <ecosystem-id>');
  process.exit(2);
}
const origin = new URL(serverURL).origin;
const started = Date.now();
const headersEditor = 'section.graphiql-editor-tool .graphiql-editor:not(.hidden)';
const say = (line) => console.log(JSON.stringify({ ...line, ms: Date.now() - started }));

// What the page must never do; any entry fails the run.
const offences = [];
// The scripts of the web workers the page started.
const workers = [];

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  ],
  defaultViewport: { width: 1440, height: 900 },
});

try {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || new URL(url).origin === origin) {
      req.continue();
      return;
    }
    offences.push({ blocked: url });
    req.abort('blockedbyclient');
  });
  page.on('pageerror', (err) => offences.push({ pageError: String(err) }));
  page.on('console', (msg) => {
    // GraphiQL reports some failures (prettify, workers falling back) only as warnings.
    if (msg.type() === 'error' || msg.type() === 'warn') offences.push({ [msg.type()]: msg.text() });
  });
  page.on('workercreated', (w) => workers.push(new URL(w.url()).pathname));
  await page.exposeFunction('reportViolation', (v) => offences.push({ violation: v }));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.reportViolation(`${e.violatedDirective} blocked ${e.blockedURI}`),
    );
  });

  // WebSockets are not intercepted: follow them through the DevTools protocol.
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  const socket = { init: null, acked: false, subscribed: false };
  cdp.on('Network.webSocketCreated', ({ url }) => {
    if (new URL(url).host !== new URL(origin).host) offences.push({ socket: url });
  });
  cdp.on('Network.webSocketFrameSent', ({ response }) => {
    const msg = JSON.parse(response.payloadData);
    if (msg.type === 'connection_init') socket.init = msg.payload;
    if (msg.type === 'subscribe') socket.subscribed = true;
  });
  cdp.on('Network.webSocketFrameReceived', ({ response }) => {
    if (JSON.parse(response.payloadData).type === 'connection_ack') socket.acked = true;
  });

  await page.goto(serverURL, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-query-editor .monaco-editor');
  say({ step: 'loaded' });

  const headers = { Authorization: `Bearer ${token}` };
  await setEditor(page, headersEditor, JSON.stringify(headers));
  await setEditor(page, '.graphiql-query-editor', '{ me { username } }');
  await page.click('.graphiql-execute-button');
  const answer = JSON.parse(await waitForResponse(page, ['"data"', '"errors"']));
  say({ step: 'query', response: answer });
  if (answer.errors || !answer.data?.me?.username) throw new Error('the query failed');

  await page.click('button[aria-label="Show GraphiQL Explorer"]');
  await page.waitForSelector('.graphiql-explorer-root .graphiql-explorer-me');
  say({ step: 'explorer' });

  await page.click('button[aria-label="Show Documentation Explorer"]');
  await page.waitForFunction(() => document.querySelector('.graphiql-doc-explorer')?.textContent.includes('Subscription'));
  say({ step: 'docs' });

  await setEditor(
    page,
    '.graphiql-query-editor',
    `subscription { ecosystemActivity(ecosystemId: "${ecosystemId}") { topic activity { ... on CharacterActivity { name } } } }`,
  );
  // Prettier is a chunk of the bundle loaded on first use.
  await page.click('button[aria-label^="Prettify query"]');
  await until(async () => (await page.evaluate(editorText, '.graphiql-query-editor')).includes('\n    topic'), 'the query to be prettified');
  await page.click('.graphiql-execute-button');
  await until(() => socket.acked && socket.subscribed, 'the subscription to start');
  say({ step: 'subscribed', connectionInit: socket.init });

  const event = JSON.parse(await waitForResponse(page, ['"topic"', '"errors"']));
  say({ step: 'event', response: event });
  if (event.errors || event.data?.ecosystemActivity?.topic !== 'character.changed') throw new Error('no event arrived');

  // Back to the start of the long lines (the token, the ecosystem id) for the picture.
  for (const selector of ['.graphiql-query-editor', headersEditor]) {
    await page.click(`${selector} .monaco-editor .view-lines`);
    await page.keyboard.down('Control');
    await page.keyboard.press('Home');
    await page.keyboard.up('Control');
  }
  await page.screenshot({ path: screenshot });
  say({ step: 'screenshot', path: screenshot });
} catch (err) {
  offences.push({ failed: String(err) });
} finally {
  await browser.close();
}
say({ step: 'done', workers, offences });
process.exit(offences.length === 0 ? 0 : 1);

// setEditor replaces the text of the Monaco editor inside selector with one line, inserted
// as one piece as a paste would (typed, its brackets and quotes would be closed twice).
async function setEditor(page, selector, text) {
  await page.click(`${selector} .monaco-editor .view-lines`);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.keyboard.sendCharacter(text);
  await page.keyboard.press('Escape');
  // Monaco draws on a later frame.
  let shown;
  await until(async () => (shown = await page.evaluate(editorText, selector)) === text, `${selector} to hold the text`)
    .catch(() => {
      throw new Error(`the editor ${selector} holds ${JSON.stringify(shown)}`);
    });
}

// editorText runs in the page: Monaco draws each line in an element placed by its top
// offset, and spaces as no-break spaces.
function editorText(selector) {
  return [...document.querySelectorAll(`${selector} .monaco-editor .view-line`)]
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .map((line) => line.textContent.replaceAll('\u00a0', ' '))
    .join('\n');
}

// waitForResponse waits until the response pane shows one of the needles, and returns its text.
async function waitForResponse(page, needles) {
  let text = '';
  await until(async () => {
    text = await page.evaluate(editorText, '.result-window');
    return needles.some((n) => text.includes(n));
  }, `a response with ${needles.join(' or ')}`);
  return text;
}

async function until(ok, what) {
  for (const deadline = Date.now() + 15_000; !(await ok()); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
