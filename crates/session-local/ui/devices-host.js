// The host page of /ui/devices: a development sign-in around <session-devices>. A platform's
// account page does the same with its own sign-in: it gives the component a token provider
// and reacts to `session-ended`.
//
// The sign-in uses the documented POST /internal/sessions (open on the local server) and the
// local-only POST /ui/dev/token (docs/0039); the component itself only uses the user API.

import { callApi, describeFailure } from "./session-devices.js";

const STORAGE_KEY = "session-local.dev-sign-in";

// User agents and addresses (documentation ranges) for simulated devices.
const SIMULATED_DEVICES = [
  { user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", ip_address: "198.51.100.23" },
  { user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", ip_address: "203.0.113.50" },
  { user_agent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", ip_address: "192.0.2.77" },
  { user_agent: "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", ip_address: "198.51.100.200" },
];

const devices = document.querySelector("session-devices");
const signInForm = document.getElementById("sign-in");
const pasteForm = document.getElementById("paste-token");
const signedIn = document.getElementById("signed-in");
const who = document.getElementById("who");
const status = document.getElementById("sign-in-status");
let simulated = 0;

function saved() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
  } catch {
    return null;
  }
}

function show(signIn) {
  const on = Boolean(signIn);
  signInForm.hidden = on;
  signedIn.hidden = !on;
  if (on) {
    who.textContent = signIn.userId;
    pasteForm.hidden = true;
    devices.getToken = () => signIn.token;
  } else {
    devices.getToken = null;
  }
}

function remember(signIn) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(signIn));
  show(signIn);
}

function forget() {
  sessionStorage.removeItem(STORAGE_KEY);
  show(null);
}

// A login as the auth service makes it; a user the service does not know yet is registered on
// the chosen tier first (unknown users cannot log in, docs/0003).
async function logIn(userId, tier, device) {
  const body = { user_id: userId, ...device };
  try {
    return await callApi("/", "/internal/sessions", { method: "POST", body });
  } catch (failure) {
    if (failure.problem?.code !== "user_not_found") throw failure;
    await callApi("/", `/internal/users/${encodeURIComponent(userId)}/session-policy`, {
      method: "PUT",
      body: { tier },
    });
    status.textContent = `${userId} was new: registered on the ${tier} tier.`;
    return await callApi("/", "/internal/sessions", { method: "POST", body });
  }
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const userId = signInForm.user_id.value.trim();
  const tier = signInForm.tier.value;
  status.textContent = "Signing in…";
  try {
    const login = await logIn(userId, tier, { user_agent: navigator.userAgent });
    const minted = await callApi("/", "/ui/dev/token", {
      method: "POST",
      body: { user_id: userId, session_id: login.session_id },
    });
    status.textContent = "";
    remember({ userId, sessionId: login.session_id, token: minted.token });
  } catch (failure) {
    if (failure.problem?.code === "route_not_found") {
      status.textContent =
        "The development sign-in is off: the server listens beyond loopback. Paste a token instead.";
      pasteForm.hidden = false;
      return;
    }
    status.textContent = `Could not sign in. ${describeFailure(failure).text}`;
  }
});

pasteForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = pasteForm.token.value.trim();
  remember({ userId: "the token's user", sessionId: null, token });
});

document.getElementById("another-device").addEventListener("click", async () => {
  const signIn = saved();
  if (!signIn) return;
  const device = SIMULATED_DEVICES[simulated % SIMULATED_DEVICES.length];
  simulated += 1;
  try {
    const login = await logIn(signIn.userId, signInForm.tier.value, device);
    status.textContent = `Signed in on another device: ${login.device_info ?? "unknown device"}.`;
    devices.refresh();
  } catch (failure) {
    status.textContent = `Could not sign in another device. ${describeFailure(failure).text}`;
  }
});

document.getElementById("sign-out").addEventListener("click", async () => {
  const signIn = saved();
  try {
    if (signIn) await callApi("/", "/sessions/current", { method: "DELETE", token: signIn.token });
    status.textContent = "Signed out.";
  } catch (failure) {
    status.textContent = `Signed out of this page. ${describeFailure(failure).text}`;
  }
  forget();
  document.getElementById("user-id").focus();
});

devices.addEventListener("session-ended", () => {
  sessionStorage.removeItem(STORAGE_KEY);
  signInForm.hidden = false;
  signedIn.hidden = true;
  status.textContent = "This browser's session ended. Sign in again.";
});

show(saved());
