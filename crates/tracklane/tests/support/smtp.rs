//! An SMTP server on loopback for the tests, speaking just enough of RFC 5321
//! for a real client: the greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA with a
//! dot-terminated, dot-stuffed body, RSET, NOOP and QUIT. It answers RCPT TO
//! or the end of DATA as a test tells it (`550 5.1.1 …`, `451 4.3.0 …`), plain
//! or behind TLS from the first byte (`smtps://`), and keeps the messages it
//! accepted with a small reader of their headers and text.
//!
//! A test may also have it offer STARTTLS (RFC 3207): after `220` the
//! connection is upgraded and the session starts again from EHLO, knowing
//! nothing of what came before. And it may require AUTH PLAIN or LOGIN
//! (RFC 4954) as one user before it takes MAIL FROM; offering STARTTLS too,
//! it takes AUTH only over TLS, as relays on port 587 do.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
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

/// What the server keeps: accepted messages, how many were refused, and the
/// commands it was sent.
#[derive(Default)]
struct Kept {
    messages: Vec<Received>,
    refused: usize,
    commands: Vec<String>,
}

/// What the server offers beyond plain SMTP, fixed when it starts.
#[derive(Clone, Default)]
struct Offer {
    /// Upgrades a plain session when the client sends STARTTLS.
    starttls: Option<TlsAcceptor>,
    /// The user and password AUTH must give before MAIL FROM; `None` takes
    /// mail from anyone.
    login: Option<(String, String)>,
}

/// The state every session of one server shares.
#[derive(Default)]
struct Shared {
    offer: Offer,
    answers: Mutex<Answers>,
    kept: Mutex<Kept>,
}

/// How a session's connection came to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Plain TCP: STARTTLS is offered when the server has it.
    Plain,
    /// TLS from the first byte.
    Tls,
    /// Upgraded by STARTTLS: no greeting, the client starts with EHLO.
    Upgraded,
}

/// A server to start, plain and taking mail from anyone unless told more.
#[derive(Default)]
pub struct Setup {
    offer: Offer,
}

impl Setup {
    /// Offers STARTTLS, upgrading with `config`.
    pub fn starttls(mut self, config: ServerConfig) -> Setup {
        self.offer.starttls = Some(TlsAcceptor::from(Arc::new(config)));
        self
    }

    /// Takes MAIL FROM only after AUTH PLAIN or LOGIN as `user` with
    /// `password`.
    pub fn login(mut self, user: &str, password: &str) -> Setup {
        self.offer.login = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Starts it on plain TCP (`smtp://`).
    pub async fn start(self) -> SmtpServer {
        SmtpServer::listen(None, self.offer).await
    }
}

/// A running test SMTP server.
pub struct SmtpServer {
    port: u16,
    is_tls: bool,
    shared: Arc<Shared>,
}

impl SmtpServer {
    /// A plain server at `smtp://127.0.0.1:PORT` that accepts every message.
    pub async fn start() -> SmtpServer {
        SmtpServer::setup().start().await
    }

    /// A server speaking TLS from the start with `config`, at
    /// `smtps://localhost:PORT`.
    pub async fn start_tls(config: ServerConfig) -> SmtpServer {
        let tls = TlsAcceptor::from(Arc::new(config));
        SmtpServer::listen(Some(tls), Offer::default()).await
    }

    /// A plain server to set up with STARTTLS or AUTH before it starts.
    pub fn setup() -> Setup {
        Setup::default()
    }

