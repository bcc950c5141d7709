//! The exercises' solutions: a request id (1), security headers (2), and a limit on failed
//! logins (3).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use poem::http::{HeaderValue, Method, StatusCode};
use poem::middleware::SetHeader;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use crate::errors::ApiError;
use crate::gate::routed_path;

// ANCHOR: request_id
/// Exercise 1: every request gets an id, in `X-Request-Id` both ways. A client's own id is
/// kept if it looks like one (1 to 128 letters, digits, `-`, `_`, `.`, `:`), so that one id
/// can follow a request through several services; otherwise a new one is made. The access log
/// writes it on the request's line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestId;

const REQUEST_ID: &str = "x-request-id";

impl<E: Endpoint> Middleware<E> for RequestId {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestIdEndpoint { inner }
    }
}

/// The endpoint made by [`RequestId`].
#[derive(Debug)]
pub(crate) struct RequestIdEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let id = req
            .headers()
            .get(REQUEST_ID)
            .filter(|id| is_request_id(id.as_bytes()))
            .cloned()
            .unwrap_or_else(new_request_id);
        // Put back on the request, so that the layers inside see the id that was kept.
        req.headers_mut().insert(REQUEST_ID, id.clone());
        let mut response = crate::call(&self.inner, req).await?;
        response.headers_mut().insert(REQUEST_ID, id);
        Ok(response)
    }
}

fn is_request_id(id: &[u8]) -> bool {
    (1..=128).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

/// A random UUID (version 4), as `5f0c…-…`.
fn new_request_id() -> HeaderValue {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness from the system: a counter still keeps ids apart in this process.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        bytes[8..].copy_from_slice(&NEXT.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let id = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    );
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}
// ANCHOR_END: request_id

// ANCHOR: security_headers
/// Exercise 2: headers that tell browsers to be careful with every answer, with poem's own
/// `SetHeader` middleware: no guessing of content types (`nosniff`), no showing the service
/// inside another site's frame (clickjacking), no `Referer` sent from its pages.
pub(crate) fn security_headers() -> SetHeader {
    SetHeader::new()
        .overriding("x-content-type-options", "nosniff")
        .overriding("x-frame-options", "DENY")
        .overriding("referrer-policy", "no-referrer")
}
// ANCHOR_END: security_headers

// ANCHOR: login_limit
/// Exercise 3: at most `max_attempts` logins per client address and minute. A login that
/// succeeds forgives the attempts made for its own user name, and only those: otherwise an
/// attacker with an account of their own could guess another's password without end, a good
/// login of theirs between every few guesses. Past the limit, `POST /token` answers 429
/// without checking the password, so a password cannot be guessed faster than that.
///
/// Attempts are counted when they *start*: bcrypt takes a quarter of a second, and a limit
/// that counted failures when they end would let a thousand guesses sent at once all through.
#[derive(Debug, Clone)]
pub(crate) struct LoginRateLimit {
    max_attempts: u32,
    window: Duration,
    attempts: Arc<Mutex<HashMap<Option<IpAddr>, Attempts>>>,
}

/// The attempts of one client address in the current window, per user name tried (`None`:
/// a body that is not a form, whose user name the limit cannot read).
#[derive(Debug, Clone)]
struct Attempts {
    since: Instant,
    per_user: HashMap<Option<String>, u32>,
}

impl LoginRateLimit {
    /// `max_attempts` per minute; 0 switches the limit off.
    pub(crate) fn per_minute(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            window: Duration::from_secs(60),
            attempts: Arc::default(),
        }
    }

    /// Counts one more attempt from `client` for `user`, or says how long it must wait.
    fn attempt(&self, client: Option<IpAddr>, user: Option<&str>) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut attempts = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
        // Forget the windows that are over, so that the table does not grow forever.
        attempts.retain(|_, a| now.duration_since(a.since) < self.window);
        let entry = attempts.entry(client).or_insert_with(|| Attempts {
            since: now,
            per_user: HashMap::new(),
        });
        if entry.per_user.values().sum::<u32>() >= self.max_attempts {
            let left = self.window.saturating_sub(now.duration_since(entry.since));
            let retry_after = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            return Err(ApiError::TooManyLoginAttempts { retry_after });
        }
        *entry.per_user.entry(user.map(str::to_owned)).or_default() += 1;
        Ok(())
    }

    /// `user` logged in from `client`: its own attempts are forgiven, no one else's.
    fn succeeded(&self, client: Option<IpAddr>, user: &str) {
        let mut attempts = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = attempts.get_mut(&client) {
            entry.per_user.remove(&Some(user.to_owned()));
        }
    }
}

