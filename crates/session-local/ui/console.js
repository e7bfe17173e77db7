// The support console of /ui/console: look a user up, see every session with its state and how
// it ended, revoke one, revoke all with a reason, disable and enable the account. It calls only
// the documented admin routes (GET /admin/users/{id}/sessions, DELETE /admin/sessions/{id},
// DELETE /admin/users/{id}/sessions, PUT /admin/users/{id}/status), which session-local leaves
// open; elsewhere they need the platform's own authorisation (see the page's warning).

import {
  callApi,
  describeFailure,
  deviceName,
  el,
  formatDateTime,
  placeOf,
  timeElement,
} from "./session-devices.js";

const PAGE_SIZE = 50;
const ACTOR_KEY = "session-local.console.actor";

const lookupForm = document.getElementById("lookup");
const userField = document.getElementById("user-id");
const stateField = document.getElementById("state");
const actorField = document.getElementById("actor");
const status = document.getElementById("status");
const error = document.getElementById("error");
const account = document.getElementById("account");
const accountTitle = document.getElementById("account-title");
const accountStatus = document.getElementById("account-status");
const revokeAll = document.getElementById("revoke-all");
const toggleStatus = document.getElementById("toggle-status");
const rows = document.querySelector("#sessions tbody");
const caption = document.getElementById("sessions-caption");
const noSessions = document.getElementById("no-sessions");
const more = document.getElementById("more");
const dialog = document.getElementById("confirm");
const dialogTitle = document.getElementById("confirm-title");
const dialogText = document.getElementById("confirm-text");
const reasonField = document.getElementById("reason");
const noteField = document.getElementById("note");
const confirmButton = document.getElementById("confirm-button");

// What is on screen: the user looked up, their status, the sessions listed, the next page.
const shown = { userId: null, status: null, sessions: [], cursor: null };
// The action the dialog confirms, and the element to give the focus back to.
let pending = null;

actorField.value = sessionStorage.getItem(ACTOR_KEY) ?? "";
actorField.addEventListener("change", () => sessionStorage.setItem(ACTOR_KEY, actorField.value.trim()));

function say(text) {
  status.textContent = text;
}

function fail(failure, notFound) {
  error.textContent = describeFailure(failure, { notFound }).text.replace(
    "Your session has ended. Sign in again to manage your devices.",
    "The admin routes refused the call (401): sign in to the console again.",
  );
}

function path(...segments) {
  return "/" + segments.map((s) => encodeURIComponent(s)).join("/");
}

async function lookUp(userId, { append = false } = {}) {
  error.textContent = "";
  if (!append) say(`Looking up ${userId}…`);
  try {
    const page = await callApi("/", path("admin", "users", userId, "sessions"), {
      query: { state: stateField.value, limit: PAGE_SIZE, cursor: append ? shown.cursor : null },
    });
    if (!append || shown.userId !== userId) shown.sessions = [];
    shown.userId = userId;
    shown.status = page.status;
    shown.sessions.push(...(page.sessions ?? []));
    shown.cursor = page.next_cursor ?? null;
    render();
    if (!append) say(`${userId}: ${countOf(shown.sessions)} shown, account ${page.status}.`);
  } catch (failure) {
    if (!append) {
      account.hidden = true;
      shown.userId = null;
      say("");
    }
    fail(failure, `No user ${userId} is known to the session service.`);
  }
}

function countOf(sessions) {
  const active = sessions.filter((s) => s.state === "active").length;
  return `${sessions.length} session${sessions.length === 1 ? "" : "s"} (${active} active)`;
}

function render() {
  const lang = document.documentElement.lang || "en";
  account.hidden = false;
  accountTitle.textContent = `User ${shown.userId}`;
  accountStatus.textContent = shown.status === "disabled" ? "Disabled" : "Active";
  accountStatus.className = `account-status account-${shown.status === "disabled" ? "disabled" : "active"}`;
  toggleStatus.textContent = shown.status === "disabled" ? "Enable account…" : "Disable account…";
  revokeAll.disabled = !shown.sessions.some((s) => s.state === "active");
  caption.textContent = `Sessions of ${shown.userId}, newest first (${stateField.selectedOptions[0].textContent.toLowerCase()})`;
  rows.replaceChildren(...shown.sessions.map((session) => row(session, lang)));
  noSessions.hidden = shown.sessions.length > 0;
  more.hidden = !shown.cursor;
}

function row(session, lang) {
  const active = session.state === "active";
  const actions = el("td");
  if (active) {
    const button = el("button", { type: "button", class: "revoke" },
      "Revoke", el("span", { class: "visually-hidden" }, ` the session on ${deviceName(session)}`));
    button.addEventListener("click", () => confirmRevokeOne(session, button));
    actions.append(button);
  }
  return el("tr", { "data-session-id": session.id, "data-state": session.state },
    el("td", {}, deviceName(session)),
    el("td", {}, placeOf(session)),
    el("td", {}, el("time", { datetime: session.created_at }, formatDateTime(session.created_at, lang))),
    el("td", {}, timeElement(session.last_activity_at, lang)),
    el("td", { class: `state state-${active ? "active" : "ended"}` }, session.state),
    el("td", { class: "ended-how" }, endedHow(session, lang)),
    actions);
}