    async fn listen(tls: Option<TlsAcceptor>, offer: Offer) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = SmtpServer {
            port: listener.local_addr().unwrap().port(),
            is_tls: tls.is_some(),
            shared: Arc::new(Shared {
                offer,
                ..Shared::default()
            }),
        };
        let shared = server.shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (shared, tls) = (shared.clone(), tls.clone());
                tokio::spawn(async move { connection(tcp, tls, &shared).await });
            }
        });
        server
    }

    /// The `--smtp-url` that reaches it, without TLS parameters or a user.
    pub fn url(&self) -> String {
        if self.is_tls {
            format!("smtps://localhost:{}", self.port)
        } else {
            format!("smtp://127.0.0.1:{}", self.port)
        }
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Answers every RCPT TO with `reply` (`550 5.1.1 mailbox unavailable`).
    pub fn refuse_recipients(&self, reply: &str) {
        self.shared.answers.lock().unwrap().rcpt = Some(reply.to_owned());
    }

    /// Answers the end of every message's data with `reply`.
    pub fn refuse_data(&self, reply: &str) {
        self.shared.answers.lock().unwrap().data = Some(reply.to_owned());
    }

    /// Accepts every message from now on.
    pub fn accept(&self) {
        *self.shared.answers.lock().unwrap() = Answers::default();
    }

    /// The messages accepted so far, oldest first.
    pub fn got(&self) -> Vec<Received> {
        self.shared.kept.lock().unwrap().messages.clone()
    }

    /// How many messages were refused, at RCPT TO or at the end of data.
    pub fn refused(&self) -> usize {
        self.shared.kept.lock().unwrap().refused
    }

    /// The commands clients sent so far, oldest first: each one's first
    /// word, upper case (`EHLO`, `STARTTLS`, `AUTH`, `MAIL`), never its
    /// arguments, nor the lines of an AUTH exchange or of a message's data.
    pub fn commands(&self) -> Vec<String> {
        self.shared.kept.lock().unwrap().commands.clone()
    }
}

/// Serves one client on `tcp`: behind TLS from the start when `tls` is
/// given, otherwise plain and then, if the client asks, upgraded.
async fn connection(tcp: TcpStream, tls: Option<TlsAcceptor>, shared: &Shared) {
    match tls {
        // A client that refuses the certificate gets no session.
        Some(tls) => {
            if let Ok(stream) = tls.accept(tcp).await {
                session(stream, Link::Tls, shared).await;
            }
        }
        None => {
            if let Some(tcp) = session(tcp, Link::Plain, shared).await
                && let Some(starttls) = &shared.offer.starttls
                && let Ok(stream) = starttls.accept(tcp).await
            {
                session(stream, Link::Upgraded, shared).await;
            }
        }
    }
}

