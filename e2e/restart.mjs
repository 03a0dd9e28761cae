// Stock graphql-ws and graphql-sse clients following relationshipChanged across server
// restarts, for the Go end-to-end test (cmd/ensemble/restart_test.go).
// Usage: node restart.mjs <http url of /graphql> <access token> <ecosystem id>
//
// Each client subscribes once, with its default retry settings and no resubscribe code of
// its own. The only application code is what Apollo Client or urql users do too: the
// latest cursor is kept in the subscription's variables, which the clients send again
// when they reconnect. One JSON line per event on stdout.
import { createClient as createWSClient } from 'graphql-ws';
import { createClient as createSSEClient } from 'graphql-sse';
import WebSocket from 'ws';

const [url, token, ecosystemId] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const query = `subscription($e: ID!, $after: String) {
  relationshipChanged(ecosystemId: $e, after: $after) { cursor change { strength } }
}`;

// follow subscribes with a request whose variables carry the latest cursor.
function follow(name, client) {
  const request = { query, variables: { e: ecosystemId, after: null } };
  client.subscribe(request, {
    next: ({ data, errors }) => {
      if (errors) return out({ client: name, kind: 'error', errors });
      request.variables.after = data.relationshipChanged.cursor;
      out({ client: name, kind: 'event', cursor: data.relationshipChanged.cursor });
    },
    error: (e) => out({ client: name, kind: 'error', error: String(e?.message ?? e?.code ?? e) }),
    complete: () => out({ client: name, kind: 'complete' }),
  });
}

const ws = createWSClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  on: {
    connected: () => out({ client: 'ws', kind: 'connected' }),
    closed: (e) => out({ client: 'ws', kind: 'closed', code: e?.code }),
  },
});
const sse = createSSEClient({
  url,
  headers: { authorization: `Bearer ${token}` },
  on: { connected: () => out({ client: 'sse', kind: 'connected' }) },
});
follow('ws', ws);
follow('sse', sse);
process.on('SIGTERM', () => { ws.dispose(); sse.dispose(); process.exit(0); });
