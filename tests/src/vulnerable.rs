//! A tiny server that checks tokens as chapters 09, 10 and 11 say, or with one deliberate
//! mistake: each attack check must fail against the mistakes it is about, and pass against the
//! server that makes none (the control that shows this server keeps the contract the checks
//! need).
//!
//! It serves just enough of the three contracts for their attack checks and the controls they
//! send first: `POST /token` (a form login: `username`, `password`, an optional `scope`),
//! `GET /users/me/`, `GET /users/me/items/`, `GET /status/` and, behind a token gate for every
//! path under `/api/`, `GET /api/whoami`, with the contract's statuses, `detail` bodies and
//! `WWW-Authenticate` challenges. The users are the contract's: `johndoe` / `secret` (scopes
//! `me` and `items`) and `alice` / `secret2` (scope `me`, disabled). Passwords are compared as
//! plain text, not as bcrypt hashes: what is judged here is the tokens.
//!
//! Tokens are HS256 JWTs with `sub`, `iat`, `exp` and `jti` (and `scopes` under chapter 10's
//! rules), signed with the key in `JWT_SECRET` (a random one without it), and checked with
//! jsonwebtoken. [`Vulnerable::Nothing`] checks them as the contract says: HS256 only, no leeway,
//! `exp` and `sub` required, `nbf` and `iat` not in the future, no `crit` header, the user looked
//! up, a disabled user refused, and under chapter 10's rules a scope counted only if the token
//! carries it and the user holds it. Every other [`Vulnerable`] loosens that code in one place,
//! as a learner might; none of them looks at what the grader sends.
//!
//! `grader 09 --bin target/debug/vulnerable-server` runs it (see the program's own help).

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, dangerous, decode, decode_header,
    encode, get_current_timestamp,
};
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::CatchPanic;
use poem::web::{Data, Form};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What a token that does not verify is answered with.
const INVALID: &str = "Could not validate credentials";

/// How long a token lives, as the contract's default `ACCESS_TOKEN_EXPIRE_MINUTES` (30).
const LIFETIME: u64 = 30 * 60;

/// The mistake the server makes when it checks a token, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Vulnerable {
    /// No mistake: every rule of the contract (the control).
    #[default]
    #[value(name = "none")]
    Nothing,
    /// Reads the key from SECRET_KEY (the FastAPI tutorial's name), not JWT_SECRET: it signs
    /// and checks with a key of its own, whatever key it is given.
    IgnoresKey,
    /// Reads the token's header before verifying it, with `expect`: a token that is not a JWT
    /// panics, and the client gets a 500.
    #[value(name = "garbage-500")]
    Garbage500,
    /// Honours a token that says it is unsigned (`alg: none`, any case), reading its claims
    /// without a signature to check.
    AlgNone,
    /// Reads the claims with jsonwebtoken's `insecure_decode`, which checks no signature and
    /// no algorithm, and then checks only the times and required claims itself.
    UnverifiedSignature,
    /// Keeps jsonwebtoken's default leeway of 60 s after `exp`.
    Leeway,
    /// Leaves the `exp` comparison to jsonwebtoken, which accepts a token in the very second
    /// of its `exp` (RFC 7519: not on or after it).
    ExpInclusive,
    /// Reads `crit` and ignores it: a token that asks for an extension the server does not
    /// understand is served.
    IgnoresCrit,
    /// Keeps jsonwebtoken's default of not checking `nbf`.
    NoNbf,
    /// Leaves `iat` unchecked, as jsonwebtoken does: a token issued in the future passes.
    NoIat,
    /// Requires no claim, taking `validate_exp` for a promise that `exp` is there (it checks
    /// `exp` only when present): a token without `exp` never expires. A token without `sub`
    /// names the empty user name, which no user has, so the user lookup still refuses it.
    OptionalClaims,
    /// Accepts HS384 and HS512 as well as HS256, since the key fits every HMAC.
    AnyHmac,
    /// Trusts a signed `sub`: a name it does not know is served as a bare user, allowed
    /// whatever scopes the token carries.
    NoLookup,
    /// Forgets to refuse a disabled user.
    DisabledAllowed,
    /// Under chapter 10's rules, counts every scope the token carries, without checking that
    /// the user holds it.
    TokenScopes,
}