/// One SMTP session on `stream`, until QUIT, the client hanging up, or
/// [`SESSION_LINES_MAX`] lines; the stream back when the client was told to
/// start TLS on it.
async fn session<S>(stream: S, link: Link, shared: &Shared) -> Option<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    let mut envelope = Received::default();
    // Who passed AUTH in this session.
    let mut user: Option<String> = None;
    let offers_starttls = link == Link::Plain && shared.offer.starttls.is_some();
    let offers_auth = shared.offer.login.is_some() && !offers_starttls;
    if link != Link::Upgraded {
        reply(&mut writer, "220 localhost tracklane test ESMTP").await?;
    }
    for _ in 0..SESSION_LINES_MAX {
        let line = read_line(&mut reader).await?;
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or_default();
        shared.kept.lock().unwrap().commands.push(verb.to_owned());
        let answer = if verb == "EHLO" {
            ehlo(offers_starttls, offers_auth)
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 2.0.0 OK".to_owned()
        } else if upper.starts_with("RSET") {
            envelope = Received::default();
            "250 2.0.0 OK".to_owned()
        } else if upper == "STARTTLS" && offers_starttls {
            reply(&mut writer, "220 2.0.0 ready to start TLS").await?;
            // RFC 3207 4.2: nothing the client sent after STARTTLS counts;
            // a client that sent some anyway is not served.
            if !reader.buffer().is_empty() {
                return None;
            }
            return Some(reader.into_inner().unsplit(writer));
        } else if verb == "AUTH"
            && let Some(login) = &shared.offer.login
        {
            if !offers_auth {
                "538 5.7.11 encryption required for authentication".to_owned()
            } else if user.is_some() {
                "503 5.5.1 already authenticated".to_owned()
            } else {
                match auth(&line, &mut reader, &mut writer).await? {
                    Ok(given) if given == *login => {
                        user = Some(given.0);
                        "235 2.7.0 authentication succeeded".to_owned()
                    }
                    Ok(_) => "535 5.7.8 Authentication credentials invalid".to_owned(),
                    Err(answer) => answer.to_owned(),
                }
            }
        } else if upper.starts_with("MAIL FROM:") {
            if shared.offer.login.is_some() && user.is_none() {
                "530 5.7.0 Authentication required".to_owned()
            } else {
                envelope = Received {
                    mail_from: path(&line),
                    ..Received::default()
                };
                "250 2.1.0 OK".to_owned()
            }
        } else if upper.starts_with("RCPT TO:") {
            let refusal = shared.answers.lock().unwrap().rcpt.clone();
            match refusal {
                Some(refusal) => {
                    shared.kept.lock().unwrap().refused += 1;
                    refusal
                }
                None => {
                    envelope.rcpt_to.push(path(&line));
                    "250 2.1.5 OK".to_owned()
                }
            }
        } else if upper == "DATA" {
            reply(&mut writer, "354 end data with <CR><LF>.<CR><LF>").await?;
            envelope.data = read_data(&mut reader).await?;
            let refusal = shared.answers.lock().unwrap().data.clone();
            let mut kept = shared.kept.lock().unwrap();
            match refusal {
                Some(refusal) => {
                    kept.refused += 1;
                    refusal
                }
                None => {
                    kept.messages.push(Received {
                        tls: link != Link::Plain,
                        user: user.clone(),
                        ..std::mem::take(&mut envelope)
                    });
                    "250 2.0.0 OK queued".to_owned()
                }
            }
        } else if upper.starts_with("QUIT") {
            let _ = reply(&mut writer, "221 2.0.0 bye").await;
            return None;
        } else {
            "500 5.5.2 command not recognised".to_owned()
        };
        reply(&mut writer, &answer).await?;
    }
    None
}

/// The answer to EHLO, naming STARTTLS and AUTH when they are offered.
fn ehlo(starttls: bool, auth: bool) -> String {
    let mut lines = vec!["localhost", "8BITMIME"];
    if starttls {
        lines.push("STARTTLS");
    }
    if auth {
        lines.push("AUTH PLAIN LOGIN");
    }
    let last = lines.len() - 1;
    let lines: Vec<String> = (lines.iter().enumerate())
        .map(|(i, line)| format!("250{}{line}", if i == last { ' ' } else { '-' }))
        .collect();
    lines.join("\r\n")
}

/// The user and password given by the AUTH command `line`, asking with `334`
/// for what the line lacks; `Err` with the answer when the mechanism is not
/// PLAIN or LOGIN or a response is not base64 of UTF-8. `None` when the
/// client hung up.
async fn auth(
    line: &str,
    reader: &mut (impl AsyncBufReadExt + Unpin),
    writer: &mut (impl AsyncWrite + Unpin),
) -> Option<Result<(String, String), &'static str>> {
    let mut words = line.split_whitespace().skip(1);
    let mechanism = words.next().unwrap_or_default().to_ascii_uppercase();
    let initial = words.next().map(str::to_owned);
    let decode = |text: &str| base64(text).and_then(|bytes| String::from_utf8(bytes).ok());
    let garbled = "501 5.5.2 cannot decode the response";
    match mechanism.as_str() {
        // RFC 4616: authorization identity, user and password, NUL between.
        "PLAIN" => {
            let response = first_response(initial, "334 ", reader, writer).await?;
            let given = decode(&response).and_then(|text| {
                let mut parts = text.split('\0').skip(1);
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            });
            Some(given.ok_or(garbled))
        }
        // The user and the password asked for in turn, `Username:` and
        // `Password:` in base64.
        "LOGIN" => {
            let user = first_response(initial, "334 VXNlcm5hbWU6", reader, writer).await?;
            reply(writer, "334 UGFzc3dvcmQ6").await?;
            let password = read_line(reader).await?;
            Some(decode(&user).zip(decode(&password)).ok_or(garbled))
        }
        _ => Some(Err("504 5.5.4 mechanism not supported")),
    }
}

