// <session-devices>: the devices signed in to the user's account, for a platform's account page.
//
// One ES module, no dependencies, no build step. It talks only to the session service's user
// API (GET /sessions, DELETE /sessions/{id}, DELETE /sessions) with the bearer token the host
// page hands it:
//
//   <script type="module" src="session-devices.js"></script>
//   <session-devices api-base="https://sessions.example.com"></session-devices>
//   <script type="module">
//     const devices = document.querySelector("session-devices");
//     devices.getToken = () => auth.currentAccessToken(); // a string, or a promise of one
//     devices.addEventListener("session-ended", () => location.assign("/sign-in"));
//   </script>
//
// Attributes: `api-base` (URL of the API, relative to the page; default: the page's origin),
// `page-size` (sessions per request, 1-100, default 20). Events (bubbling, composed):
// `session-ended` (the API answered 401: this session was signed out elsewhere or expired),
// `device-signed-out` (detail {sessionId}), `other-devices-signed-out` (detail {revokedCount}).
// Styling: the custom properties in STYLES below (--session-devices-accent and friends).
//
// Every text from the API (device names, locations) is set as text, never parsed as HTML: device
// names come from user agents, which anyone can choose.

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
// A page of ended sessions may come back with few or none of them and a cursor for more (the
// service filters as it reads); a click on "Show more" reads at most this many pages looking for
// some.
const MAX_HISTORY_PAGES_PER_LOAD = 5;

// Which request serves a tab, and which of its sessions the tab shows. History asks for the
// ended sessions (`state=ended`), each saying how it ended (`ended`).
const VIEWS = {
  active: {
    label: "Signed in",
    query: { active_only: "true" },
    keep: () => true,
    empty: "No devices are signed in.",
  },
  history: {
    label: "History",
    query: { state: "ended" },
    keep: (session) => session.status !== "active",
    empty: "No signed-out devices yet.",
  },
};

// How a session ended, in words: by the revocation's reason when it was revoked
// (`session.ended.reason`), else by how it ended (`session.ended.state`, or the status of an API
// without `ended`).
const END_STATES = {
  logout: "Signed out on the device",
  revoked: "Signed out",
  evicted: "Signed out: too many devices",
  expired: "Expired",
  idle_expired: "Timed out after inactivity",
};
const END_REASONS = {
  logout: "Signed out on the device",
  manual: "Signed out from another device",
  logout_all: "Signed out from another device (everywhere else)",
  password_changed: "Signed out after a password change",
  password_reset: "Signed out after a password reset",
  email_changed: "Signed out after an email change",
  mfa_changed: "Signed out after a two-factor change",
  account_recovered: "Signed out after the account was recovered",
  account_disabled: "Signed out: the account was disabled",
  session_limit_exceeded: "Signed out: too many devices",
  suspicious_activity: "Signed out after suspicious activity",
  refresh_token_reuse: "Signed out: its sign-in was used elsewhere",
  replaced_by_new_login: "Replaced by a new sign-in on the device",
  replaced_at_limit: "Signed out to make room for a new device",
  device_removed: "Signed out: the device was removed",
  admin_action: "Signed out by support",
  security_concern: "Signed out by support (security)",
  tier_changed: "Signed out after a plan change",
};

/** A failed call: `kind` is "http" (with `status` and the problem document) or "network". */
export class ApiFailure extends Error {
  constructor(kind, { status = 0, problem = null, retryAfter = null, cause = null } = {}) {
    super(problem?.detail || (kind === "network" ? "network error" : `HTTP ${status}`));
    this.name = "ApiFailure";
    this.kind = kind;
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
    this.cause = cause;
  }
}

/** Seconds from a Retry-After header (seconds or an HTTP date), or null. */
export function retryAfterSeconds(value, now = Date.now()) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * One JSON call to the API. Resolves to the parsed body (null for 204); rejects with an
 * ApiFailure for a network error or any status outside 2xx.
 */
