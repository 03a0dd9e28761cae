// Apollo Client 4 reading a cast with @defer, for the Go end-to-end test
// (internal/server/defer_e2e_test.go). Usage: node defer.mjs <graphql url> <access token> <ecosystem id>
//
// It watches a query that asks for the characters at once and their relationships later,
// through HttpLink and the Defer20220824Handler, and prints one JSON line per result it
// sees: its dataState (streaming while deferred fragments are pending, then complete),
// and each character with the number of its relationships, or null while they have not
// come. It exits once the result is complete, or with status 1 on an error.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';

const [uri, token, ecosystemId] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const client = new ApolloClient({
  link: new HttpLink({ uri, headers: { authorization: `Bearer ${token}` } }),
  cache: new InMemoryCache(),
  incrementalHandler: new Defer20220824Handler(),
});

const query = gql`
  query Cast($e: ID!) {
    characters(filter: { ecosystemId: $e }, first: 10) {
      nodes {
        id
        name
        ... @defer(label: "bonds") {
          relationships(first: 10) { nodes { type to { id name } } }
        }
      }
    }
  }
`;

const fail = (error) => {
  out({ error: String(error?.message ?? error) });
  process.exit(1);
};
setTimeout(() => fail('no complete result within 60 s'), 60_000).unref();

client.watchQuery({ query, variables: { e: ecosystemId }, fetchPolicy: 'network-only' }).subscribe({
  next: (result) => {
    if (result.error) fail(result.error);
    out({
      dataState: result.dataState,
      loading: result.loading,
      characters: result.data?.characters?.nodes.map((c) => ({
        name: c.name,
        relationships: c.relationships ? c.relationships.nodes.length : null,
      })) ?? null,
    });
    if (result.dataState === 'complete') process.exit(0);
  },
  error: fail,
});
