// The privacy center (/account): everything through /graphql by registered operations
// (client.js), every value from the server rendered as text, never as HTML.

import {
  GraphQLFailure,
  call,
  download,
  element,
  onSessionEnded,
  row,
  run,
  say,
  setToken,
  when,
} from "/pages/client.js";

const $ = (id) => document.getElementById(id);
const DEVICE_KEY = "imoox-device-id";
const KINDS = {
  user: "Person",
  domain_admin: "Domain admin",
  processor: "Processor",
  partner: "Partner",
  authority: "Authority",
  compliance: "IMOOX compliance",
};

let username = null;

/** This browser's device id: not a credential (SPEC: it only keys what a device remembers). */
function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (id === null) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function fill(tbody, rows, empty, columns) {
  tbody.replaceChildren(...rows);
  if (!rows.length) {
    tbody.append(row([element("td", empty, { colspan: String(columns) })]));
  }
}

function showSignedIn(signedIn) {
  $("sign-in-view").hidden = signedIn;
  $("account-view").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
}

function signedOut(message) {
  setToken(null);
  username = null;
  showSignedIn(false);
  $("delete-confirm").hidden = true;
  say(message);
  $("username").focus();
}

// A session that ended (expired, signed out elsewhere) signs the page out.
onSessionEnded(() => signedOut("Your session has ended. Please sign in again."));

async function loadProfile() {
  const { me } = await call("AccountProfile");
  username = me.username;
  const facts = [
    ["Name", me.displayName],
    ["Username", me.username],
    ["E-mail", me.email],
    ["Phone", me.phone],
    ["Institution", me.domain],
    ["Account status", me.status],
    ["Items", me.stats?.contentCount],
    ["Last sign-in", when(me.stats?.lastSignInAt)],
  ];
  $("profile-facts").replaceChildren(
    ...facts.flatMap(([term, value]) => [element("dt", term), element("dd", value ?? "—")]),
  );
  const settings = me.settings || {};
  $("setting-language").value = settings.language ?? "";
  $("setting-theme").value = (settings.theme ?? "SYSTEM").toUpperCase();
  $("setting-visibility").value = (settings.profileVisibility ?? "PUBLIC").toUpperCase();
  $("setting-ads").checked = Boolean(settings.personalizedAds);
  $("setting-friends").checked = Boolean(settings.friendsRecommendations);
}

async function loadDisclosures() {
  const { me } = await call("AccountDisclosures");
  const records = [...me.disclosures].sort((a, b) => (a.at < b.at ? 1 : -1));
  const rows = records.map((record) =>
    row(
      [
        when(record.at),
        `${KINDS[record.principalKind] ?? record.principalKind} ${record.principalId}`,
        (record.fields ?? []).join(", "),
        record.purpose ?? record.relation,
        record.legalRequest ? `Legal request ${record.legalRequest}` : `As ${record.relation}`,
      ],
      { "data-principal": record.principalId ?? "" },
    ),
  );
  fill($("disclosure-rows"), rows, "Nobody else has received your personal data.", 5);
}

async function loadConsents() {
  const { me } = await call("AccountConsents");
  const rows = me.consents.map((consent) => {
    const action = element("td");
    if (consent.active) {
      const revoke = element("button", "Revoke", {
        type: "button",
        class: "secondary",
        "aria-label": `Revoke consent for ${consent.recipient}`,
      });
      revoke.addEventListener("click", () => revokeConsent(consent));
      action.append(revoke);
    }
    const ended = consent.revokedAt ? `Revoked ${when(consent.revokedAt)}` : "Expired";
    return row(
      [
        consent.recipient,
        (consent.fields ?? []).join(", "),
        consent.purpose,
        when(consent.grantedAt),
        consent.active ? "Active" : ended,
        action,
      ],
      { "data-recipient": consent.recipient ?? "" },
    );
  });
  fill($("consent-rows"), rows, "You have given no consents.", 6);
}