// "admin_action by admin support:jane, 12 Mar 2025, 14:03: note", for support staff.
function endedHow(session, lang) {
  const revocation = session.revocation;
  if (!revocation) return session.state === "active" ? "" : session.state;
  const by = revocation.by ? ` by ${revocation.by.kind}${revocation.by.id ? ` ${revocation.by.id}` : ""}` : "";
  const at = revocation.at ? `, ${formatDateTime(revocation.at, lang)}` : "";
  const note = revocation.note ? `: ${revocation.note}` : "";
  return `${revocation.reason}${by}${at}${note}`;
}

function actor() {
  const value = actorField.value.trim();
  if (!value) {
    error.textContent = "Say who is acting first: fill in “Acting as”.";
    actorField.focus();
    return null;
  }
  return value;
}

function ask({ title, text, confirmLabel, run, returnFocus }) {
  if (!actor()) return;
  error.textContent = "";
  dialogTitle.textContent = title;
  dialogText.textContent = text;
  confirmButton.textContent = confirmLabel;
  noteField.value = "";
  pending = { run, returnFocus };
  dialog.returnValue = "";
  dialog.showModal();
  reasonField.focus();
}

confirmButton.addEventListener("click", () => dialog.close("confirm"));
document.getElementById("cancel-button").addEventListener("click", () => dialog.close("cancel"));
dialog.addEventListener("close", async () => {
  const action = pending;
  pending = null;
  if (!action) return;
  if (dialog.returnValue !== "confirm") {
    action.returnFocus?.focus();
    return;
  }
  const body = { reason: reasonField.value, actor: actor() };
  const note = noteField.value.trim();
  if (note) body.note = note;
  if (!body.actor) return;
  try {
    const message = await action.run(body);
    await lookUp(shown.userId);
    say(message);
  } catch (failure) {
    fail(failure, "Not found: it may have changed meanwhile. Look the user up again.");
  }
  // The row of a revoked session is re-rendered: its button is gone, so the focus goes to the
  // account's first action.
  const fallback = revokeAll.disabled ? toggleStatus : revokeAll;
  (action.returnFocus?.isConnected && !action.returnFocus.disabled ? action.returnFocus : fallback).focus();
});

function confirmRevokeOne(session, button) {
  const name = deviceName(session);
  ask({
    title: "Revoke this session?",
    text: `${shown.userId} is signed out on ${name} (${placeOf(session)}) at once.`,
    confirmLabel: "Revoke session",
    returnFocus: button,
    run: async (body) => {
      await callApi("/", path("admin", "sessions", session.id), { method: "DELETE", body });
      return `Revoked the session on ${name}.`;
    },
  });
}

revokeAll.addEventListener("click", () => {
  const userId = shown.userId;
  ask({
    title: `Revoke every session of ${userId}?`,
    text: `${userId} is signed out on every device at once. The account stays enabled: they can sign in again.`,
    confirmLabel: "Revoke all sessions",
    returnFocus: revokeAll,
    run: async (body) => {
      const result = await callApi("/", path("admin", "users", userId, "sessions"), { method: "DELETE", body });
      const count = result?.revoked_count ?? 0;
      return `Revoked ${count} session${count === 1 ? "" : "s"} of ${userId}.`;
    },
  });
});

toggleStatus.addEventListener("click", () => {
  const userId = shown.userId;
  const disabling = shown.status !== "disabled";
  ask({
    title: disabling ? `Disable ${userId}?` : `Enable ${userId}?`,
    text: disabling
      ? `${userId} is signed out everywhere and cannot sign in until the account is enabled again.`
      : `${userId} can sign in again. Sessions ended while disabled stay ended.`,
    confirmLabel: disabling ? "Disable account" : "Enable account",
    returnFocus: toggleStatus,
    run: async (body) => {
      const result = await callApi("/", path("admin", "users", userId, "status"), {
        method: "PUT",
        body: { status: disabling ? "disabled" : "active", ...body },
      });
      if (!disabling) return `Enabled ${userId}.`;
      const count = result?.revoked_count ?? 0;
      return `Disabled ${userId}: ${count} session${count === 1 ? "" : "s"} revoked.`;
    },
  });
});

lookupForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const userId = userField.value.trim();
  if (userId) lookUp(userId);
});

stateField.addEventListener("change", () => {
  if (shown.userId) lookUp(shown.userId);
});

more.addEventListener("click", () => lookUp(shown.userId, { append: true }));
