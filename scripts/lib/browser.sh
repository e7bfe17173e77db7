# shellcheck shell=bash
# A real browser for the page tests (tests/all/ui): Debian's Chromium and its WebDriver server
# (chromium-driver), and axe-core from the npm registry for the accessibility checks.
#
# Source this file, then call `browser_install`. Chromium and chromium-driver come from apt
# (installed once, as root; the machine keeps them); axe-core is unpacked into the git-ignored
# .cache/axe-core and reused. It exports where the three are: SESSION_UI_CHROMIUM,
# SESSION_UI_CHROMEDRIVER, SESSION_UI_AXE. The tests start and stop the browser themselves.

BROWSER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BROWSER_AXE_VERSION="4.14.1"
BROWSER_APT_PACKAGES=(chromium chromium-driver fonts-liberation)

_browser_say() { printf 'browser: %s\n' "$*" >&2; }

_browser_fail() {
  _browser_say "error: $*"
  return 1
}

# Chromium and chromium-driver from Debian, the same release of both.
browser_install_chromium() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    return 0
  fi
  command -v apt-get >/dev/null ||
    _browser_fail "apt-get is needed to install ${BROWSER_APT_PACKAGES[*]}" || return 1
  [[ "$(id -u)" == 0 ]] ||
    _browser_fail "installing ${BROWSER_APT_PACKAGES[*]} needs root: sudo apt-get install -y ${BROWSER_APT_PACKAGES[*]}" ||
    return 1
  _browser_say "installing ${BROWSER_APT_PACKAGES[*]} (apt-get)"
  local log="$BROWSER_ROOT/target/browser-apt.log"
  mkdir -p "$BROWSER_ROOT/target"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${BROWSER_APT_PACKAGES[@]}"; } \
    >"$log" 2>&1 || { tail -n 20 "$log" >&2; _browser_fail "apt-get install failed (log: $log)"; return 1; }
}

# axe-core's browser bundle from its npm package. A marker written last makes an interrupted
# install start over.
browser_install_axe() {
  local dir="$BROWSER_ROOT/.cache/axe-core/$BROWSER_AXE_VERSION"
  local marker="$dir/.installed"
  [[ -f "$marker" ]] && return 0
  command -v npm >/dev/null || _browser_fail "npm is needed to fetch axe-core" || return 1
  _browser_say "installing axe-core@$BROWSER_AXE_VERSION (npm)"
  rm -rf "$dir" && mkdir -p "$dir" || return 1
  npm pack "axe-core@$BROWSER_AXE_VERSION" --pack-destination "$dir" --silent >/dev/null ||
    _browser_fail "npm pack axe-core failed" || return 1
  tar xzf "$dir/axe-core-$BROWSER_AXE_VERSION.tgz" -C "$dir" package/axe.min.js package/LICENSE ||
    _browser_fail "could not unpack axe-core" || return 1
  rm -f "$dir/axe-core-$BROWSER_AXE_VERSION.tgz"
  touch "$marker"
}

browser_install() {
  browser_install_chromium && browser_install_axe || return 1
  export SESSION_UI_CHROMIUM SESSION_UI_CHROMEDRIVER SESSION_UI_AXE
  SESSION_UI_CHROMIUM="$(command -v chromium)"
  SESSION_UI_CHROMEDRIVER="$(command -v chromedriver)"
  SESSION_UI_AXE="$BROWSER_ROOT/.cache/axe-core/$BROWSER_AXE_VERSION/package/axe.min.js"
  _browser_say "$("$SESSION_UI_CHROMIUM" --version 2>/dev/null), $("$SESSION_UI_CHROMEDRIVER" --version | cut -d' ' -f1-2), axe-core $BROWSER_AXE_VERSION"
}
