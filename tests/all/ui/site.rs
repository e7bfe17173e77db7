//! session-local running in-process on an ephemeral port (in a thread with its own runtime, so
//! the tests stay plain blocking code), plus the calls the auth service and a second device
//! would make.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};
use session_core::ids::{SessionId, UserId};
use session_local::{EventOutput, JwtSecret, LocalServer, ServerConfig};
use session_tests::http1::RawResponse;
use tokio::sync::oneshot;

use super::wire::exchange;

const SECRET: &str = "browser-test-secret-of-at-least-32-bytes";

/// User agents of the devices the tests sign in, and what the server names them.
pub const LAPTOP_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
pub const PHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
pub const WINDOWS_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
pub const ANDROID_UA: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

pub struct Site {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    events_file: PathBuf,
}

/// A user's session and the bearer token for it.
#[derive(Clone, Debug)]
pub struct Device {
    pub session_id: String,
    pub token: String,
    pub device_info: String,
}

impl Site {
    /// Starts the server over the embedded store; with `GEOIP_TEST_DB` set, sessions get real
    /// locations (the screenshots look like a real account then).
    pub fn start() -> Self {
        let events_file =
            std::env::temp_dir().join(format!("session-ui-events-{}.jsonl", uuid::Uuid::now_v7()));
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        config.jwt_secret = JwtSecret::resolve(Some(SECRET.to_owned()));
        config.events = EventOutput::File(events_file.clone());
        config.geoip_db = std::env::var_os("GEOIP_TEST_DB").map(PathBuf::from);
        let (addr_sender, addr_receiver) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let server = LocalServer::bind(config).await.unwrap();
                addr_sender.send(server.local_addr()).unwrap();
                server
                    .run(async {
                        stopped.await.ok();
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("session-local started");
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
            events_file,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> RawResponse {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(value) = &authorization {
            headers.push(("authorization", value));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        exchange(self.addr, method, path, &headers, body.as_bytes()).unwrap()
    }

    fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let response = self.call(method, path, token, body);
        assert_eq!(
            response.status,
            status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&response.body)
        );
        serde_json::from_slice(&response.body).unwrap_or(Value::Null)
    }

    /// Registers `user` on `tier` (unknown users cannot log in).
    pub fn register(&self, user: &str, tier: &str) {
        self.json(
            "PUT",
            &format!("/internal/users/{user}/session-policy"),
            None,
            Some(json!({ "tier": tier })),
            200,
        );
    }

    /// A login as the auth service makes it, and the token it would issue.
    pub fn login(&self, user: &str, user_agent: &str, ip: &str) -> Device {
        let created = self.json(
            "POST",
            "/internal/sessions",
            None,
            Some(json!({ "user_id": user, "user_agent": user_agent, "ip_address": ip })),
            201,
        );
        let session_id = created["session_id"].as_str().unwrap().to_owned();
        Device {
            token: self.token(user, &session_id),
            device_info: created["device_info"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            session_id,
        }
    }

    pub fn token(&self, user: &str, session: &str) -> String {
        session_local::token::mint(
            &JwtSecret::resolve(Some(SECRET.to_owned())),
            &UserId::from_str(user).unwrap(),
            SessionId::from_str(session).unwrap(),
            Duration::from_secs(600),
        )
        .unwrap()
    }

    /// The user's active sessions, as the API lists them to `device`.
    pub fn active_sessions(&self, device: &Device) -> Vec<Value> {
        let page = self.json(
            "GET",
            "/sessions?active_only=true",
            Some(&device.token),
            None,
            200,
        );
        page["sessions"].as_array().unwrap().clone()
    }

    /// Stops the server; the page's next request fails at the network.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic in the server thread has already been printed; the test's own asserts say
            // what went wrong for the page.
            let _ = thread.join();
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.events_file);
    }
}
