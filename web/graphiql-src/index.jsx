// Entry point of the offline GraphiQL bundle served by shopmuse at "/".
// Everything it needs (React, GraphiQL, CodeMirror, fonts) is bundled by
// build.sh into ../graphiql/, so the playground works with no internet.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';

// Same origin as the page: the service serves GraphQL at /graphql next to
// the playground, so a reverse proxy or a non-default port needs no config.
const httpURL = new URL('/graphql', window.location.href).toString();
// graphql-transport-ws lives on the same path; wss when the page is https,
// or browsers block the socket as mixed content.
const wsURL = (() => {
  const u = new URL('/graphql', window.location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
})();

// subscriptionUrl (not a ready-made wsClient) so the toolkit opens the socket
// only when a subscription runs, and passes the headers editor's values as the
// connection_init payload — that is where shopmuse reads
// {"Authorization": "Bearer <key>"} for WebSocket connections.
const fetcher = createGraphiQLFetcher({
  url: httpURL,
  subscriptionUrl: wsURL,
});

const defaultQuery = `# Welcome to shopmuse. Run with Ctrl-Enter (Cmd-Enter on a Mac).
# Asked for an API key? Open "Headers" below and add
#   {"Authorization": "Bearer <your key>"}

{
  products(first: 5) {
    edges {
      node {
        id
        title
        brand
        price { amount currencyCode }
      }
    }
    totalCount
  }
  searchProducts(query: "降噪耳机", first: 3) {
    score
    product { title }
  }
}
`;

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={defaultQuery}
    isHeadersEditorEnabled={true}
    // Keys typed into the headers editor stay in memory only: persisting
    // them would leave API keys in localStorage on shared machines.
    shouldPersistHeaders={false}
  />,
);