export async function callApi(base, path, { method = "GET", token = null, body = undefined, query = null } = {}) {
  const url = new URL(path.replace(/^\//, ""), withTrailingSlash(base));
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined) url.searchParams.set(name, String(value));
  }
  const headers = { accept: "application/json, application/problem+json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (cause) {
    throw new ApiFailure("network", { cause });
  }
  const text = await response.text().catch(() => "");
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) {
    throw new ApiFailure("http", {
      status: response.status,
      problem: parsed && typeof parsed === "object" ? parsed : null,
      retryAfter: retryAfterSeconds(response.headers.get("retry-after")),
    });
  }
  return parsed;
}

function withTrailingSlash(base) {
  const absolute = new URL(base || "/", document.baseURI);
  if (!absolute.pathname.endsWith("/")) absolute.pathname += "/";
  return absolute;
}

/**
 * What to tell a person about a failure: `text`, and whether trying again may help (`retry`)
 * or the bearer's session is over (`ended`).
 */
export function describeFailure(failure, { notFound = "That was not found." } = {}) {
  if (!(failure instanceof ApiFailure)) {
    return { text: `Something went wrong: ${failure?.message ?? failure}.`, retry: true, ended: false };
  }
  if (failure.kind === "network") {
    return {
      text: "Could not reach the session service. Check your connection, then try again.",
      retry: true,
      ended: false,
    };
  }
  const { status, problem, retryAfter } = failure;
  if (status === 401) {
    return { text: "Your session has ended. Sign in again to manage your devices.", retry: false, ended: true };
  }
  if (status === 404) return { text: notFound, retry: false, ended: false };
  if (status === 429 || status === 503) {
    const wait = retryAfter ? ` in ${retryAfter} second${retryAfter === 1 ? "" : "s"}` : " in a moment";
    return { text: `The service is busy. Try again${wait}.`, retry: true, ended: false };
  }
  const fields = (problem?.errors ?? []).map((error) => `${error.field}: ${error.message}`).join("; ");
  const detail = problem?.detail ? `: ${problem.detail}` : "";
  const title = problem?.title ?? `The request failed (HTTP ${status})`;
  return { text: `${title}${detail}${fields ? ` (${fields})` : ""}.`, retry: status >= 500, ended: false };
}

/** "5 minutes ago", in `lang`. */
export function formatRelative(iso, lang, now = Date.now()) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  const seconds = Math.round((at - now) / 1000);
  const steps = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [30, "day"],
    [12, "month"],
    [Infinity, "year"],
  ];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) {
      if (unit === "second" && Math.abs(value) < 45) {
        return new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(0, "second");
      }
      return new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(Math.round(value), unit);
    }
    value /= size;
  }
  return "";
}

/** "12 Mar 2025, 14:03", in `lang`. */
export function formatDateTime(iso, lang) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(at);
}

/** A `<time>` showing a relative time, with the exact one as its title. */
export function timeElement(iso, lang) {
  const time = el("time", { datetime: iso, title: formatDateTime(iso, lang) });
  time.textContent = formatRelative(iso, lang);
  return time;
}

/** A small DOM builder: `el("p", {class: "x"}, "text", child)`. Strings become text nodes. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The session's device in words. */
export function deviceName(session) {
  return session.device_info || "Unknown device";
}

/** Where the session is: location and address, whichever are known. */
export function placeOf(session) {
  return [session.location, session.ip_address].filter(Boolean).join(" · ") || "Unknown location";
}

/** How an ended session ended, in words. */
export function endOf(session) {
  const reason = session.ended?.reason ?? session.revocation?.reason;
  const state = session.ended?.state ?? session.status ?? session.state;
  return END_REASONS[reason] ?? END_STATES[state] ?? "Ended";
}

// Outline icons; decorative, the device name says the same.
const ICONS = {
  mobile: "M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm3 17h2",
  tablet: "M6 2h12a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm5 17h2",
  desktop: "M3 4h18v12H3zM8 20h8M12 16v4",
  other: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 5v5m0 3h.01",
};

function icon(deviceType) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[deviceType] ?? ICONS.desktop);
  svg.append(path);
  return svg;
}

/** Whether the list offers to sign `session` out: active, and not the one making the request. */
function canSignOut(session) {
  return session.status === "active" && !session.is_current;
}