async function revokeConsent(consent) {
  try {
    await call("AccountRevokeConsent", { consentId: consent.id });
    say(`${consent.recipient} may no longer see your ${(consent.fields ?? []).join(", ")}.`);
    await loadConsents();
  } catch (failure) {
    say(`The consent could not be revoked: ${failure.message}`, { error: true });
  }
}

async function loadDevices() {
  const { me } = await call("AccountDevices");
  const devices = me.devices.map((device) =>
    row([
      device.deviceId,
      device.userAgent,
      when(device.firstSeenAt),
      when(device.lastSeenAt),
    ]),
  );
  fill($("device-rows"), devices, "No devices.", 4);
  const signIns = [...me.signIns]
    .sort((a, b) => (a.at < b.at ? 1 : -1))
    .map((signIn) => {
      const check = signIn.suspicious
        ? element("td", "Suspicious: a new device", { class: "badge" })
        : element("td", "Known device");
      const listed = row([when(signIn.at), signIn.deviceId, signIn.ip, signIn.userAgent, check]);
      listed.classList.toggle("suspicious", Boolean(signIn.suspicious));
      return listed;
    });
  fill($("sign-in-rows"), signIns, "No sign-ins.", 5);
}

async function loadAll() {
  try {
    await Promise.all([loadProfile(), loadDisclosures(), loadConsents(), loadDevices()]);
  } catch (failure) {
    say(`Part of your data could not be loaded: ${failure.message}`, { error: true });
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const password = $("password");
  try {
    const { signIn: session } = await run("AccountSignIn", {
      username: $("username").value,
      password: password.value,
      deviceId: deviceId(),
    });
    setToken(session.accessToken);
  } catch (failure) {
    const limited = failure instanceof GraphQLFailure && failure.codes.includes("RATE_LIMITED");
    say(limited ? failure.message : "Sign-in failed: wrong username or password.", { error: true });
    return;
  } finally {
    password.value = "";
  }
  form.reset();
  showSignedIn(true);
  say("Signed in.");
  await loadAll();
  $("main").focus();
}

async function saveSettings(event) {
  event.preventDefault();
  const input = {
    language: $("setting-language").value.trim() || null,
    theme: $("setting-theme").value,
    profileVisibility: $("setting-visibility").value,
    personalizedAds: $("setting-ads").checked,
    friendsRecommendations: $("setting-friends").checked,
  };
  try {
    await call("AccountUpdateSettings", { input });
    say("Settings saved.");
  } catch (failure) {
    say(`The settings were not saved: ${failure.message}`, { error: true });
  }
}

async function exportData() {
  try {
    await download("/export", "imoox-export.json");
    say("Your data was downloaded as imoox-export.json.");
  } catch (failure) {
    say(`The export failed: ${failure.message}`, { error: true });
  }
}

function askDelete() {
  $("delete-confirm").hidden = false;
  $("delete-username").value = "";
  $("delete-username").focus();
}

async function deleteAccount() {
  if ($("delete-username").value.trim().toLowerCase() !== username) {
    say("Type your username exactly to confirm deletion.", { error: true });
    $("delete-username").focus();
    return;
  }
  try {
    const { deleteMyAccount } = await call("AccountDelete");
    if (deleteMyAccount.erased) {
      signedOut("Your account was deleted.");
    }
  } catch (failure) {
    say(`Your account was not deleted: ${failure.message}`, { error: true });
  }
}

async function signOut() {
  try {
    await call("AccountSignOut");
  } finally {
    signedOut("Signed out.");
  }
}

$("sign-in-form").addEventListener("submit", signIn);
$("settings-form").addEventListener("submit", saveSettings);
$("export").addEventListener("click", exportData);
$("delete-start").addEventListener("click", askDelete);
$("delete-yes").addEventListener("click", deleteAccount);
$("delete-no").addEventListener("click", () => {
  $("delete-confirm").hidden = true;
  $("delete-start").focus();
});
$("sign-out").addEventListener("click", signOut);