/// Whose rules the protected operations follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Contract {
    /// Chapters 09 and 11: a valid token of an active user opens every operation.
    #[default]
    #[value(name = "09", alias = "11")]
    Jwt,
    /// Chapter 10: `GET /users/me/` needs the scope `me`, `GET /users/me/items/` needs `me`
    /// and `items`, and every refusal of a bad token names them in its challenge.
    #[value(name = "10")]
    Scopes,
}

/// How the server behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// The mistake it makes.
    pub mistake: Vulnerable,
    /// The chapter whose rules it follows.
    pub contract: Contract,
}

/// A user of the contract's fixtures.
struct User {
    username: &'static str,
    password: &'static str,
    email: &'static str,
    full_name: &'static str,
    disabled: bool,
    scopes: &'static [&'static str],
}

const USERS: [User; 2] = [
    User {
        username: "johndoe",
        password: "secret",
        email: "johndoe@example.com",
        full_name: "John Doe",
        disabled: false,
        scopes: &["me", "items"],
    },
    User {
        username: "alice",
        password: "secret2",
        email: "alice@example.com",
        full_name: "Alice Wonderson",
        disabled: true,
        scopes: &["me"],
    },
];

/// The claims of a token; every one optional here, so that jsonwebtoken's rules decide which
/// are required.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

/// The user a request acts for.
#[derive(Debug, Clone)]
struct Current {
    username: String,
    email: Option<String>,
    full_name: Option<String>,
    disabled: bool,
}

struct App {
    settings: Settings,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// The server, as a poem endpoint.
pub fn app(settings: Settings) -> impl Endpoint {
    let key = signing_key(settings.mistake);
    let app = Arc::new(App {
        settings,
        encoding: EncodingKey::from_secret(&key),
        decoding: DecodingKey::from_secret(&key),
    });
    let api = Route::new().at("/whoami", get(whoami)).around(gate);
    Route::new()
        .at("/token", poem::post(login))
        .at("/users/me/", get(users_me))
        .at("/users/me/items/", get(users_me_items))
        .at("/status/", get(server_status))
        .nest("/api", api)
        .data(app)
        .with(CatchPanic::new().with_handler(|_| refusal(500, "Internal Server Error", None)))
}

/// Serves [`app`] on `host:port` (port 0 for any free one), after printing
/// `listening on http://HOST:PORT` as the first line, as the grader expects.
pub async fn serve(settings: Settings, host: &str, port: u16) -> std::io::Result<()> {
    let acceptor = TcpListener::bind((host, port)).into_acceptor().await?;
    let address: SocketAddr = acceptor
        .local_addr()
        .into_iter()
        .find_map(|address| address.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("no address to listen on"))?;
    println!("listening on http://{address}");
    Server::new_with_acceptor(acceptor).run(app(settings)).await
}

/// The key tokens are signed with: `JWT_SECRET`, or a random one that dies with the process.
fn signing_key(mistake: Vulnerable) -> Vec<u8> {
    // The mistake of `ignores-key`: the variable of the FastAPI tutorial, which nobody sets.
    let name = if mistake == Vulnerable::IgnoresKey {
        "SECRET_KEY"
    } else {
        "JWT_SECRET"
    };
    match std::env::var(name) {
        Ok(key) if !key.is_empty() => key.into_bytes(),
        _ => {
            eprintln!("{name} is not set: tokens are signed with a random key");
            random_hex(32).into_bytes()
        }
    }
}

/// `bytes` bytes in hex, from the standard library's randomly keyed hasher: enough for a test
/// server's key and token ids, not for a real service.
fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut text = String::new();
    while text.len() < bytes * 2 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_usize(text.len());
        text.push_str(&format!("{:016x}", hasher.finish()));
    }
    text.truncate(bytes * 2);
    text
}