const STYLES = `
:host {
  --session-devices-text: #1f2937;
  --session-devices-muted: #4b5563;
  --session-devices-surface: #ffffff;
  --session-devices-border: #d1d5db;
  --session-devices-accent: #1d4ed8;
  --session-devices-accent-text: #ffffff;
  --session-devices-danger: #b91c1c;
  --session-devices-danger-text: #ffffff;
  --session-devices-current-bg: #d1fae5;
  --session-devices-current-text: #065f46;
  --session-devices-notice-bg: #eff6ff;
  --session-devices-error-bg: #fef2f2;
  --session-devices-radius: 8px;
  display: block;
  color: var(--session-devices-text);
  font: inherit;
  line-height: 1.45;
}
:host([hidden]), [hidden] { display: none !important; }
* { box-sizing: border-box; }
h2 { font-size: 1.35rem; margin: 0 0 .25rem; }
h3 { font-size: 1rem; margin: 0; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
p { margin: 0; }
.lead { color: var(--session-devices-muted); margin-bottom: 1rem; }
button {
  font: inherit; cursor: pointer; border-radius: 6px; padding: .45rem .9rem;
  border: 1px solid var(--session-devices-border); background: var(--session-devices-surface);
  color: var(--session-devices-text);
}
button:hover { border-color: var(--session-devices-muted); }
button:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid var(--session-devices-accent); outline-offset: 2px;
}
button[disabled] { cursor: progress; opacity: .7; }
button.danger { background: var(--session-devices-danger); border-color: var(--session-devices-danger); color: var(--session-devices-danger-text); }
button.primary { background: var(--session-devices-accent); border-color: var(--session-devices-accent); color: var(--session-devices-accent-text); }
[role="tablist"] { display: flex; gap: .25rem; border-bottom: 1px solid var(--session-devices-border); margin-bottom: 1rem; }
[role="tab"] { border: 0; border-bottom: 3px solid transparent; border-radius: 0; background: none; padding: .5rem .75rem; color: var(--session-devices-muted); }
[role="tab"][aria-selected="true"] { color: var(--session-devices-text); border-bottom-color: var(--session-devices-accent); font-weight: 600; }
.message { padding: .6rem .8rem; border-radius: var(--session-devices-radius); margin-bottom: .75rem; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
.message:empty { display: none; }
.notice { background: var(--session-devices-notice-bg); }
.error { background: var(--session-devices-error-bg); border: 1px solid var(--session-devices-danger); }
ul { list-style: none; margin: 0; padding: 0; display: grid; gap: .5rem; }
li.device {
  display: grid; grid-template-columns: 2.25rem 1fr auto; gap: .75rem; align-items: center;
  padding: .75rem; border: 1px solid var(--session-devices-border); border-radius: var(--session-devices-radius);
  background: var(--session-devices-surface);
}
li.device.current { border-color: var(--session-devices-current-text); }
svg { width: 2rem; height: 2rem; fill: none; stroke: var(--session-devices-muted); stroke-width: 1.6; stroke-linecap: round; stroke-linejoin: round; }
.meta { color: var(--session-devices-muted); font-size: .925rem; }
.badge { font-size: .8rem; font-weight: 600; padding: .1rem .5rem; border-radius: 999px; background: var(--session-devices-current-bg); color: var(--session-devices-current-text); }
.ended { font-size: .8rem; font-weight: 600; padding: .1rem .5rem; border-radius: 999px; background: #f3f4f6; color: var(--session-devices-text); }
.empty { color: var(--session-devices-muted); padding: .75rem 0; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: 1rem; align-items: center; }
.visually-hidden { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
dialog { border: 1px solid var(--session-devices-border); border-radius: var(--session-devices-radius); padding: 1.25rem; max-width: 28rem; color: var(--session-devices-text); background: var(--session-devices-surface); }
dialog::backdrop { background: rgb(17 24 39 / .45); }
dialog p { margin: .5rem 0 1rem; }
@media (max-width: 32rem) {
  li.device { grid-template-columns: 1fr; }
  svg { display: none; }
}
`;

let sheet = null;
function styleSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
  }
  return sheet;
}

