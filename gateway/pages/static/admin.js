// The domain admin console (/admin): everything through /graphql by registered operations
// (client.js), every value from the server rendered as text, never as HTML.

import {
  GraphQLFailure,
  call,
  element,
  onSessionEnded,
  row,
  say,
  setToken,
  when,
} from "/pages/client.js";

const $ = (id) => document.getElementById(id);

/** Each action: its operation, the button's label, and the question that confirms it. */
const ACTIONS = {
  suspend: {
    operation: "AdminSuspend",
    label: "Suspend",
    question: (who) => `Suspend ${who}? They are signed out everywhere and cannot sign in until restored.`,
  },
  block: {
    operation: "AdminBlock",
    label: "Block",
    question: (who) => `Block ${who}? They are signed out everywhere and cannot sign in until restored.`,
  },
  restore: {
    operation: "AdminRestore",
    label: "Restore",
    question: (who) => `Restore ${who}? They can sign in again.`,
  },
  reset: {
    operation: "AdminResetPassword",
    label: "Reset password",
    question: (who) =>
      `Reset the password of ${who}? Their sessions end and a one-time code goes to their e-mail; you never see it.`,
  },
  limit: {
    operation: "AdminLimitRights",
    label: "Limit rights",
    question: (who) => `Limit what ${who} may change:`,
  },
};

let domain = null;
let after = null;
let pending = null;

function show(view) {
  $("sign-in-view").hidden = view !== "sign-in";
  $("not-admin-view").hidden = view !== "not-admin";
  $("admin-view").hidden = view !== "admin";
  $("sign-out").hidden = view === "sign-in";
}

/** The domains a token names (read, not trusted: the gateway decides every request). */
function domainsOf(token) {
  try {
    const part = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    const claims = JSON.parse(atob(part));
    return claims.kind === "domain_admin" && Array.isArray(claims.domains) ? claims.domains : [];
  } catch {
    return [];
  }
}

function signOut(message) {
  setToken(null);
  domain = null;
  closeConfirm();
  $("member-rows").replaceChildren();
  $("audit-rows").replaceChildren();
  $("domain-name").textContent = "";
  show("sign-in");
  say(message);
  $("token").focus();
}

function notAdmin() {
  domain = null;
  show("not-admin");
  say("");
  $("not-admin-heading").focus();
}

// A token that stopped working signs the page out.
onSessionEnded(() => signOut("Your sign-in has ended. Please sign in again."));

function who(member) {
  return member.username ? `${member.displayName} (${member.username})` : member.displayName;
}

function actionsFor(member) {
  const cell = element("td");
  const names = member.status === "ACTIVE" ? ["suspend", "block"] : ["restore"];
  for (const name of [...names, "reset", "limit"]) {
    const button = element("button", ACTIONS[name].label, {
      type: "button",
      class: "secondary",
      "aria-label": `${ACTIONS[name].label}: ${who(member)}`,
    });
    button.addEventListener("click", () => openConfirm(name, member, button));
    cell.append(button, " ");
  }
  return cell;
}

function limits(member) {
  const rights = member.rightsLimits || {};
  const limited = ["edit", "delete", "privacy"].filter((right) => rights[right]);
  return limited.length ? limited.join(", ") : "none";
}

async function loadMembers({ more = false } = {}) {
  if (!more) {
    after = null;
  }
  const status = $("status-filter").value || null;
  const data = await call("AdminMembers", { domain, after, status });
  const members = data.domain.members;
  const rows = members.edges.map(({ node }) =>
    row([node.displayName, node.username, node.status, limits(node), actionsFor(node)]),
  );
  if (more) {
    $("member-rows").append(...rows);
  } else {
    $("member-rows").replaceChildren(...rows);
  }
  if (!$("member-rows").children.length) {
    $("member-rows").append(row([element("td", "No members to show.", { colspan: "5" })]));
  }
  after = members.pageInfo.endCursor;
  $("more-members").hidden = !members.pageInfo.hasNextPage;
}

async function loadAudit() {
  const data = await call("AdminAudit", { domain });
  const rows = data.domain.auditLog.map((entry) =>
    row([
      when(entry.at),
      entry.actor ? entry.actor.displayName : "—",
      entry.action,
      entry.account ? entry.account.displayName : "(erased)",
      entry.outcome,
    ]),
  );
  $("audit-rows").replaceChildren(...rows);
  if (!rows.length) {
    $("audit-rows").append(row([element("td", "No actions yet.", { colspan: "5" })]));
  }
}

async function loadDomain() {
  const data = await call("AdminDomain", { domain });
  const stats = data.domain.domainStats;
  const counted = stats.members === null ? "fewer than 5 members" : `${stats.members} members`;
  $("domain-name").textContent = `${data.domain.name}: ${counted}`;
}

function openConfirm(name, member, opener) {
  pending = { name, member, opener };
  $("confirm-question").textContent = ACTIONS[name].question(who(member));
  $("rights-fields").hidden = name !== "limit";
  if (name === "limit") {
    const rights = member.rightsLimits || {};
    $("limit-edit").checked = Boolean(rights.edit);
    $("limit-delete").checked = Boolean(rights.delete);
    $("limit-privacy").checked = Boolean(rights.privacy);
  }
  $("confirm-yes").textContent = `${ACTIONS[name].label}: confirm`;
  $("confirm").hidden = false;
  $("confirm-no").focus();
}

function closeConfirm() {
  const opener = pending && pending.opener;
  pending = null;
  $("confirm").hidden = true;
  if (opener && opener.isConnected) {
    opener.focus();
  }
}

async function confirmAction() {
  if (pending === null) {
    return;
  }
  const { name, member } = pending;
  const variables = { accountId: member.id };
  if (name === "limit") {
    variables.edit = $("limit-edit").checked;
    variables.delete = $("limit-delete").checked;
    variables.privacy = $("limit-privacy").checked;
  }
  closeConfirm();
  try {
    await call(ACTIONS[name].operation, variables);
    say(`Done: ${ACTIONS[name].label.toLowerCase()} for ${who(member)}.`);
  } catch (failure) {
    say(`Not done: ${failure.message}`, { error: true });
  }
  await Promise.all([loadMembers(), loadAudit(), loadDomain()]);
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  $("token").value = "";
  setToken(token);
  const domains = domainsOf(token);
  if (!domains.length) {
    notAdmin();
    return;
  }
  domain = domains[0];
  try {
    await loadDomain();
  } catch (failure) {
    if (failure instanceof GraphQLFailure && failure.codes.includes("FORBIDDEN")) {
      notAdmin();
    } else if (domain !== null) {
      say(`Could not load the domain: ${failure.message}`, { error: true });
    }
    return;
  }
  show("admin");
  say("");
  await Promise.all([loadMembers(), loadAudit()]);
  $("members-heading").focus();
}

$("members-heading").tabIndex = -1;
$("not-admin-heading").tabIndex = -1;
$("sign-in-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => signOut("Signed out."));
$("filter-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadMembers().catch((failure) => say(failure.message, { error: true }));
});
$("more-members").addEventListener("click", () =>
  loadMembers({ more: true }).catch((failure) => say(failure.message, { error: true })),
);
$("confirm-yes").addEventListener("click", confirmAction);
$("confirm-no").addEventListener("click", closeConfirm);
$("confirm").addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    closeConfirm();
  }
});