impl App {
    /// The rules jsonwebtoken checks for the server.
    fn validation(&self) -> Validation {
        let mistake = self.settings.mistake;
        let mut validation = Validation::new(Algorithm::HS256);
        // jsonwebtoken forgives 60 s after exp unless told otherwise (the mistake: keeping it).
        if mistake != Vulnerable::Leeway {
            validation.leeway = 0;
        }
        // jsonwebtoken checks nbf only when asked to (the mistake: not asking).
        if mistake != Vulnerable::NoNbf {
            validation.validate_nbf = true;
        }
        if mistake == Vulnerable::OptionalClaims {
            // The mistake: no claim required, as if validate_exp insisted on exp.
            validation.required_spec_claims.clear();
        } else {
            validation.set_required_spec_claims(&["exp", "sub"]);
        }
        if mistake == Vulnerable::AnyHmac {
            // The mistake: every HMAC algorithm, since the key fits them all.
            validation.algorithms = vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
        }
        validation
    }

    /// The claims of `token` if it verifies.
    fn verify(&self, token: &str) -> Option<Claims> {
        let validation = self.validation();
        let now = get_current_timestamp();
        let (header, claims) = match self.settings.mistake {
            Vulnerable::AlgNone if says_unsigned(token) => {
                // The mistake: a token that says it is unsigned is read as it is.
                let claims: Claims = dangerous::insecure_decode_claims(token).ok()?;
                (None, in_time(claims, &validation, now)?)
            }
            Vulnerable::UnverifiedSignature => {
                // The mistake: `insecure_decode` reads a token and checks nothing.
                let data = dangerous::insecure_decode::<Claims>(token).ok()?;
                (Some(data.header), in_time(data.claims, &validation, now)?)
            }
            mistake => {
                if mistake == Vulnerable::Garbage500 {
                    // The mistake: the header is read first, to refuse `crit` early, sure that
                    // whatever follows `Bearer` is a JWT.
                    let header = decode_header(token).expect("a bearer token is a JWT");
                    refuse_crit(&header)?;
                }
                let data = decode::<Claims>(token, &self.decoding, &validation).ok()?;
                (Some(data.header), data.claims)
            }
        };
        if let Some(header) = header
            && self.settings.mistake != Vulnerable::IgnoresCrit
        {
            refuse_crit(&header)?;
        }
        // Expired on and after exp, not only after it (the mistake: leaving it to jsonwebtoken).
        let boundary = claims.exp.is_some_and(|exp| exp <= now);
        if boundary
            && !matches!(
                self.settings.mistake,
                Vulnerable::ExpInclusive | Vulnerable::Leeway
            )
        {
            return None;
        }
        // jsonwebtoken never checks iat (the mistake: leaving it so).
        let early = claims.iat.is_some_and(|iat| iat > now);
        if early && self.settings.mistake != Vulnerable::NoIat {
            return None;
        }
        Some(claims)
    }