/// The client's first response to AUTH: sent along with the command, or
/// asked for with `prompt`.
async fn first_response(
    initial: Option<String>,
    prompt: &str,
    reader: &mut (impl AsyncBufReadExt + Unpin),
    writer: &mut (impl AsyncWrite + Unpin),
) -> Option<String> {
    match initial {
        Some(response) => Some(response),
        None => {
            reply(writer, prompt).await?;
            read_line(reader).await
        }
    }
}

/// Writes `answer` and its line end; `None` when the client hung up.
async fn reply(writer: &mut (impl AsyncWrite + Unpin), answer: &str) -> Option<()> {
    writer
        .write_all(format!("{answer}\r\n").as_bytes())
        .await
        .ok()?;
    writer.flush().await.ok()
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

/// A message the server accepted: its envelope, its data, and how it came.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// The envelope's sender (MAIL FROM).
    pub mail_from: String,
    /// The envelope's recipients (RCPT TO).
    pub rcpt_to: Vec<String>,
    /// The message as sent, dot-unstuffed, lines joined by CRLF.
    pub data: String,
    /// Whether it came over TLS, from the start or after STARTTLS.
    pub tls: bool,
    /// The user who passed AUTH in its session, if any did.
    pub user: Option<String>,
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
            "base64" => base64(body).expect("the body is base64"),
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
                    "b" | "B" => base64(text)?,
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

/// Base64 (RFC 4648's alphabet, padded), ignoring whitespace; `None` when
/// `text` holds anything else.
fn base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | u32::from(*d) << (18 - 6 * i));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
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
    assert_eq!(base64("5rW35YWz5omj55WZ").unwrap(), "海关扣留".as_bytes());
    assert_eq!(base64("YQ==").unwrap(), b"a");
    assert_eq!(base64("AGh1YgBzZWNyZXQ=").unwrap(), b"\0hub\0secret");
    assert_eq!(base64("*"), None);
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

#[tokio::test]
async fn auth_takes_the_users_password_only_and_mail_only_after_it() {
    let server = SmtpServer::setup().login("hub", "secret").start().await;
    let tcp = TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    let (reader, mut writer) = tokio::io::split(tcp);
    let mut reader = BufReader::new(reader);
    // Sends `line` (none: only reads), then reads the answer, its lines
    // joined by `|`.
    let mut say = async |line: Option<&str>| {
        if let Some(line) = line {
            reply(&mut writer, line).await.unwrap();
        }
        let mut lines = Vec::new();
        loop {
            let line = read_line(&mut reader).await.unwrap();
            let is_last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if is_last {
                return lines.join("|");
            }
        }
    };
    assert!(say(None).await.starts_with("220 "));
    assert!(
        say(Some("EHLO client"))
            .await
            .ends_with("|250 AUTH PLAIN LOGIN")
    );
    for (line, answer) in [
        (
            "MAIL FROM:<hub@example.com>",
            "530 5.7.0 Authentication required",
        ),
        ("AUTH CRAM-MD5", "504 5.5.4 mechanism not supported"),
        // "\0hub\0wrong"
        (
            "AUTH PLAIN AGh1YgB3cm9uZw==",
            "535 5.7.8 Authentication credentials invalid",
        ),
        ("AUTH LOGIN", "334 VXNlcm5hbWU6"),
        ("aHVi", "334 UGFzc3dvcmQ6"),
        ("*", "501 5.5.2 cannot decode the response"),
        ("AUTH LOGIN aHVi", "334 UGFzc3dvcmQ6"),
        ("c2VjcmV0", "235 2.7.0 authentication succeeded"),
        (
            "AUTH PLAIN AGh1YgBzZWNyZXQ=",
            "503 5.5.1 already authenticated",
        ),
        ("MAIL FROM:<hub@example.com>", "250 2.1.0 OK"),
    ] {
        assert_eq!(say(Some(line)).await, answer, "after {line}");
    }
}
