// The page: reads the server, token and ecosystem (from the form or the query string
// ?server=…&token=…&ecosystem=…), draws the ecosystem's relationship map, and keeps it
// live from the relationshipChanged subscription.
import { connected, endpoints, follow, live, query } from './api.js';
import { Drawing } from './draw.js';
import { Layout } from './force.js';

const MAP = `query Map($e: ID!) {
  ecosystem(id: $e) { name }
  relationshipMap(ecosystemId: $e) {
    nodes { id name emotion degree }
    edges { id from to type label strength trust familiarity }
  }
}`;

const CHANGES = `subscription Changes($e: ID!, $after: String) {
  relationshipChanged(ecosystemId: $e, after: $after) {
    cursor at
    change { kind relationshipId fromId toId type strength trust familiarity cause relationship { label } }
  }
}`;

const form = document.querySelector('#connect');
const status = document.querySelector('#status');
const log = document.querySelector('#log');
const drawing = new Drawing(document.querySelector('#map'), document.querySelector('#legend'));
const layout = new Layout();

let session = null; // {api, token, ecosystem, client, stop}
let animating = false;

function setStatus(state, text) {
  document.body.dataset.state = state;
  status.textContent = text;
}

// animate runs the layout until it comes to rest.
function animate() {
  if (animating) return;
  animating = true;
  const frame = () => {
    const { width, height } = drawing.size;
    layout.tick(width, height);
    drawing.place(layout);
    if (layout.moving) requestAnimationFrame(frame);
    else animating = false;
  };
  requestAnimationFrame(frame);
}

// relayout hands the drawn graph to the layout, with degrees counted again.
function relayout() {
  const edges = [...drawing.edges.values()].map((e) => e.edge);
  for (const { node } of drawing.nodes.values()) {
    drawing.setNode({ ...node, degree: edges.filter((e) => e.from === node.id || e.to === node.id).length });
  }
  const { width, height } = drawing.size;
  layout.setGraph([...drawing.nodes.keys()], edges, width, height);
  animate();
}

async function loadMap() {
  const { ecosystem, relationshipMap } = await query(session.api.http, session.token, MAP, { e: session.ecosystem });
  document.title = `${ecosystem.name} · relationship map`;
  drawing.clear();
  relationshipMap.nodes.forEach((n) => drawing.setNode(n));
  relationshipMap.edges.forEach((e) => drawing.setEdge(e));
  relayout();
}

function addToLog(text, at) {
  const li = document.createElement('li');
  const time = document.createElement('time');
  time.dateTime = at;
  time.textContent = new Date(at).toLocaleTimeString();
  li.append(time, text);
  log.prepend(li);
  log.querySelector('li:nth-child(51)')?.remove();
}

// apply draws one relationshipChanged event. Events carry the values after the change,
// so applying one that the map already shows changes nothing.
async function apply({ at, change: c }) {
  if (c.kind !== 'DELETED' && (!drawing.nodes.has(c.fromId) || !drawing.nodes.has(c.toId))) {
    // A character created after the map was drawn: draw the map again.
    await loadMap();
  }
  const name = (id) => drawing.nodes.get(id)?.node.name ?? 'someone';
  const who = `${name(c.fromId)} → ${name(c.toId)}`;
  const before = drawing.edges.get(c.relationshipId)?.edge;
  // A scene gives the whole line as the cause: keep the log short.
  const cause = c.cause ? ` (${c.cause.length > 60 ? `${c.cause.slice(0, 59)}…` : c.cause})` : '';
  if (c.kind === 'DELETED') {
    drawing.removeEdge(c.relationshipId);
    addToLog(`${who}: ${c.type.toLowerCase()} ended${cause}`, at);
  } else {
    drawing.setEdge({
      id: c.relationshipId, from: c.fromId, to: c.toId, type: c.type, label: c.relationship?.label ?? null,
      strength: c.strength, trust: c.trust, familiarity: c.familiarity,
    }, true);
    addToLog(before
      ? `${who}: ${c.type.toLowerCase()}, strength ${before.strength.toFixed(2)} → ${c.strength.toFixed(2)}${cause}`
      : `${who}: new ${c.type.toLowerCase()}, strength ${c.strength.toFixed(2)}${cause}`, at);
  }
  relayout();
}

async function start({ server, token, ecosystem }) {
  session?.stop();
  session?.client.dispose();
  log.replaceChildren();
  setStatus('loading', 'Connecting…');
  const api = endpoints(server);
  const client = live(api.ws, token);
  const s = { api, token, ecosystem, client };
  session = s;
  const fail = (e) => {
    if (session !== s) return;
    setStatus('error', e.message);
    client.dispose();
  };
  // Subscribe before loading the map, holding events until it is drawn: a change made
  // in between is then applied on top of the map instead of being lost.
  let pending = [];
  let queue = Promise.resolve(); // events are applied one at a time, in order
  s.stop = follow(client, CHANGES, { e: ecosystem }, (event) => {
    if (pending) pending.push(event);
    else queue = queue.then(() => apply(event)).catch(fail);
  }, fail);
  client.on('closed', () => session === s && document.body.dataset.state === 'live' && setStatus('loading', 'Reconnecting…'));
  client.on('connected', () => session === s && pending === null && setStatus('live', 'Live'));
  try {
    await connected(client);
    await loadMap();
    for (const event of pending) await apply(event);
    pending = null;
    setStatus('live', 'Live');
  } catch (e) {
    fail(e);
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  start(Object.fromEntries(new FormData(form)));
});

// Fill the form from the query string, and start at once when it names everything.
const params = new URLSearchParams(location.search);
for (const name of ['server', 'token', 'ecosystem']) {
  if (params.has(name)) form.elements[name].value = params.get(name);
}
if (params.has('token')) {
  // Keep the token out of the address bar and the history from here on.
  params.delete('token');
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
}
if (form.checkValidity()) start(Object.fromEntries(new FormData(form)));
