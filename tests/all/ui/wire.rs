//! One blocking HTTP/1.1 exchange on a fresh connection: the tests talk to chromedriver and to
//! session-local from plain threads, so cleanup can run in `Drop`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use session_tests::http1::{self, RawResponse};

/// Long enough for a page load or an axe run on a loaded two-core machine.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(60);

pub fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(EXCHANGE_TIMEOUT))?;
    stream.set_write_timeout(Some(EXCHANGE_TIMEOUT))?;
    let head = http1::request_head(method, path, &addr.to_string(), headers, body.len());
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    // chromedriver keeps the connection open despite `connection: close`: the response ends
    // where its Content-Length (or last chunk) says, not at end of stream.
    while !is_complete(&raw) {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        raw.extend_from_slice(&buffer[..read]);
    }
    Ok(http1::parse_response(&raw))
}

fn is_complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().to_owned())
    };
    if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        return body.len() >= length;
    }
    if header("transfer-encoding").is_some_and(|v| v == "chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    false
}