let instances = 0;

export class SessionDevices extends HTMLElement {
  static observedAttributes = ["api-base", "page-size"];

  #root;
  #ids;
  #getToken = null;
  #view = "active";
  #sessions = [];
  #cursor = null;
  #generation = 0;
  #busy = false;
  #ended = false;
  #parts = {};

  constructor() {
    super();
    instances += 1;
    this.#ids = `session-devices-${instances}`;
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.adoptedStyleSheets = [styleSheet()];
    this.#build();
  }

  /** A function giving the bearer token (a string or a promise of one). Setting it reloads. */
  get getToken() {
    return this.#getToken;
  }

  set getToken(provider) {
    this.#getToken = typeof provider === "function" ? provider : null;
    this.#ended = false;
    if (this.isConnected) this.refresh();
  }

  connectedCallback() {
    // A host may have set the property before this module upgraded the element.
    if (Object.prototype.hasOwnProperty.call(this, "getToken")) {
      const provider = this.getToken;
      delete this.getToken;
      this.getToken = provider;
      return;
    }
    this.refresh();
  }

  attributeChangedCallback(_name, previous, current) {
    if (previous !== current && this.isConnected) this.refresh();
  }

  /** Reloads the current tab from its first page. */
  refresh() {
    return this.#load({ append: false });
  }