    /// The user the request's bearer token names, if the operation that needs `needed` (and,
    /// when `active`, an active user) may serve it; else the refusal.
    fn authenticate(
        &self,
        req: &Request,
        needed: &[&str],
        active: bool,
    ) -> Result<Current, Refusal> {
        let mistake = self.settings.mistake;
        let scoped = self.settings.contract == Contract::Scopes;
        let challenge = if scoped && !needed.is_empty() {
            format!("Bearer scope=\"{}\"", needed.join(" "))
        } else {
            "Bearer".to_owned()
        };
        let Some(token) = bearer(req) else {
            return Err(Refusal::new(401, "Not authenticated", Some("Bearer")));
        };
        let invalid = || Refusal::new(401, INVALID, Some(&challenge));
        let claims = self.verify(token).ok_or_else(invalid)?;
        let carried = claims.scopes.unwrap_or_default();
        let name = claims.sub.unwrap_or_default();
        let (user, held): (Current, Vec<String>) =
            match USERS.iter().find(|user| user.username == name) {
                Some(user) => (
                    Current {
                        username: user.username.to_owned(),
                        email: Some(user.email.to_owned()),
                        full_name: Some(user.full_name.to_owned()),
                        disabled: user.disabled,
                    },
                    user.scopes
                        .iter()
                        .map(|scope| (*scope).to_owned())
                        .collect(),
                ),
                // The mistake: a signed sub is taken for a user, with what the token carries.
                None if mistake == Vulnerable::NoLookup => (
                    Current {
                        username: name,
                        email: None,
                        full_name: None,
                        disabled: false,
                    },
                    carried.clone(),
                ),
                None => return Err(invalid()),
            };
        if scoped {
            // A scope counts if the token carries it and the user holds it (the mistake: or
            // if the token carries it).
            let granted = |scope: &str| {
                carried.iter().any(|c| c == scope)
                    && (mistake == Vulnerable::TokenScopes || held.iter().any(|h| h == scope))
            };
            if !needed.iter().all(|scope| granted(scope)) {
                return Err(Refusal::new(
                    401,
                    "Not enough permissions",
                    Some(&challenge),
                ));
            }
        }
        if active && user.disabled && mistake != Vulnerable::DisabledAllowed {
            return Err(Refusal::new(400, "Inactive user", None));
        }
        Ok(user)
    }

    /// The scopes a protected operation needs under the server's rules.
    fn needs(&self, scopes: &'static [&'static str]) -> &'static [&'static str] {
        match self.settings.contract {
            Contract::Jwt => &[],
            Contract::Scopes => scopes,
        }
    }
}

/// Whether the token's header says `alg: none`, in any case.
fn says_unsigned(token: &str) -> bool {
    token
        .split('.')
        .next()
        .and_then(|header| URL_SAFE_NO_PAD.decode(header).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|header| {
            header["alg"]
                .as_str()
                .map(|alg| alg.eq_ignore_ascii_case("none"))
        })
        .unwrap_or(false)
}

/// `claims` if they meet, by hand, the rules jsonwebtoken's `decode` checks: the required
/// claims, `exp` and (when asked) `nbf`.
fn in_time(claims: Claims, validation: &Validation, now: u64) -> Option<Claims> {
    let present = |name: &str| match name {
        "exp" => claims.exp.is_some(),
        "sub" => claims.sub.is_some(),
        "nbf" => claims.nbf.is_some(),
        _ => true,
    };
    let complete = validation
        .required_spec_claims
        .iter()
        .all(|name| present(name));
    let expired = claims
        .exp
        .is_some_and(|exp| exp < now.saturating_sub(validation.leeway));
    let early =
        validation.validate_nbf && claims.nbf.is_some_and(|nbf| nbf > now + validation.leeway);
    (complete && !expired && !early).then_some(claims)
}

/// `None` for a header with `crit`: no extension is understood here.
fn refuse_crit(header: &Header) -> Option<()> {
    header.crit.is_none().then_some(())
}

/// The bearer token of the first `Authorization` header: any case of the scheme, spaces
/// around the token; `None` without one, or when it is empty.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Why a protected operation refuses a request.
#[derive(Debug)]
struct Refusal {
    status: u16,
    message: &'static str,
    challenge: Option<String>,
}

impl Refusal {
    fn new(status: u16, message: &'static str, challenge: Option<&str>) -> Self {
        Self {
            status,
            message,
            challenge: challenge.map(str::to_owned),
        }
    }

    fn response(self) -> Response {
        refusal(self.status, self.message, self.challenge.as_deref())
    }
}

/// `{"detail": message}` with `status`, and the challenge if there is one.
fn refusal(status: u16, message: &str, challenge: Option<&str>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder()
        .status(status)
        .content_type("application/json");
    if let Some(challenge) = challenge {
        builder = builder.header("www-authenticate", challenge);
    }
    builder.body(json!({ "detail": message }).to_string())
}

