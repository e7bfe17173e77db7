//! The pages of session-local in a real browser: Debian's Chromium, headless, driven over
//! WebDriver (chromium-driver) by a small client of our own. Each test starts session-local
//! in-process on an ephemeral port, walks a user or support flow, asserts what the page shows
//! and saves a screenshot under `target/ui-screenshots/`. axe-core (npm) checks accessibility in
//! the same browser.
//!
//! `scripts/lib/browser.sh` installs the three tools and exports where they are
//! (`SESSION_UI_CHROMIUM`, `SESSION_UI_CHROMEDRIVER`, `SESSION_UI_AXE`); without them these
//! tests are skipped with a line on stderr, unless `SESSION_TESTS_REQUIRE_BROWSER=1` (as in
//! scripts/test) makes the absence a failure.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accessibility;
mod browser;
mod console;
mod devices;
mod serving;
mod site;
mod wire;
