//! Sending webhook deliveries by e-mail, for subscriptions whose `url` is
//! `mailto:ADDRESS`: the operator names an SMTP server (`serve --smtp-url`)
//! and a sender (`--mail-from`), and the delivery loop (`webhooks.rs`) hands
//! each due e-mail delivery to a [`Mailer`] instead of posting it. Retries,
//! the deliveries listing and switching off are the loop's, the same as for
//! webhooks; the words are `tracklane_server::mail`'s.
//!
//! A delivery counts as delivered when the SMTP server accepts the message
//! (a 2xx answer to the end of its data); what happens after that, a bounce
//! from the recipient's domain included, is the mail system's. A refusal is
//! recorded with the server's answer (`the mail server answered 550 5.1.1
//! mailbox unavailable`) and its reply code as the last status.
//!
//! TLS trusts what outbound HTTPS trusts (`outbound.rs`): the system's store,
//! Mozilla's roots and `--ca-file`. lettre takes no rustls configuration of
//! ours, only roots, so the same three sources are handed to it as roots.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use jiff::Timestamp;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tracklane_server::mail::{AUTO_SUBMITTED, DELIVERY_HEADER, EVENT_HEADER, Mail, message_id};
use tracklane_server::webhooks::notification_id;
use tracklane_store::{Delivery, Webhook};

/// The sender when `--mail-from` is not given. Most SMTP services accept only
/// a sender they know, so an operator sets their own.
pub const DEFAULT_FROM: &str = "tracklane <tracklane@localhost>";
/// How long the SMTP server has for each step (connecting, each command's
/// answer), as a webhook receiver has to answer.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// SMTP connections open at once. A round sends up to 32 deliveries together;
/// mail services limit the connections of one client, often to a handful.
const CONNECTIONS_MAX: usize = 4;

/// Sends the hub's e-mails through one SMTP server, from one sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    connections: tokio::sync::Semaphore,
}

/// Why an e-mail was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The SMTP server's reply code, when it answered.
    pub code: Option<u16>,
    /// What happened, for the deliveries listing.
    pub error: String,
}

