// Boots the vendored GraphiQL against the endpoint that served the page. A file of its own,
// not an inline script, so the page's Content-Security-Policy can allow only 'self'.
(function () {
  "use strict";

  var TOKEN_HINT = "Bearer <paste: imoox-gateway token --as alice>";
  var HEADERS = JSON.stringify({ Authorization: TOKEN_HINT }, null, 2);
  var QUERY = [
    "# IMOOX privacy gateway (development).",
    "# You are anonymous until you paste a token from",
    "#   .venv/bin/imoox-gateway token --as alice",
    "# into Headers below, in place of the <…> hint.",
    "",
    "{",
    "  publicFeed(first: 5) {",
    "    edges { node { id title } }",
    "  }",
    "}",
    "",
  ].join("\n");

  // The hint is no token: until it is replaced, requests go out without Authorization
  // (anonymous) instead of being refused as a malformed token.
  function fetchWithoutHint(url, init) {
    var headers = new Headers((init && init.headers) || {});
    if ((headers.get("Authorization") || "").indexOf("<") !== -1) {
      headers.delete("Authorization");
    }
    return window.fetch(url, Object.assign({}, init, { headers: headers }));
  }

  // GraphiQL keeps tabs and history in localStorage, and its history keeps each run's headers
  // even with shouldPersistHeaders off: nothing named "headers" is written there, so a pasted
  // token stays in this tab's memory.
  function withoutHeaders(value) {
    try {
      return JSON.stringify(JSON.parse(value, function (key, item) {
        return key === "headers" ? undefined : item;
      }));
    } catch (notJson) {
      return value;
    }
  }

  var storage = {
    getItem: function (key) {
      return window.localStorage.getItem(key);
    },
    setItem: function (key, value) {
      window.localStorage.setItem(key, withoutHeaders(value));
    },
    removeItem: function (key) {
      window.localStorage.removeItem(key);
    },
    clear: function () {
      Object.keys(window.localStorage)
        .filter(function (key) {
          return key.indexOf("graphiql:") === 0;
        })
        .forEach(function (key) {
          window.localStorage.removeItem(key);
        });
    },
    get length() {
      return window.localStorage.length;
    },
  };

  var fetcher = GraphiQL.createFetcher({
    url: window.location.pathname,
    fetch: fetchWithoutHint,
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: QUERY,
      defaultHeaders: HEADERS,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
      storage: storage,
    }),
  );
})();
