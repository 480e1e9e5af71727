//! An SMTP server on loopback for the tests, speaking just enough of RFC 5321
//! for a real client: the greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA with a
//! dot-terminated, dot-stuffed body, RSET, NOOP and QUIT. It answers RCPT TO
//! or the end of DATA as a test tells it (`550 5.1.1 …`, `451 4.3.0 …`), plain
//! or behind TLS from the first byte (`smtps://`), and keeps the messages it
//! accepted with a small reader of their headers and text.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// Lines one session may send before the server hangs up: far more than one
/// message of a test takes.
const SESSION_LINES_MAX: usize = 10_000;

/// How the server answers, as a test sets it: `None` accepts.
#[derive(Clone, Debug, Default)]
struct Answers {
    rcpt: Option<String>,
    data: Option<String>,
}

/// What the server keeps: accepted messages, and how many were refused.
#[derive(Default)]
struct Kept {
    messages: Vec<Received>,
    refused: usize,
}

/// A running test SMTP server.
pub struct SmtpServer {
    port: u16,
    is_tls: bool,
    answers: Arc<Mutex<Answers>>,
    kept: Arc<Mutex<Kept>>,
}

impl SmtpServer {
    /// A plain server at `smtp://127.0.0.1:PORT` that accepts every message.
    pub async fn start() -> SmtpServer {
        SmtpServer::listen(None).await
    }

    /// A server speaking TLS from the start with `config`, at
    /// `smtps://localhost:PORT`.
    pub async fn start_tls(config: ServerConfig) -> SmtpServer {
        SmtpServer::listen(Some(TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn listen(tls: Option<TlsAcceptor>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = SmtpServer {
            port: listener.local_addr().unwrap().port(),
            is_tls: tls.is_some(),
            answers: Arc::default(),
            kept: Arc::default(),
        };
        let (answers, kept) = (server.answers.clone(), server.kept.clone());
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (answers, kept, tls) = (answers.clone(), kept.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        // A client that refuses the certificate gets no session.
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(tcp).await {
                                session(stream, &answers, &kept).await;
                            }
                        }
                        None => session(tcp, &answers, &kept).await,
                    }
                });
            }
        });
        server
    }

    /// The `--smtp-url` that reaches it.
    pub fn url(&self) -> String {
        if self.is_tls {
            format!("smtps://localhost:{}", self.port)
        } else {
            format!("smtp://127.0.0.1:{}", self.port)
        }
    }

    /// Answers every RCPT TO with `reply` (`550 5.1.1 mailbox unavailable`).
    pub fn refuse_recipients(&self, reply: &str) {
        self.answers.lock().unwrap().rcpt = Some(reply.to_owned());
    }

    /// Answers the end of every message's data with `reply`.
    pub fn refuse_data(&self, reply: &str) {
        self.answers.lock().unwrap().data = Some(reply.to_owned());
    }

    /// Accepts every message from now on.
    pub fn accept(&self) {
        *self.answers.lock().unwrap() = Answers::default();
    }

    /// The messages accepted so far, oldest first.
    pub fn got(&self) -> Vec<Received> {
        self.kept.lock().unwrap().messages.clone()
    }

    /// How many messages were refused, at RCPT TO or at the end of data.
    pub fn refused(&self) -> usize {
        self.kept.lock().unwrap().refused
    }
}