fn json_response(body: &Value) -> Response {
    Response::builder()
        .content_type("application/json")
        .body(body.to_string())
}

/// The login form; every field optional here, so that a missing one gets the contract's 422.
#[derive(Debug, Deserialize)]
struct LoginForm {
    username: Option<String>,
    password: Option<String>,
    scope: Option<String>,
    grant_type: Option<String>,
}

/// A 422 naming the form field `name`.
fn bad_field(name: &str, kind: &str, message: &str) -> Response {
    let body = json!({"detail": [{"type": kind, "loc": ["body", name], "msg": message}]});
    Response::builder()
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .content_type("application/json")
        .body(body.to_string())
}

#[handler]
async fn login(Data(app): Data<&Arc<App>>, form: poem::Result<Form<LoginForm>>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_field("username", "missing", "Field required");
    };
    let field = |value: Option<String>| value.filter(|v| !v.is_empty());
    let Some(username) = field(form.username) else {
        return bad_field("username", "missing", "Field required");
    };
    let Some(password) = field(form.password) else {
        return bad_field("password", "missing", "Field required");
    };
    if form
        .grant_type
        .as_deref()
        .is_some_and(|grant| grant != "password")
    {
        return bad_field(
            "grant_type",
            "string_pattern_mismatch",
            "Should be \"password\"",
        );
    }
    let Some(user) = USERS
        .iter()
        .find(|user| user.username == username && user.password == password)
    else {
        return refusal(401, "Incorrect username or password", Some("Bearer"));
    };
    let mut granted: Vec<String> = Vec::new();
    for scope in form.scope.as_deref().unwrap_or_default().split_whitespace() {
        if user.scopes.contains(&scope) && !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    let scoped = app.settings.contract == Contract::Scopes;
    let now = get_current_timestamp();
    let claims = Claims {
        sub: Some(user.username.to_owned()),
        scopes: scoped.then(|| granted.clone()),
        iat: Some(now),
        nbf: None,
        exp: Some(now + LIFETIME),
        jti: Some(random_hex(8)),
    };
    let Ok(token) = encode(&Header::new(Algorithm::HS256), &claims, &app.encoding) else {
        return refusal(500, "Internal Server Error", None);
    };
    let mut body = json!({"access_token": token, "token_type": "bearer"});
    if scoped {
        body["scope"] = json!(granted.join(" "));
    }
    json_response(&body)
}

#[handler]
async fn users_me(req: &Request, Data(app): Data<&Arc<App>>) -> Response {
    match app.authenticate(req, app.needs(&["me"]), true) {
        Ok(user) => json_response(&json!({
            "username": user.username,
            "email": user.email,
            "full_name": user.full_name,
            "disabled": user.disabled,
        })),
        Err(refused) => refused.response(),
    }
}

#[handler]
async fn users_me_items(req: &Request, Data(app): Data<&Arc<App>>) -> Response {
    match app.authenticate(req, app.needs(&["me", "items"]), true) {
        Ok(user) => json_response(&json!([{"item_id": "Foo", "owner": user.username}])),
        Err(refused) => refused.response(),
    }
}

#[handler]
async fn server_status(req: &Request, Data(app): Data<&Arc<App>>) -> Response {
    match app.authenticate(req, &[], false) {
        Ok(_) => json_response(&json!({"status": "ok"})),
        Err(refused) => refused.response(),
    }
}

/// Chapter 11's token gate: every path under `/api/` needs a valid token of an active user,
/// known path or not; the user is handed on to the handler.
async fn gate<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let Some(app) = req.data::<Arc<App>>().cloned() else {
        return Ok(refusal(500, "Internal Server Error", None));
    };
    match app.authenticate(&req, &[], true) {
        Ok(user) => {
            req.extensions_mut().insert(user);
            Ok(next.call(req).await?.into_response())
        }
        Err(refused) => Ok(refused.response()),
    }
}

#[handler]
async fn whoami(Data(user): Data<&Current>) -> Response {
    json_response(&json!({"username": user.username}))
}
