// Shared by every page: runs a registered (persisted) GraphQL operation by its hash.
//
// The bearer token lives in this module's memory only: never in localStorage, sessionStorage
// or a cookie, so no other script, extension storage dump or CSRF form can reuse it, and
// reloading the page signs out. Requests carry no cookies (`credentials: "omit"`).

let token = null;
let hashes = null;

/** Remember (or, with null, forget) the access token for the following requests. */
export function setToken(value) {
  token = value;
}

export function signedIn() {
  return token !== null;
}

/** A refusal or failure GraphQL answered, with its errors' codes. */
export class GraphQLFailure extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join(" "));
    this.codes = errors.map((error) => (error.extensions || {}).code);
  }
}

async function operationHash(name) {
  hashes ??= fetch("/pages/operations.json", { credentials: "omit" }).then((r) => r.json());
  const table = await hashes;
  if (!Object.hasOwn(table, name)) {
    throw new Error(`The page asked for an unregistered operation: ${name}`);
  }
  return table[name];
}

function headers() {
  const all = { "Content-Type": "application/json" };
  if (token !== null) {
    all.Authorization = `Bearer ${token}`;
  }
  return all;
}

/** Run operation `name` with `variables`; its `data`, or a GraphQLFailure if it erred. */
export async function run(name, variables = {}) {
  const sha256Hash = await operationHash(name);
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "omit",
    headers: headers(),
    body: JSON.stringify({
      operationName: name,
      variables,
      extensions: { persistedQuery: { version: 1, sha256Hash } },
    }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    throw new GraphQLFailure(body.errors);
  }
  return body.data;
}

/** Fetch `path` with the token and hand it to the browser as a download named `filename`. */
export async function download(path, filename) {
  const response = await fetch(path, { credentials: "omit", headers: headers() });
  if (!response.ok) {
    throw new Error(`The download failed (HTTP ${response.status}).`);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An element with text content (never HTML: names and titles come from other people). */
export function element(tag, text = "", attributes = {}) {
  const node = document.createElement(tag);
  node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
}