impl Mailer {
    /// A mailer for `--smtp-url` `smtp_url`, sending as `from`, trusting
    /// the authorities in the PEM file `ca_file` besides the system's and
    /// Mozilla's. `smtps://user:password@host[:465]` speaks TLS from the
    /// start; `smtp://host[:587]?tls=required` upgrades with STARTTLS and
    /// refuses a server that cannot; `?tls=opportunistic` upgrades when the
    /// server offers it; plain `smtp://host[:25]` never does.
    ///
    /// # Errors
    /// When the URL or the sender cannot be read, or `ca_file` cannot be.
    /// The messages never repeat the URL, which may hold a password.
    pub fn new(smtp_url: &str, from: &str, ca_file: Option<&Path>) -> anyhow::Result<Mailer> {
        let from = parse_from(from)?;
        let url = reqwest::Url::parse(smtp_url).map_err(|e| {
            anyhow::anyhow!(
                "--smtp-url is not a URL ({e}): give smtps://user:password@smtp.example.com:465 or smtp://smtp.example.com:587?tls=required"
            )
        })?;
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            bail!("--smtp-url names no host: give smtps://user:password@smtp.example.com:465");
        };
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let parameters = || tls_parameters(host, ca_file);
        let tls = match (url.scheme(), tls.as_deref()) {
            ("smtps", _) => Some(Tls::Wrapper(parameters()?)),
            ("smtp", Some("required")) => Some(Tls::Required(parameters()?)),
            ("smtp", Some("opportunistic")) => Some(Tls::Opportunistic(parameters()?)),
            ("smtp", None) => None,
            (scheme, tls) => bail!(
                "--smtp-url takes smtps://… or smtp://…[?tls=required|opportunistic], not scheme `{scheme}` with tls={}",
                tls.unwrap_or("(none)")
            ),
        };
        let has_password = url.password().is_some();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| anyhow::anyhow!("reading --smtp-url: {e}"))?;
        let encryption = match tls {
            Some(tls @ Tls::Wrapper(_)) => {
                builder = builder.tls(tls);
                "TLS"
            }
            Some(tls @ Tls::Required(_)) => {
                builder = builder.tls(tls);
                "STARTTLS, required"
            }
            Some(tls) => {
                builder = builder.tls(tls);
                "STARTTLS when offered"
            }
            None => "no TLS",
        };
        let port = url.port().map_or(String::new(), |p| format!(":{p}"));
        match encryption {
            "no TLS" if has_password => tracing::warn!(
                smtp.host = host,
                "--smtp-url sends its password without TLS: use smtps:// or ?tls=required"
            ),
            "STARTTLS when offered" if has_password => tracing::warn!(
                smtp.host = host,
                "--smtp-url sends its password without TLS whenever the server offers no STARTTLS (or someone removes the offer): use smtps:// or ?tls=required"
            ),
            _ => {}
        }
        tracing::info!(smtp.host = %format!("{host}{port}"), encryption, from = %from, "sending e-mail for mailto: subscriptions");
        Ok(Mailer {
            transport: builder.timeout(Some(SMTP_TIMEOUT)).build(),
            from,
            connections: tokio::sync::Semaphore::new(CONNECTIONS_MAX),
        })
    }

    /// The sender, as the webhooks page shows it.
    pub fn from(&self) -> String {
        self.from.to_string()
    }

    /// Sends `mail`, of `delivery` of `webhook`, to `to` at `now`; the
    /// server's reply code when it accepts it.
    ///
    /// # Errors
    /// [`Refused`] when the server refuses it or cannot be reached.
    pub async fn send(
        &self,
        to: &str,
        mail: Mail,
        webhook: &Webhook,
        delivery: &Delivery,
        now: Timestamp,
    ) -> Result<u16, Refused> {
        let message = self
            .message(to, mail, webhook, delivery, now)
            .map_err(|error| Refused { code: None, error })?;
        // The semaphore is never closed, so a permit always comes.
        let _permit = self.connections.acquire().await;
        match self.transport.send(message).await {
            Ok(response) => Ok(reply_code(response.code())),
            Err(e) => Err(refusal(&e)),
        }
    }

    /// The message of `mail` to `to`: From, To, Subject, Date (the hub's
    /// clock), a Message-ID made of the notification id, `Auto-Submitted`,
    /// the event and notification id as on a webhook's headers, plain text.
    fn message(
        &self,
        to: &str,
        mail: Mail,
        webhook: &Webhook,
        delivery: &Delivery,
        now: Timestamp,
    ) -> Result<Message, String> {
        let to: Address = to
            .parse()
            .map_err(|e| format!("`{to}` is not an e-mail address: {e}"))?;
        let domain = self.from.email.domain().to_owned();
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(mail.subject)
            .date(now.into())
            .message_id(Some(message_id(webhook, delivery, &domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                AUTO_SUBMITTED.to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(EVENT_HEADER),
                delivery.kind.as_str().to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(DELIVERY_HEADER),
                notification_id(webhook, delivery),
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text)
            .map_err(|e| format!("the message could not be built: {e}"))
    }
}

/// Reads `--mail-from`: `name <address>` or a bare address.
///
/// # Errors
/// When it is neither, naming the option and the fix.
pub fn parse_from(from: &str) -> anyhow::Result<Mailbox> {
    from.parse().map_err(|e| {
        anyhow::anyhow!(
            "--mail-from `{from}` is not a mailbox ({e}): give one such as `tracklane <tracklane@example.com>`"
        )
    })
}

/// The TLS parameters for `host`: Mozilla's roots, the system's (those rustls
/// can use), and the certificates in `ca_file`.
fn tls_parameters(host: &str, ca_file: Option<&Path>) -> anyhow::Result<TlsParameters> {
    let mut builder =
        TlsParameters::builder(host.to_owned()).certificate_store(CertificateStore::WebpkiRoots);
    let system = rustls_native_certs::load_native_certs();
    if !system.errors.is_empty() {
        tracing::debug!(
            errors = system.errors.len(),
            "some system certificates could not be read"
        );
    }
    // lettre refuses the whole set for one certificate rustls cannot use, as
    // reqwest would not: each is tried alone first.
    let mut probe = rustls::RootCertStore::empty();
    for cert in system.certs {
        if probe.add(cert.clone()).is_ok() {
            builder = builder.add_root_certificate(
                Certificate::from_der(cert.to_vec()).context("a system certificate")?,
            );
        }
    }
    if let Some(path) = ca_file {
        let shown = path.display();
        let pem = std::fs::read(path).with_context(|| format!("reading --ca-file {shown}"))?;
        let extra = Certificate::from_pem(&pem).map_err(|e| {
            anyhow::anyhow!("--ca-file {shown}: not a PEM certificate bundle ({e})")
        })?;
        builder = builder.add_root_certificate(extra);
    }
    builder
        .build_rustls()
        .map_err(|e| anyhow::anyhow!("setting up TLS for --smtp-url: {e}"))
}

/// A reply code as a number (`250`).
fn reply_code(code: lettre::transport::smtp::response::Code) -> u16 {
    code.to_string().parse().unwrap_or(0)
}

/// What the deliveries listing says of a failed send: the server's answer
/// when it gave one, otherwise what went wrong on the way, with its causes.
fn refusal(error: &lettre::transport::smtp::Error) -> Refused {
    if let Some(code) = error.status() {
        let text = std::error::Error::source(error).map_or(String::new(), |s| format!(" {s}"));
        return Refused {
            code: Some(reply_code(code)),
            error: format!("the mail server answered {code}{text}"),
        };
    }
    if error.is_timeout() {
        return Refused {
            code: None,
            error: format!(
                "the mail server gave no answer within {} s",
                SMTP_TIMEOUT.as_secs()
            ),
        };
    }
    // lettre calls the mail server not offering what the URL needs (STARTTLS
    // for ?tls=required, an AUTH mechanism for its user) an "internal client
    // error", which reads like a fault in the hub: say what it is.
    let mut text = match std::error::Error::source(error) {
        Some(cause) if error.is_client() => {
            format!("the mail server does not offer what --smtp-url asks for: {cause}")
        }
        // lettre's message ends with its first cause; the causes below it follow.
        _ => error.to_string(),
    };
    let mut source = std::error::Error::source(error).and_then(std::error::Error::source);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    Refused {
        code: None,
        error: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_url(url: &str, expected: Result<(), &str>) {
        match (Mailer::new(url, DEFAULT_FROM, None), expected) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(words)) => {
                let e = e.to_string();
                assert!(e.contains(words), "{url}: {e}");
                assert!(!e.contains("secret"), "the password is not repeated: {e}");
            }
            (got, expected) => panic!("{url}: {:?}, expected {expected:?}", got.err()),
        }
    }

    #[test]
    fn the_smtp_url_chooses_tls_and_refuses_what_it_cannot_read() {
        check_url("smtps://user:secret@smtp.example.com", Ok(()));
        check_url("smtp://smtp.example.com:587?tls=required", Ok(()));
        check_url("smtp://smtp.example.com:587?tls=opportunistic", Ok(()));
        check_url("smtp://127.0.0.1:2525", Ok(()));
        check_url("https://user:secret@smtp.example.com", Err("smtps://"));
        check_url(
            "smtp://user:secret@smtp.example.com?tls=maybe",
            Err("tls=maybe"),
        );
        check_url("smtp.example.com", Err("--smtp-url is not a URL"));
        check_url("smtps://user:secret@:465", Err("--smtp-url"));
    }

    #[test]
    fn a_line_break_in_the_words_cannot_add_a_header() {
        let mailer = Mailer::new("smtp://127.0.0.1:25", DEFAULT_FROM, None).unwrap();
        let webhook = Webhook {
            id: "wh_1".into(),
            owner: tracklane_store::Principal::Operator,
            url: "mailto:ops@example.com".into(),
            events: Vec::new(),
            secret: String::new(),
            created_at: Timestamp::UNIX_EPOCH,
            disabled_at: None,
            disabled_reason: None,
        };
        let delivery = Delivery {
            id: 7,
            webhook_id: "wh_1".into(),
            kind: tracklane_store::EventKind::ExceptionOpened,
            shipment_id: "sh1".into(),
            subject: String::new(),
            payload: serde_json::Value::Null,
            created_at: Timestamp::UNIX_EPOCH,
            state: tracklane_store::DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: None,
            last_status: None,
            last_error: None,
            delivered_at: None,
        };
        let mail = Mail {
            subject: "[tracklane] x \r\nBcc: evil@example.com".into(),
            text: "body\n".into(),
        };
        let message = mailer
            .message(
                "ops@example.com",
                mail,
                &webhook,
                &delivery,
                Timestamp::UNIX_EPOCH,
            )
            .unwrap();
        let formatted = String::from_utf8(message.formatted()).unwrap();
        assert!(
            !formatted.to_ascii_lowercase().contains("\r\nbcc:"),
            "{formatted}"
        );
        assert_eq!(
            message.envelope().to(),
            ["ops@example.com".parse().unwrap()]
        );
    }

    #[test]
    fn the_sender_is_a_mailbox() {
        assert_eq!(
            parse_from(DEFAULT_FROM).unwrap().to_string(),
            "tracklane <tracklane@localhost>"
        );
        assert_eq!(
            parse_from("hub@example.com").unwrap().email.domain(),
            "example.com"
        );
        let refused = parse_from("tracklane").unwrap_err().to_string();
        assert!(refused.contains("--mail-from `tracklane`"), "{refused}");
    }
}
