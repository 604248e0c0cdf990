//! A misbehaving HTTP/1.1 server on loopback, on raw sockets: it can trickle
//! its head and body a byte at a time, stall, or send a body without end.
//! Each connection answers one request and closes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Sends `head` then `body`, one byte every `gap`.
    Trickle {
        head: String,
        body: Vec<u8>,
        gap: Duration,
    },
    /// Reads the request and never answers.
    Stall,
    /// Sends `head` (which should announce chunked encoding) then the same
    /// chunk for ever, until the client goes away.
    Endless { head: String, chunk: Vec<u8> },
    /// Sends these bytes at once.
    Now(Vec<u8>),
}

/// A 200 JSON head with `content-length`.
pub fn json_head(status: u16, length: usize) -> String {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n"
    )
}

/// A JSON response sent at once.
pub fn json(status: u16, body: &str) -> Reply {
    Reply::Now(format!("{}{body}", json_head(status, body.len())).into_bytes())
}

/// A chunked head for [`Reply::Endless`].
pub fn chunked_head(status: u16) -> String {
    format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
}

/// One HTTP chunk carrying `data`.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// The running server: its base URL and what it counted.
pub struct Hostile {
    pub base_url: String,
    pub requests: Arc<AtomicU64>,
    pub bytes_sent: Arc<AtomicU64>,
}

/// Starts a server that answers each request (its request line, such as
/// `GET /v3/access-request-config HTTP/1.1`) with `reply(line)`.
pub async fn start(reply: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicU64::new(0));
    let bytes_sent = Arc::new(AtomicU64::new(0));
    let reply = Arc::new(reply);
    let (count, sent) = (requests.clone(), bytes_sent.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (reply, count, sent) = (reply.clone(), count.clone(), sent.clone());
            tokio::spawn(async move {
                let Some(line) = read_request(&mut socket).await else {
                    return;
                };
                count.fetch_add(1, Ordering::Relaxed);
                match reply(&line) {
                    Reply::Now(bytes) => {
                        if socket.write_all(&bytes).await.is_ok() {
                            sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        }
                    }
                    Reply::Trickle { head, body, gap } => {
                        for byte in head.into_bytes().into_iter().chain(body) {
                            if socket.write_all(&[byte]).await.is_err() {
                                return;
                            }
                            sent.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(gap).await;
                        }
                    }
                    Reply::Stall => {
                        // Hold the connection until the client gives up.
                        let mut buf = [0u8; 1];
                        let _ = socket.read(&mut buf).await;
                    }
                    Reply::Endless { head, chunk: data } => {
                        if socket.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        let piece = chunk(&data);
                        // Bounded all the same: a test never runs a server for ever.
                        for _ in 0..1_000_000 {
                            if socket.write_all(&piece).await.is_err() {
                                return;
                            }
                            sent.fetch_add(piece.len() as u64, Ordering::Relaxed);
                        }
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    Hostile {
        base_url,
        requests,
        bytes_sent,
    }
}

/// Reads the request head and a `content-length` body; returns the request line.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if data.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    head.lines().next().map(str::to_owned)
}