  get #apiBase() {
    return this.getAttribute("api-base") || "/";
  }

  get #pageSize() {
    const size = Number.parseInt(this.getAttribute("page-size") ?? "", 10);
    return Number.isInteger(size) && size >= 1 ? Math.min(size, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  }

  get #lang() {
    return this.closest("[lang]")?.getAttribute("lang") || navigator.language || "en";
  }

  #build() {
    const id = (name) => `${this.#ids}-${name}`;
    const tabs = Object.entries(VIEWS).map(([view, { label }], index) =>
      el("button", {
        type: "button",
        role: "tab",
        id: id(`tab-${view}`),
        "aria-selected": index === 0 ? "true" : "false",
        "aria-controls": id("panel"),
        tabindex: index === 0 ? "0" : "-1",
        "data-view": view,
      }, label),
    );
    const tablist = el("div", { role: "tablist", "aria-label": "Devices" }, tabs);
    tablist.addEventListener("click", (event) => {
      const tab = event.target.closest("[role=tab]");
      if (tab) this.#select(tab.dataset.view, { focus: true });
    });
    tablist.addEventListener("keydown", (event) => this.#onTabKey(event, tabs));

    const notice = el("div", { class: "message notice", role: "status", "aria-live": "polite" });
    const error = el("div", { class: "message error", role: "alert" });
    const list = el("ul", { "aria-labelledby": id("tab-active"), "aria-busy": "false" });
    const empty = el("p", { class: "empty", hidden: true });
    const more = el("button", { type: "button", hidden: true }, "Show more");
    more.addEventListener("click", () => this.#load({ append: true }));
    const others = el("button", { type: "button", class: "danger", hidden: true }, "Sign out everywhere else");
    others.addEventListener("click", () => this.#confirmOthers());
    const refresh = el("button", { type: "button" }, "Refresh");
    refresh.addEventListener("click", () => this.refresh());

    const panel = el("div", { role: "tabpanel", id: id("panel"), "aria-labelledby": id("tab-active") },
      list, empty, el("div", { class: "actions" }, more, others, refresh));

    const dialogText = el("p", { id: id("dialog-text") });
    const confirm = el("button", { type: "button", class: "danger" }, "Sign out everywhere else");
    const cancel = el("button", { type: "button" }, "Cancel");
    const dialog = el("dialog", { "aria-labelledby": id("dialog-title"), "aria-describedby": id("dialog-text") },
      el("h2", { id: id("dialog-title") }, "Sign out everywhere else?"),
      dialogText,
      el("div", { class: "actions" }, confirm, cancel));
    cancel.addEventListener("click", () => dialog.close("cancel"));
    confirm.addEventListener("click", () => dialog.close("confirm"));
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "confirm") this.#signOutOthers();
      else others.focus();
    });

    const section = el("section", { "aria-labelledby": id("title") },
      el("h2", { id: id("title") }, "Your devices"),
      el("p", { class: "lead" }, "Where your account is signed in. Sign out any device you do not recognise."),
      tablist, notice, error, panel, dialog);
    this.#root.append(section);
    this.#parts = { tabs, list, empty, more, others, refresh, notice, error, panel, dialog, dialogText, confirm };
  }

  #onTabKey(event, tabs) {
    const index = tabs.indexOf(event.target);
    if (index < 0) return;
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
    this.#select(next.dataset.view, { focus: true });
  }

  #select(view, { focus }) {
    const { tabs, list, panel } = this.#parts;
    for (const tab of tabs) {
      const selected = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      if (selected) {
        if (focus) tab.focus();
        list.setAttribute("aria-labelledby", tab.id);
        panel.setAttribute("aria-labelledby", tab.id);
      }
    }
    if (view !== this.#view) {
      this.#view = view;
      this.#say("");
      this.refresh();
    }
  }

  async #token() {
    if (!this.#getToken) return null;
    return await this.#getToken();
  }

  async #load({ append }) {
    const generation = ++this.#generation;
    const { list, more } = this.#parts;
    const view = VIEWS[this.#view];
    if (!append) {
      this.#sessions = [];
      this.#cursor = null;
    }
    // Once the API said the session ended, the message stays until a new token provider is set.
    if (this.#ended) return this.#render();
    this.#fail(null);
    if (!this.#getToken) {
      this.#render();
      return this.#showEmpty("Sign in to see your devices.");
    }
    list.setAttribute("aria-busy", "true");
    more.disabled = true;
    if (!append) this.#showEmpty("Loading your devices…");
    const firstNew = this.#sessions.length;
    try {
      let pages = 0;
      let found = 0;
      do {
        const token = await this.#token();
        const page = await callApi(this.#apiBase, "/sessions", {
          token,
          query: { ...view.query, limit: this.#pageSize, cursor: this.#cursor },
        });
        if (generation !== this.#generation) return;
        const kept = (page?.sessions ?? []).filter(view.keep);
        this.#sessions.push(...kept);
        found += kept.length;
        this.#cursor = page?.next_cursor ?? null;
        pages += 1;
      } while (found === 0 && this.#cursor && pages < MAX_HISTORY_PAGES_PER_LOAD);
    } catch (failure) {
      if (generation !== this.#generation) return;
      this.#handleFailure(failure, () => this.#load({ append }));
    } finally {
      if (generation === this.#generation) {
        list.setAttribute("aria-busy", "false");
        more.disabled = false;
      }
    }
    if (generation !== this.#generation) return;
    this.#render();
    if (append) this.#focusItem(firstNew);
  }

  #render() {
    const { list, empty, more, others, refresh } = this.#parts;
    const view = VIEWS[this.#view];
    list.replaceChildren(...this.#sessions.map((session) => this.#item(session)));
    list.hidden = this.#sessions.length === 0;
    if (this.#ended) {
      this.#showEmpty("");
    } else if (this.#sessions.length === 0 && !this.#parts.error.textContent) {
      this.#showEmpty(view.empty);
    } else {
      empty.hidden = true;
    }
    more.hidden = !this.#cursor || this.#ended;
    const hasOthers = this.#view === "active" && this.#sessions.some(canSignOut);
    others.hidden = !hasOthers || this.#ended;
    refresh.hidden = this.#ended;
  }

  #showEmpty(text) {
    const { empty } = this.#parts;
    empty.textContent = text;
    empty.hidden = !text;
  }

  #item(session) {
    const lang = this.#lang;
    const name = deviceName(session);
    const active = session.status === "active";
    const heading = el("h3", {}, name);
    if (session.is_current) heading.append(el("span", { class: "badge" }, "This device"));
    if (!active) heading.append(el("span", { class: "ended" }, endOf(session)));
    const when = el("p", { class: "meta" }, "Last active ", timeElement(session.last_activity_at, lang),
      " · Signed in ", timeElement(session.created_at, lang));
    const item = el("li", {
      class: `device${session.is_current ? " current" : ""}`,
      "data-session-id": session.id,
      "data-status": session.status,
      tabindex: "-1",
    }, icon(session.device_type), el("div", {}, heading, el("p", { class: "meta" }, placeOf(session)), when));
    if (canSignOut(session)) {
      const button = el("button", { type: "button", class: "sign-out" },
        "Sign out", el("span", { class: "visually-hidden" }, ` ${name}, ${placeOf(session)}`));
      button.addEventListener("click", () => this.#signOut(session, button));
      item.append(button);
    } else {
      item.append(el("span"));
    }
    return item;
  }

  #focusItem(index) {
    const items = this.#parts.list.children;
    const target = items[Math.min(index, items.length - 1)];
    if (target) target.focus();
  }

  async #signOut(session, button) {
    const name = deviceName(session);
    button.disabled = true;
    this.#fail(null);
    const index = this.#sessions.filter(canSignOut).indexOf(session);
    try {
      const token = await this.#token();
      await callApi(this.#apiBase, `/sessions/${encodeURIComponent(session.id)}`, { method: "DELETE", token });
      this.#say(`Signed out ${name}.`);
      this.dispatchEvent(new CustomEvent("device-signed-out", {
        bubbles: true, composed: true, detail: { sessionId: session.id },
      }));
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.status === 404) {
        this.#say(`${name} was already signed out.`);
      } else {
        button.disabled = false;
        this.#handleFailure(failure, () => this.#signOut(session, button));
        return;
      }
    }
    await this.refresh();
    // Keep the keyboard where it was: on the next device's button, or the list's end.
    const buttons = [...this.#parts.list.querySelectorAll("button.sign-out")];
    const next = buttons[Math.min(Math.max(index, 0), buttons.length - 1)];
    (next ?? this.#parts.refresh).focus();
  }

  #confirmOthers() {
    const count = this.#sessions.filter(canSignOut).length;
    const more = this.#cursor ? " and any others" : "";
    const devices = count === 1 ? "1 other device" : `${count} other devices`;
    this.#parts.dialogText.textContent =
      `This signs out ${devices}${more} signed in to your account. This device stays signed in.`;
    this.#parts.dialog.returnValue = "";
    this.#parts.dialog.showModal();
    this.#parts.confirm.focus();
  }

  async #signOutOthers() {
    const { others } = this.#parts;
    others.disabled = true;
    this.#fail(null);
    try {
      const token = await this.#token();
      const result = await callApi(this.#apiBase, "/sessions", { method: "DELETE", token });
      const count = result?.revoked_count ?? 0;
      this.#say(count === 1 ? "Signed out 1 other device." : `Signed out ${count} other devices.`);
      this.dispatchEvent(new CustomEvent("other-devices-signed-out", {
        bubbles: true, composed: true, detail: { revokedCount: count },
      }));
      await this.refresh();
      this.#parts.refresh.focus();
    } catch (failure) {
      this.#handleFailure(failure, () => this.#signOutOthers());
    } finally {
      others.disabled = false;
    }
  }

  #handleFailure(failure, retry) {
    const described = describeFailure(failure, {
      notFound: "That device was not found: it may have been signed out already.",
    });
    if (described.ended) {
      this.#ended = true;
      this.#sessions = [];
      this.#cursor = null;
      this.#render();
      this.#fail(described.text, null);
      this.dispatchEvent(new CustomEvent("session-ended", { bubbles: true, composed: true }));
      return;
    }
    this.#fail(described.text, described.retry ? retry : null);
    this.#render();
  }

  #say(text) {
    this.#parts.notice.textContent = text;
  }

  #fail(text, retry = null) {
    const { error } = this.#parts;
    if (!text) {
      error.replaceChildren();
      return;
    }
    const children = [el("span", { class: "error-text" }, text)];
    if (retry) {
      const again = el("button", { type: "button", class: "primary" }, "Try again");
      again.addEventListener("click", () => retry());
      children.push(again);
    }
    error.replaceChildren(...children);
  }
}

if (!customElements.get("session-devices")) {
  customElements.define("session-devices", SessionDevices);
}
