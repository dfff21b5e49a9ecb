// Shared by every page: runs a registered (persisted) GraphQL operation by its hash.
//
// The bearer token lives in this module's memory only: never in localStorage, sessionStorage
// or a cookie, so no other script, extension storage dump or CSRF form can reuse it, and
// reloading the page signs out. Requests carry no cookies (`credentials: "omit"`).

let token = null;
let hashes = null;
let sessionEnded = () => {};

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

/** What the page does when a signed-in call finds its session ended (signs the page out). */
export function onSessionEnded(handler) {
  sessionEnded = handler;
}

/** `run` for a signed-in page: a session that ended (expired, signed out elsewhere, suspended)
 * calls the `onSessionEnded` handler before the failure is thrown on. */
export async function call(name, variables) {
  try {
    return await run(name, variables);
  } catch (failure) {
    if (failure instanceof GraphQLFailure && failure.codes.includes("UNAUTHENTICATED")) {
      sessionEnded();
    }
    throw failure;
  }
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

/** A table row of `values`: nodes as they are, anything else as a text cell (— when absent). */
export function row(values, attributes = {}) {
  const tr = element("tr", "", attributes);
  for (const value of values) {
    tr.append(value instanceof Node ? value : element("td", value ?? "—"));
  }
  return tr;
}

/** A time as the reader's locale writes it; — when absent. */
export function when(value) {
  return value ? new Date(value).toLocaleString() : "—";
}

/** Say `message` in the page's status line (a live region), as an error if `error`. */
export function say(message, { error = false } = {}) {
  const status = document.getElementById("status");
  status.textContent = message;
  status.classList.toggle("error", error);
}
