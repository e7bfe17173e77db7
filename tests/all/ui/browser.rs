//! A small WebDriver client: chromedriver started on a free port, one headless Chromium session,
//! the few commands the tests use, and a cleanup that leaves no browser behind.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use serde_json::{Value, json};

use super::wire::exchange;

const REQUIRE_BROWSER: &str = "SESSION_TESTS_REQUIRE_BROWSER";

/// The key WebDriver sends for a named key (WebDriver spec, "keyboard actions").
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const ARROW_RIGHT: &str = "\u{E014}";
    /// Shift+Tab, pressed as a chord by [`super::Browser::press`].
    pub const SHIFT_TAB: &str = "\u{E008}\u{E004}";
}

/// Where the browser, its driver and axe-core are.
pub struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    pub axe: PathBuf,
}

impl Tools {
    /// The tools `scripts/lib/browser.sh` installed, or `None` after saying why on stderr.
    pub fn find() -> Option<Self> {
        let path = |name: &str| std::env::var_os(name).map(PathBuf::from);
        let found = (
            path("SESSION_UI_CHROMIUM"),
            path("SESSION_UI_CHROMEDRIVER"),
            path("SESSION_UI_AXE"),
        );
        let (Some(chromium), Some(chromedriver), Some(axe)) = found else {
            assert!(
                std::env::var(REQUIRE_BROWSER).as_deref() != Ok("1"),
                "SESSION_UI_CHROMIUM, SESSION_UI_CHROMEDRIVER and SESSION_UI_AXE must be set \
                 when {REQUIRE_BROWSER}=1: source scripts/lib/browser.sh and run browser_install"
            );
            // Straight to the stderr handle: the test harness captures eprintln!.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: no browser (source scripts/lib/browser.sh && browser_install)"
            );
            return None;
        };
        for file in [&chromium, &chromedriver, &axe] {
            assert!(file.is_file(), "{} does not exist", file.display());
        }
        Some(Self {
            chromium,
            chromedriver,
            axe,
        })
    }
}

/// A reference to an element of the page (a WebDriver element id).
#[derive(Clone, Debug)]
pub struct Element(String);

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A failed WebDriver command.
#[derive(Debug)]
pub struct CommandError {
    pub error: String,
    pub message: String,
}

/// One headless Chromium, driven through its own chromedriver.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    /// Chromium's pid, killed on drop if closing the session left it running.
    chromium_pid: Option<u32>,
    profile: PathBuf,
    log: PathBuf,
}

impl Browser {
    pub fn start(tools: &Tools) -> Self {
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = logs_dir().join(format!("chromedriver-{port}.log"));
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools.chromedriver.display()));
        let profile = std::env::temp_dir().join(format!("session-ui-profile-{port}"));
        let mut browser = Self {
            driver,
            addr,
            session: String::new(),
            chromium_pid: None,
            profile,
            log,
        };
        browser.wait_for_driver();
        // Flags that keep Chromium from reaching out to Google's services (there is no network
        // beyond this machine) and from asking anything of a first run.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1000,1200",
            "--lang=en-US",
            &format!("--user-data-dir={}", browser.profile.display()),
        ];
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": tools.chromium,
                    "args": args,
                    "prefs": { "intl.accept_languages": "en-US" },
                },
            }}
        });
        let created = browser
            .raw("POST", "/session", Some(capabilities))
            .unwrap_or_else(|e| panic!("no browser session: {e:?}"));
        browser.session = created["sessionId"].as_str().unwrap().to_owned();
        browser.chromium_pid = created["capabilities"]["goog:processID"]
            .as_u64()
            .and_then(|pid| u32::try_from(pid).ok());
        browser
    }

    fn wait_for_driver(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = exchange(self.addr, "GET", "/status", &[], b"")
                && response.status == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited with {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("chromedriver did not answer within 30 s");
    }

    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, CommandError> {
        // chromedriver wants a JSON object on every POST, even one without parameters.
        let body = match (body, method) {
            (Some(body), _) => body.to_string(),
            (None, "POST") => "{}".to_owned(),
            (None, _) => String::new(),
        };
        let response = exchange(
            self.addr,
            method,
            path,
            &[("content-type", "application/json; charset=utf-8")],
            body.as_bytes(),
        )
        .map_err(|e| CommandError {
            error: "io".into(),
            message: e.to_string(),
        })?;
        let reply: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let value = reply["value"].clone();
        if response.status == 200 {
            Ok(value)
        } else {
            Err(CommandError {
                error: value["error"].as_str().unwrap_or("unknown").to_owned(),
                message: value["message"].as_str().unwrap_or_default().to_owned(),
            })
        }
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.raw(method, &path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {}: {}", e.error, e.message))
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs `script`, which calls its last argument with the result.
    pub fn run_async(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Polls `script` until it returns something other than null/false/"" (then returns it),
    /// failing the test after 15 s with `what` and the last value seen.
    pub fn wait_until(&self, what: &str, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let value = self.run(script, args.clone());
            let truthy =
                !matches!(&value, Value::Null | Value::Bool(false)) && value.as_str() != Some("");
            if truthy {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The element `script` returns (polled until it exists).
    pub fn element(&self, what: &str, script: &str, args: Value) -> Element {
        let value = self.wait_until(what, script, args);
        Element(
            value[ELEMENT_KEY]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: not an element: {value}"))
                .to_owned(),
        )
    }

    /// Clicks through the browser's input pipeline (fails if the element is hidden or covered).
    pub fn click(&self, element: &Element) {
        self.command("POST", &format!("/element/{}/click", element.0), None);
    }

    pub fn clear(&self, element: &Element) {
        self.command("POST", &format!("/element/{}/clear", element.0), None);
    }

    pub fn type_into(&self, element: &Element, text: &str) {
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// Presses and releases `keys` on whatever has the focus: one key, or a chord (all go down
    /// in order, then up in reverse).
    pub fn press(&self, keys: &str) {
        let down = keys
            .chars()
            .map(|k| json!({ "type": "keyDown", "value": k.to_string() }));
        let up = keys
            .chars()
            .rev()
            .map(|k| json!({ "type": "keyUp", "value": k.to_string() }));
        let actions: Vec<Value> = down.chain(up).collect();
        self.command(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }]})),
        );
    }

    /// The element (and its descriptor) that has the focus, looking into shadow roots.
    pub fn focused(&self) -> Value {
        self.run(
            "let node = document.activeElement;
             while (node && node.shadowRoot && node.shadowRoot.activeElement) {
               node = node.shadowRoot.activeElement;
             }
             if (!node) return null;
             return (node.getAttribute('role') || node.tagName.toLowerCase()) + ': ' +
                    (node.getAttribute('aria-label') || node.textContent || node.id || '').trim();",
            json!([]),
        )
    }

    /// Saves a PNG of the viewport as `target/ui-screenshots/NAME.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let encoded = self.command("GET", "/screenshot", None);
        let png = BASE64_STANDARD.decode(encoded.as_str().unwrap()).unwrap();
        let path = screenshots_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.raw("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Some(pid) = self.chromium_pid
            && Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
        // The driver's log is kept for a failed test only.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `target/ui-screenshots/` (under `CARGO_TARGET_DIR` when set), created on first use.
pub fn screenshots_dir() -> PathBuf {
    target_subdir("ui-screenshots")
}

/// `target/ui-logs/`: chromedriver's logs of failed tests.
fn logs_dir() -> PathBuf {
    target_subdir("ui-logs")
}

fn target_subdir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