/// One SMTP session on `stream`, until QUIT, the client hanging up, or
/// [`SESSION_LINES_MAX`] lines.
async fn session(
    stream: impl AsyncRead + AsyncWrite + Unpin,
    answers: &Mutex<Answers>,
    kept: &Mutex<Kept>,
) {
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    let mut envelope = Received::default();
    if writer
        .write_all(b"220 localhost tracklane test ESMTP\r\n")
        .await
        .is_err()
    {
        return;
    }
    for _ in 0..SESSION_LINES_MAX {
        let Some(line) = read_line(&mut reader).await else {
            return;
        };
        let upper = line.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            "250-localhost\r\n250 8BITMIME".to_owned()
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 2.0.0 OK".to_owned()
        } else if upper.starts_with("RSET") {
            envelope = Received::default();
            "250 2.0.0 OK".to_owned()
        } else if upper.starts_with("MAIL FROM:") {
            envelope = Received {
                mail_from: path(&line),
                ..Received::default()
            };
            "250 2.1.0 OK".to_owned()
        } else if upper.starts_with("RCPT TO:") {
            let refusal = answers.lock().unwrap().rcpt.clone();
            match refusal {
                Some(refusal) => {
                    kept.lock().unwrap().refused += 1;
                    refusal
                }
                None => {
                    envelope.rcpt_to.push(path(&line));
                    "250 2.1.5 OK".to_owned()
                }
            }
        } else if upper == "DATA" {
            if writer
                .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let Some(data) = read_data(&mut reader).await else {
                return;
            };
            envelope.data = data;
            let refusal = answers.lock().unwrap().data.clone();
            let mut kept = kept.lock().unwrap();
            match refusal {
                Some(refusal) => {
                    kept.refused += 1;
                    refusal
                }
                None => {
                    kept.messages.push(std::mem::take(&mut envelope));
                    "250 2.0.0 OK queued".to_owned()
                }
            }
        } else if upper.starts_with("QUIT") {
            let _ = writer.write_all(b"221 2.0.0 bye\r\n").await;
            return;
        } else {
            "500 5.5.2 command not recognised".to_owned()
        };
        if writer
            .write_all(format!("{answer}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// One line without its line end; `None` when the client hung up.
async fn read_line(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<String> {
    let mut bytes = Vec::new();
    match reader.read_until(b'\n', &mut bytes).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(
            String::from_utf8_lossy(&bytes)
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
        ),
    }
}

/// A message's data up to the line holding only `.`, dot-unstuffed, lines
/// joined by CRLF; `None` when the client hung up first.
async fn read_data(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<String> {
    let mut lines = Vec::new();
    for _ in 0..SESSION_LINES_MAX {
        let line = read_line(reader).await?;
        if line == "." {
            return Some(lines.join("\r\n"));
        }
        // RFC 5321 4.5.2: a leading dot was doubled by the client.
        lines.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
    }
    None
}

/// The address in `MAIL FROM:<a@b> …` or `RCPT TO:<a@b>`.
fn path(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}

/// A message the server accepted: its envelope and its data.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// The envelope's sender (MAIL FROM).
    pub mail_from: String,
    /// The envelope's recipients (RCPT TO).
    pub rcpt_to: Vec<String>,
    /// The message as sent, dot-unstuffed, lines joined by CRLF.
    pub data: String,
}

impl Received {
    /// The header block and the body.
    fn parts(&self) -> (&str, &str) {
        self.data.split_once("\r\n\r\n").unwrap_or((&self.data, ""))
    }

    /// The value of header `name`, unfolded, with its RFC 2047 encoded words
    /// decoded; `None` when it is absent.
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = self.parts();
        let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| decode_words(value.trim()))
        })
    }

    /// The body as text, decoded from its Content-Transfer-Encoding, with
    /// `\n` line ends.
    pub fn text(&self) -> String {
        let (_, body) = self.parts();
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => base64(body),
            "quoted-printable" => quoted_printable(body),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8(bytes)
            .expect("the text is UTF-8")
            .replace("\r\n", "\n")
    }
}

/// A header value with its `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words decoded;
/// the space between two encoded words is dropped, as RFC 2047 says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut last_was_word = false;
    for (i, token) in value.split(' ').enumerate() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = match encoding {
                    "b" | "B" => base64(text),
                    "q" | "Q" => quoted_printable(&text.replace('_', " ")),
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        if i > 0 && !(last_was_word && decoded.is_some()) {
            out.push(' ');
        }
        last_was_word = decoded.is_some();
        out.push_str(decoded.as_deref().unwrap_or(token));
    }
    out
}

/// Base64 (RFC 4648's alphabet, padded), ignoring whitespace.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | u32::from(*d) << (18 - 6 * i));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Quoted-printable: `=XX` escapes and `=` soft line breaks.
fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("an =XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn the_readers_decode_what_mail_programs_send() {
    assert_eq!(base64("5rW35YWz5omj55WZ"), "海关扣留".as_bytes());
    assert_eq!(base64("YQ=="), b"a");
    assert_eq!(
        quoted_printable("caf=C3=A9 =\r\nau lait"),
        "café au lait".as_bytes()
    );
    assert_eq!(
        decode_words("=?utf-8?b?5rW35YWz?= =?utf-8?b?5omj55WZ?= Customs hold"),
        "海关扣留 Customs hold"
    );
    assert_eq!(decode_words("plain text"), "plain text");
    assert_eq!(
        path("MAIL FROM:<hub@tracklane.test> BODY=7BIT"),
        "hub@tracklane.test"
    );
}
