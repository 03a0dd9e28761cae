// The playground page: GraphiQL with the explorer and a fetcher that sends the Headers
// tab over HTTP for queries and mutations, and as the connection_init payload of a
// graphql-transport-ws connection for subscriptions (a browser cannot set headers on a
// WebSocket, and the server reads the token from that payload).
import { explorerPlugin } from '@graphiql/plugin-explorer';
import '@graphiql/plugin-explorer/style.css';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import 'graphiql/style.css';
import { getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import './main.css';

const root = document.getElementById('graphiql');

// The page names Monaco's worker scripts (files of the bundle, named by their hash).
const workers = JSON.parse(root.dataset.workers);
globalThis.MonacoEnvironment = {
  getWorker: (_id, label) => new Worker(workers[label] ?? workers.editor, { name: label }),
};

const endpoint = new URL(root.dataset.endpoint, location.href);
const socketURL = new URL(endpoint);
socketURL.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

const defaultQuery = `# Ensemble's GraphQL playground.
#
# 1. Register (or log in) and copy the accessToken from the answer:
#
#   mutation {
#     register(input: {username: "ada", email: "ada@example.com", password: "a long password"}) {
#       accessToken
#     }
#   }
#
# 2. Put it in the Headers tab below:
#
#   { "Authorization": "Bearer <accessToken>" }
#
# Queries and mutations send those headers with each request; subscriptions send them
# as the WebSocket's connection_init payload.
#
# The compass builds queries by clicking fields, the book shows the schema's docs, and
# Ctrl-Enter runs the operation under the cursor.

{ me { username } }
`;

function isSubscription(params) {
  try {
    return getOperationAST(parse(params.query), params.operationName)?.operation === 'subscription';
  } catch {
    // The server answers a document that does not parse, in the response pane.
    return false;
  }
}

async function post(params, headers) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify(params),
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 500)}`);
  }
}

// One client per distinct headers: connectionParams are fixed for a connection's life.
// A lazy client holds no socket while none of its subscriptions runs, so the clients of
// headers edited since cost nothing but an entry here.
const clients = new Map();

function clientFor(headers) {
  const key = JSON.stringify(headers);
  let client = clients.get(key);
  if (!client) {
    client = createClient({
      url: socketURL.href,
      connectionParams: headers,
      // 4403 is a refused token: retrying cannot help, so say so at once.
      shouldRetry: (event) => typeof event?.code === 'number' && event.code !== 4403,
    });
    clients.set(key, client);
  }
  return client;
}

function subscribe(params, headers) {
  return {
    subscribe(sink) {
      const dispose = clientFor(headers).subscribe(params, {
        next: (result) => sink.next(result),
        complete: () => sink.complete(),
        error: (err) =>
          sink.error(
            typeof err?.code === 'number'
              ? new Error(`The WebSocket closed with ${err.code} ${err.reason}`.trim())
              : err,
          ),
      });
      return { unsubscribe: dispose };
    },
  };
}

function fetcher(params, opts) {
  // Header values travel as strings: HTTP has no other kind.
  const headers = Object.fromEntries(
    Object.entries(opts?.headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
  return isSubscription(params) ? subscribe(params, headers) : post(params, headers);
}

createRoot(root).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={defaultQuery}
    plugins={[HISTORY_PLUGIN, explorerPlugin()]}
    defaultEditorToolsVisibility="headers"
  />,
);
