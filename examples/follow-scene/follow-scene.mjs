// Follows an Ensemble scene line by line with Apollo Client: queries over HTTP, the
// scene's events over WebSocket (graphql-transport-ws), resuming after a dropped
// connection from the last event received.
//
//   node follow-scene.mjs <server url> <access token> <conversation id> [--lines N] [--json]
//
// <server url> is where `ensemble serve` listens, e.g. http://localhost:8080.
// It exits when the scene ends, or after N lines with --lines N. --json prints one JSON
// object per line (for scripts and tests) instead of text for people.
import { parseArgs } from 'node:util';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import { tap } from 'rxjs';
import WebSocket from 'ws';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { lines: { type: 'string' }, json: { type: 'boolean', default: false } },
});
if (positionals.length !== 3) {
  console.error('usage: node follow-scene.mjs <server url> <access token> <conversation id> [--lines N] [--json]');
  process.exit(2);
}
const [server, token, conversationId] = positionals;
const maxLines = opts.lines === undefined ? Infinity : Number(opts.lines);
if (!(maxLines >= 1)) {
  console.error('--lines takes a number of lines, 1 or more');
  process.exit(2);
}
const httpURL = new URL('/graphql', server);
const wsURL = new URL(httpURL);
wsURL.protocol = httpURL.protocol === 'https:' ? 'wss:' : 'ws:';

// Node 20 has no global WebSocket; graphql-ws needs one, and so does GraphQLWsLink when it
// reports a socket error.
globalThis.WebSocket ??= WebSocket;

// By default graphql-ws reconnects up to 5 times, waiting 1, 2, 4 ... seconds (plus a
// random part) before each try.
const wsClient = createClient({ url: wsURL.href, connectionParams: { Authorization: `Bearer ${token}` } });

// graphql-ws sends a subscription again, with the same variables object, each time it
// reconnects. GraphQLWsLink hands it operation.variables itself, so keeping the cursor of
// the latest event in there makes the server resume right after it: nothing missed,
// nothing twice. (Pass `after: null` at first, so that the variable is there to update.)
const keepLatestCursor = new ApolloLink((operation, forward) => {
  if (!('after' in operation.variables)) return forward(operation);
  // A copy of our own to change: Apollo may hold on to the object it was given.
  operation.variables = { ...operation.variables };
  return forward(operation).pipe(tap((result) => {
    const cursor = Object.values(result.data ?? {})[0]?.cursor;
    if (cursor) operation.variables.after = cursor;
  }));
});

const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: ApolloLink.split(
    ({ operationType }) => operationType === 'subscription',
    ApolloLink.from([keepLatestCursor, new GraphQLWsLink(wsClient)]),
    new HttpLink({ uri: httpURL.href, headers: { Authorization: `Bearer ${token}` } }),
  ),
});

const SCENE = gql`
  query Scene($c: ID!) {
    scene(conversationId: $c) {
      status turn maxTurns setting mood
      conversation { id title }
      cast { role character { id name } }
    }
  }
`;

const SCENE_UPDATES = gql`
  subscription SceneUpdates($c: ID!, $after: String) {
    sceneUpdates(conversationId: $c, after: $after) {
      cursor
      message {
        id seq turn senderKind content emotion
        senderCharacter { id name }
        senderUser { id username }
        addressee { id name }
        relationshipChanges { type strength from { name } to { name } delta { strength trust familiarity } }
      }
      change { kind turn status }
    }
  }
`;

const emit = opts.json
  ? (o) => console.log(JSON.stringify(o))
  : (o) => console.log(asText(o));

// asText renders an event for people.
function asText(o) {
  switch (o.type) {
    case 'scene':
      return `${o.title} (${o.setting}, ${o.mood}), ${o.status.toLowerCase()} at turn ${o.turn} of ${o.maxTurns}\n` +
        o.cast.map((c) => `  ${c.name}${c.role ? `, ${c.role}` : ''}`).join('\n') + '\n';
    case 'line': {
      const to = o.addressee ? ` to ${o.addressee}` : '';
      const feeling = o.emotion ? ` (${o.emotion})` : '';
      const changes = o.relationshipChanges.map((r) =>
        `\n      ${r.from} -> ${r.to} ${r.type.toLowerCase()}: strength ${r.strength.toFixed(2)}` +
        (r.delta?.strength ? ` (${r.delta.strength > 0 ? '+' : ''}${r.delta.strength.toFixed(2)})` : ''));
      return `${o.turn ?? '-'}  ${o.speaker}${to}${feeling}: ${o.text}${changes.join('')}`;
    }
    case 'end':
      return o.reason === 'ended' ? `\nThe scene ended at turn ${o.turn}.` : `\nStopped after ${o.lines} lines.`;
  }
}

function finish(code) {
  wsClient.dispose();
  process.exit(code);
}

const { data, error } = await client.query({ query: SCENE, variables: { c: conversationId } });
if (error || !data.scene) {
  console.error(`no scene for conversation ${conversationId}: ${error?.message ?? 'not found'}`);
  finish(1);
}
const { scene } = data;
emit({
  type: 'scene', id: scene.conversation.id, title: scene.conversation.title, status: scene.status,
  turn: scene.turn, maxTurns: scene.maxTurns, setting: scene.setting, mood: scene.mood,
  cast: scene.cast.map((c) => ({ id: c.character.id, name: c.character.name, role: c.role })),
});

let lines = 0;
client.subscribe({
  query: SCENE_UPDATES,
  variables: { c: conversationId, after: null },
  // Lines are printed once and never read back, so there is no need to cache them.
  fetchPolicy: 'no-cache',
}).subscribe({
  next: ({ data, error }) => {
    if (error) {
      console.error(`sceneUpdates: ${error.message}`);
      finish(1);
    }
    const { message: m, change } = data.sceneUpdates;
    if (m) {
      emit({
        type: 'line', id: m.id, seq: m.seq, turn: m.turn, speakerKind: m.senderKind,
        speaker: m.senderCharacter?.name ?? m.senderUser?.username ?? m.senderKind.toLowerCase(),
        addressee: m.addressee?.name ?? null, emotion: m.emotion, text: m.content,
        relationshipChanges: m.relationshipChanges.map((r) => ({
          from: r.from?.name, to: r.to?.name, type: r.type, strength: r.strength, delta: r.delta,
        })),
      });
      if (++lines >= maxLines) {
        emit({ type: 'end', reason: 'lines', lines });
        finish(0);
      }
    }
    if (change?.kind === 'ENDED') {
      emit({ type: 'end', reason: 'ended', turn: change.turn, lines });
      finish(0);
    }
  },
  error: (e) => {
    console.error(`sceneUpdates: ${e.message}`);
    finish(1);
  },
  complete: () => finish(0),
});
