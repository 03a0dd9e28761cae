// Talking to Ensemble: queries over HTTP with fetch, subscriptions over WebSocket with
// the graphql-ws client (the graphql-transport-ws protocol).
import { createClient } from 'graphql-ws';

// endpoints turns the server's address (http://localhost:8080) into the URLs of its
// GraphQL endpoint over HTTP and over WebSocket.
export function endpoints(server) {
  const http = new URL('/graphql', server);
  const ws = new URL(http);
  ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  return { http: http.href, ws: ws.href };
}

// query runs a query over HTTP and returns its data, or throws its errors.
export async function query(url, token, document, variables) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

// live opens a graphql-ws client. The token goes in connection_init, since browsers
// cannot set headers on a WebSocket. By default the client reconnects up to 5 times,
// waiting 1, 2, 4 ... seconds (plus a random part) before each try.
export function live(url, token) {
  return createClient({ url, connectionParams: { Authorization: `Bearer ${token}` } });
}

// connected resolves once client's connection is acknowledged, or rejects when it closes
// before that (a refused token closes with 4403).
export function connected(client) {
  return new Promise((resolve, reject) => {
    const offs = [
      client.on('connected', () => { offs.forEach((off) => off()); resolve(); }),
      client.on('closed', (e) => {
        offs.forEach((off) => off());
        reject(new Error(`the WebSocket closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`));
      }),
    ];
  });
}

// follow runs a subscription whose events carry a `cursor` and take an `after` argument.
// graphql-ws sends the same payload again on every reconnection, so keeping the latest
// cursor in its variables makes the server replay what was missed meanwhile, exactly once.
// It returns a function that ends the subscription.
export function follow(client, document, variables, onEvent, onError) {
  const payload = { query: document, variables: { ...variables, after: null } };
  return client.subscribe(payload, {
    next: ({ data, errors }) => {
      if (errors?.length) return onError(new Error(errors.map((e) => e.message).join('; ')));
      const event = Object.values(data)[0];
      payload.variables.after = event.cursor;
      onEvent(event);
    },
    // graphql-ws reports a close it gave up on as the close event itself.
    error: (e) => onError(e instanceof Error ? e : new Error(`the WebSocket closed (${e?.code ?? 'error'})`)),
    complete: () => {},
  });
}
