// A real graphql-ws client following a conversation, for the Go end-to-end test
// (resolvers/e2e_live_test.go). Usage: node live.mjs <ws url> <access token> <conversation id> <cursor>
//
// It subscribes to messageAdded from <cursor> and to messageStream, prints one JSON line
// per event on stdout, and, when the connection drops, reconnects and resubscribes from
// the cursor of the last message it received: what a mobile client on a flaky network does.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, conversationId, initialCursor] = process.argv.slice(2);
let after = initialCursor;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 1000,
  shouldRetry: () => true,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
});

let stop = [];
client.on('connected', () => {
  out({ kind: 'connected' });
  stop.push(client.subscribe(
    {
      query: `subscription($c: ID!, $after: String) { messageAdded(conversationId: $c, after: $after) { id seq cursor senderKind } }`,
      variables: { c: conversationId, after },
    },
    {
      next: ({ data, errors }) => {
        if (errors) return out({ kind: 'error', errors });
        after = data.messageAdded.cursor;
        out({ kind: 'message', ...data.messageAdded });
      },
      error: (e) => out({ kind: 'error', error: String(e?.message ?? e) }),
      complete: () => {},
    },
  ));
  stop.push(client.subscribe(
    { query: `subscription($c: ID!) { messageStream(conversationId: $c) { messageId index text done } }`, variables: { c: conversationId } },
    {
      next: ({ data }) => data && out({ kind: 'delta', ...data.messageStream }),
      error: () => {},
      complete: () => {},
    },
  ));
});
// Resubscribe with the latest cursor on every new connection, not with the first one.
client.on('closed', () => {
  out({ kind: 'closed' });
  for (const s of stop) s();
  stop = [];
});
process.on('SIGTERM', () => { client.dispose(); process.exit(0); });