impl<E: Endpoint> Middleware<E> for LoginRateLimit {
    type Output = LoginRateLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        LoginRateLimitEndpoint {
            inner,
            limit: self.clone(),
        }
    }
}

/// The endpoint made by [`LoginRateLimit`].
#[derive(Debug)]
pub(crate) struct LoginRateLimitEndpoint<E> {
    inner: E,
    limit: LoginRateLimit,
}

impl<E: Endpoint> Endpoint for LoginRateLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        // `/token/` and `//%74oken` reach the login too: compare as the router does.
        let is_login = req.method() == Method::POST
            && routed_path(req.uri().path()).trim_end_matches('/') == "/token";
        if !is_login || self.limit.max_attempts == 0 {
            return crate::call(&self.inner, req).await;
        }
        // Behind a proxy every client has the proxy's address; chapter 16 deals with that.
        let client = req.remote_addr().as_socket_addr().map(|addr| addr.ip());
        let user = match user_name(&mut req).await {
            Ok(user) => user,
            Err(err) => return Ok(kit::errors::error_response(err)),
        };
        if let Err(refusal) = self.limit.attempt(client, user.as_deref()) {
            return Ok(refusal.into_response());
        }
        let response = crate::call(&self.inner, req).await?;
        if let (StatusCode::OK, Some(user)) = (response.status(), user) {
            self.limit.succeeded(client, &user);
        }
        Ok(response)
    }
}

/// The `username` of a login form: the body is read (within the house limit, or 413) and put
/// back for the handler. A body that is not a URL-encoded form has none the limit can read.
async fn user_name(req: &mut Request) -> poem::Result<Option<String>> {
    let is_form = req
        .content_type()
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(None);
    }
    let body = req
        .take_body()
        .into_bytes_limit(kit::errors::BODY_LIMIT)
        .await?;
    // The last value wins, as it does for the handler's form.
    let user = form_urlencoded::parse(&body)
        .filter(|(name, _)| name == "username")
        .last()
        .map(|(_, value)| value.into_owned());
    req.set_body(body);
    Ok(user)
}
// ANCHOR_END: login_limit

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_request_id_is_a_version_4_uuid() {
        let id = new_request_id();
        let id = id.to_str().expect("ASCII");
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "{id}");
        assert!(is_request_id(id.as_bytes()));
        assert_ne!(new_request_id(), new_request_id());
    }

    #[test]
    fn only_plain_ids_are_kept() {
        for id in ["abc", "5f0c2a9e-1b2c-4d3e-8f40-123456789abc", "a.b_c:d-e"] {
            assert!(is_request_id(id.as_bytes()), "{id}");
        }
        let long = "a".repeat(129);
        for id in ["", "a b", "a\"b", "<script>", long.as_str()] {
            assert!(!is_request_id(id.as_bytes()), "{id}");
        }
    }

    #[test]
    fn the_limit_counts_attempts_per_client_and_a_success_forgives_its_own() {
        let limit = LoginRateLimit::per_minute(2);
        let one = Some(IpAddr::from([10, 0, 0, 1]));
        let two = Some(IpAddr::from([10, 0, 0, 2]));
        assert!(limit.attempt(one, Some("johndoe")).is_ok());
        assert!(limit.attempt(one, Some("alice")).is_ok());
        let Err(ApiError::TooManyLoginAttempts { retry_after }) = limit.attempt(one, None) else {
            panic!("a third attempt is refused, whatever the user name");
        };
        assert!((59..=60).contains(&retry_after), "{retry_after}");
        assert!(
            limit.attempt(two, Some("johndoe")).is_ok(),
            "another client is not limited"
        );
        limit.succeeded(one, "alice");
        assert!(
            limit.attempt(one, Some("alice")).is_ok(),
            "alice's attempt is forgiven"
        );
        assert!(
            limit.attempt(one, Some("alice")).is_err(),
            "johndoe's is not"
        );
    }
}
