//! What a check is, and the small toolbox a check uses: requests, replies, assertions.
//!
//! A check is plain data (an id, a title, points, a hint, a book section) plus a closure that
//! talks to the server through a [`Ctx`] and returns `Ok(())` or a [`Failure`]:
//!
//! ```
//! # use grader::check::Check;
//! # use serde_json::json;
//! let check = Check::new("01.root", "GET / says hello")
//!     .points(2)
//!     .hint("Return {\"message\": \"Hello World\"} from GET /.")
//!     .book("01-hello-world.html#the-first-endpoint")
//!     .run(|cx| async move {
//!         cx.get("/").send().await?
//!             .expect_status(200)?
//!             .expect_json(&json!({"message": "Hello World"}))?;
//!         Ok(())
//!     });
//! ```
//!
//! A check that tests a rule of this workbook rather than what the contract means (integers
//! are `i64`, `HEAD` works on every `GET` route...) carries a [`Tag`]. Under
//! [`Profile::Fastapi`] it accepts FastAPI's documented behaviour as well ([`Check::fastapi`])
//! or is skipped, and the report says which and why.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use crate::command::Program;
use crate::rng::Rng;

/// The future a check's closure returns.
pub type Outcome = Pin<Box<dyn Future<Output = Result<(), Failure>> + Send>>;
type Runner = Arc<dyn Fn(Ctx) -> Outcome + Send + Sync>;
type EnvMaker = Arc<dyn Fn(&mut Rng) -> Vec<(String, String)> + Send + Sync>;

/// Which rules a run holds servers to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Every rule of this workbook, as the contract states it.
    #[default]
    Strict,
    /// The contract's meaning: where a check tests a workbook rule that FastAPI does not
    /// follow (a [`Tag`]), FastAPI's documented behaviour passes too, or the check is skipped.
    Fastapi,
}

impl Profile {
    /// `strict` or `fastapi`, as `--profile` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Strict => "strict",
            Profile::Fastapi => "fastapi",
        }
    }
}

/// A rule of this workbook that goes past what the contract means, and that FastAPI (with
/// Starlette and Pydantic) does not follow as it ships. A check that tests one carries its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tag {
    /// Integers are `i64`.
    I64,
    /// Integers are read as `i64::from_str` reads them; JSON numbers keep their type.
    StrictInt,
    /// `HEAD` works wherever `GET` does.
    Head,
    /// A `%2F` does not split a path segment.
    EncodedSlash,
    /// A repeated header shows its last value.
    RepeatedHeader,
    /// The docs pages work offline.
    OfflineDocs,
    /// A body over the limit is a JSON 413.
    BodyLimit,
    /// The other form of a path (with or without its trailing slash).
    TrailingSlash,
    /// An empty Bearer credential is "Not authenticated".
    EmptyCredential,
    /// The first failing guard answers.
    GuardOrder,
    /// The document declares the headers of a redirect and of a download.
    DocumentedHeaders,
    /// A refused CORS preflight is a JSON error.
    CorsRefusal,
}

impl Tag {
    /// Every tag, in the order the book's table lists them.
    pub const ALL: &[Tag] = &[
        Tag::I64,
        Tag::StrictInt,
        Tag::Head,
        Tag::EncodedSlash,
        Tag::RepeatedHeader,
        Tag::OfflineDocs,
        Tag::BodyLimit,
        Tag::TrailingSlash,
        Tag::EmptyCredential,
        Tag::GuardOrder,
        Tag::DocumentedHeaders,
        Tag::CorsRefusal,
    ];

    /// The tag as `--list` and reports show it.
    pub fn name(self) -> &'static str {
        match self {
            Tag::I64 => "i64",
            Tag::StrictInt => "strict-int",
            Tag::Head => "head",
            Tag::EncodedSlash => "encoded-slash",
            Tag::RepeatedHeader => "repeated-header",
            Tag::OfflineDocs => "offline-docs",
            Tag::BodyLimit => "body-limit",
            Tag::TrailingSlash => "trailing-slash",
            Tag::EmptyCredential => "empty-credential",
            Tag::GuardOrder => "guard-order",
            Tag::DocumentedHeaders => "documented-headers",
            Tag::CorsRefusal => "cors-refusal",
        }
    }

    /// The workbook's rule, in a sentence.
    pub fn rule(self) -> &'static str {
        match self {
            Tag::I64 => "an integer is an i64: 99999999999999999999 is a 422",
            Tag::StrictInt => {
                "integers are read as i64::from_str reads them, and JSON numbers keep their type: \
                 2.0, 1_000, \" 5\" and JSON 5.0 are 422s"
            }
            Tag::Head => "HEAD on a GET route answers like GET, without a body (RFC 9110)",
            Tag::EncodedSlash => "a %2F does not split a segment: /requests/a%2Fb is \"a/b\"",
            Tag::RepeatedHeader => "the echo of a repeated header shows its last value",
            Tag::OfflineDocs => "/docs and /redoc load nothing from other hosts",
            Tag::BodyLimit => {
                "a body over the limit (1 MiB; 10 MiB for an upload) is 413 {\"detail\": \"Content \
                 Too Large\"}"
            }
            Tag::TrailingSlash => {
                "the other form of a path answers alike, or redirects to the declared one with 307"
            }
            Tag::EmptyCredential => {
                "\"Authorization: Bearer\" with nothing after it is 401 Not authenticated"
            }
            Tag::GuardOrder => {
                "the first failing guard answers: no X-Token and a wrong X-Key is X-Token's 422"
            }
            Tag::DocumentedHeaders => {
                "the document declares the 307's Location and the download's Content-Disposition"
            }
            Tag::CorsRefusal => {
                "a refused preflight is 400 {\"detail\": \"Disallowed CORS origin\"}"
            }
        }
    }

    /// What FastAPI does instead, in a sentence.
    pub fn fastapi(self) -> &'static str {
        match self {
            Tag::I64 => "Python integers have no limit: the number is read as it is",
            Tag::StrictInt => {
                "Pydantic's lax mode reads \"2.0\" as 2, \"1_000\" as 1000, \" 5\" as 5 and JSON \
                 5.0 as 5"
            }
            Tag::Head => "@app.get registers GET only: HEAD is 405 with Allow: GET",
            Tag::EncodedSlash => {
                "Starlette routes on the decoded path: /requests/a%2Fb is /requests/a/b, a 404"
            }
            Tag::RepeatedHeader => {
                "dict(request.headers) keeps the first value, dict(request.headers.items()) the \
                 last"
            }
            Tag::OfflineDocs => {
                "the pages load Swagger UI and ReDoc from cdn.jsdelivr.net, the favicon from \
                 fastapi.tiangolo.com and fonts from fonts.googleapis.com"
            }
            Tag::BodyLimit => {
                "max_body_size answers 413 in plain text \"Content Too Large\" when Content-Length \
                 announces the excess"
            }
            Tag::TrailingSlash => "redirect_slashes answers 307 to the declared form",
            Tag::EmptyCredential => {
                "OAuth2PasswordBearer hands the empty token to the app: it is read as a token (07 \
                 answers it; the others refuse it with their invalid-token message)"
            }
            Tag::GuardOrder => {
                "FastAPI runs every dependency it can before answering: X-Key's 400 comes before \
                 X-Token's 422"
            }
            Tag::DocumentedHeaders => {
                "RedirectResponse and FileResponse declare no headers; only responses={...} does"
            }
            Tag::CorsRefusal => {
                "Starlette's CORSMiddleware answers 400 in plain text \"Disallowed CORS origin\""
            }
        }
    }
}

/// What a tagged check does under `--profile fastapi`; it is skipped when it says nothing.
#[derive(Clone)]
enum Lenience {
    /// It runs as written: it accepts FastAPI's behaviour already.
    AsWritten,
    /// It runs this instead, which accepts FastAPI's behaviour as well as the workbook's.
    Accepts(Runner),
}

/// What a check does under a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Treatment {
    /// It runs as written.
    AsWritten,
    /// It accepts FastAPI's behaviour as well as the workbook's.
    AcceptsFastapi,
    /// It is skipped.
    Skipped,
}

/// How a skip under `--profile fastapi` starts, so that summaries can count those points apart.
pub const PROFILE_SKIP: &str = "fastapi profile";

/// One check of a chapter's contract (or of an exercise).
#[derive(Clone)]
pub struct Check {
    /// A stable name: `<chapter>.<what>`, e.g. `01.docs.swagger`.
    pub id: &'static str,
    /// What the check expects, in a few words.
    pub title: &'static str,
    /// Points for passing.
    pub points: u32,
    /// What to look at when it fails.
    pub hint: &'static str,
    /// The book section that teaches it: `<page>.html#<anchor>`.
    pub book: &'static str,
    /// Whether it checks an exercise rather than the chapter's contract.
    pub exercise: bool,
    /// The workbook rule it tests, when it tests one that FastAPI does not follow.
    pub tag: Option<Tag>,
    lenience: Option<Lenience>,
    program: bool,
    env: Option<EnvMaker>,
    run: Runner,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .field("points", &self.points)
            .field("tag", &self.tag)
            .finish()
    }
}

impl Check {
    /// A check worth 1 point that passes until `run` says otherwise.
    pub fn new(id: &'static str, title: &'static str) -> Self {
        Self {
            id,
            title,
            points: 1,
            hint: "",
            book: "",
            exercise: false,
            tag: None,
            lenience: None,
            program: false,
            env: None,
            run: Arc::new(|_| Box::pin(async { Ok(()) })),
        }
    }

    /// Points for passing.
    pub fn points(mut self, points: u32) -> Self {
        self.points = points;
        self
    }

    /// What to look at when it fails.
    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }

    /// The book section that teaches it.
    pub fn book(mut self, book: &'static str) -> Self {
        self.book = book;
        self
    }

    /// Marks the check as one of an exercise's.
    pub fn exercise(mut self) -> Self {
        self.exercise = true;
        self
    }

    /// Marks the check as testing a workbook rule that FastAPI does not follow. Under
    /// `--profile fastapi` it is skipped, unless [`Check::fastapi`] says what it accepts there.
    pub fn tag(mut self, tag: Tag) -> Self {
        self.tag = Some(tag);
        self
    }

    /// What the tagged check does under `--profile fastapi`: it must accept the workbook's
    /// behaviour and FastAPI's documented one (the tag's [`Tag::fastapi`]), and nothing else.
    pub fn fastapi<F, Fut>(mut self, run: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Failure>> + Send + 'static,
    {
        self.lenience = Some(Lenience::Accepts(Arc::new(move |cx| Box::pin(run(cx)))));
        self
    }

    /// The tagged check accepts FastAPI's behaviour as written, so both profiles run it.
    pub fn fastapi_as_written(mut self) -> Self {
        self.lenience = Some(Lenience::AsWritten);
        self
    }

    /// What the check does under `profile`.
    pub fn treatment(&self, profile: Profile) -> Treatment {
        match (profile, self.tag, &self.lenience) {
            (Profile::Strict, _, _) | (_, None, _) | (_, _, Some(Lenience::AsWritten)) => {
                Treatment::AsWritten
            }
            (Profile::Fastapi, Some(_), Some(Lenience::Accepts(_))) => Treatment::AcceptsFastapi,
            (Profile::Fastapi, Some(_), None) => Treatment::Skipped,
        }
    }

    /// What a report says about the check under `profile`: why it is skipped, or what else it
    /// accepts. `None` where the profile changes nothing.
    pub fn profile_note(&self, profile: Profile) -> Option<String> {
        let tag = self.tag?;
        match self.treatment(profile) {
            Treatment::AsWritten if profile == Profile::Strict => None,
            Treatment::AsWritten => Some(format!(
                "{PROFILE_SKIP}: runs as written, since it accepts FastAPI's behaviour ({}: {})",
                tag.name(),
                tag.fastapi()
            )),
            Treatment::AcceptsFastapi => Some(format!(
                "{PROFILE_SKIP}: also accepts FastAPI's behaviour ({}: {})",
                tag.name(),
                tag.fastapi()
            )),
            Treatment::Skipped => Some(format!(
                "{PROFILE_SKIP}: {} is this workbook's rule ({}); FastAPI's behaviour leaves \
                 nothing to check: {}",
                tag.name(),
                tag.rule(),
                tag.fastapi()
            )),
        }
    }

    /// The check needs its own server, started with these environment variables (drawn
    /// from the check's random stream). It is skipped against a server given by `--url`,
    /// which cannot be restarted.
    pub fn server_env<F>(mut self, make: F) -> Self
    where
        F: Fn(&mut Rng) -> Vec<(String, String)> + Send + Sync + 'static,
    {
        self.env = Some(Arc::new(make));
        self
    }

    /// The check runs the program itself, in a folder of its own: its commands
    /// ([`Ctx::command`]) and servers started one after another ([`Ctx::serve`]), which share
    /// the folder and the program's default database in it. It is skipped against a server
    /// given by `--url`.
    pub fn program(mut self) -> Self {
        self.program = true;
        self
    }

    /// Whether the check runs the program itself.
    pub fn needs_program(&self) -> bool {
        self.program
    }

    /// Whether the check needs a server of its own, started with other settings.
    pub fn needs_own_server(&self) -> bool {
        self.env.is_some()
    }

    /// What the check does.
    pub fn run<F, Fut>(mut self, run: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Failure>> + Send + 'static,
    {
        self.run = Arc::new(move |cx| Box::pin(run(cx)));
        self
    }

    /// The environment this check's own server needs, if it needs one.
    pub fn env(&self, rng: &mut Rng) -> Option<Vec<(String, String)>> {
        self.env.as_ref().map(|make| make(rng))
    }

    pub(crate) fn start(&self, cx: Ctx, profile: Profile) -> Outcome {
        match (self.treatment(profile), &self.lenience) {
            (Treatment::AcceptsFastapi, Some(Lenience::Accepts(run))) => run(cx),
            _ => (self.run)(cx),
        }
    }
}

/// Why a check failed, with what is needed to see it again.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// What went wrong, in one sentence.
    pub message: String,
    /// What the contract asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What came back instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    /// The request that showed it, and its answer when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Box<Exchange>>,
    /// The command that showed it, for checks that run the program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The shell line that starts the server it showed on again, with the same settings and
    /// port, when the grader started that server: run it, then the request's `curl`. (Boxed,
    /// as every check returns a `Result<_, Failure>`: it keeps them small.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Box<str>>,
}

impl Failure {
    /// A failure with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            expected: None,
            got: None,
            exchange: None,
            command: None,
            start: None,
        }
    }

    /// What the contract asks for.
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// What came back instead.
    pub fn got(mut self, got: impl Into<String>) -> Self {
        self.got = Some(got.into());
        self
    }

    /// The command that showed it, as a learner would type it.
    pub fn command(mut self, line: &str) -> Self {
        self.command = Some(line.to_owned());
        self
    }

    pub(crate) fn with_exchange(mut self, exchange: &Exchange) -> Self {
        self.exchange = Some(Box::new(exchange.clone()));
        self
    }

    /// Names `line` as the way to start the server at `url` again, unless the failure is
    /// about another server (one a check started itself, say).
    pub(crate) fn started_with(mut self, line: &str, url: &str) -> Self {
        let elsewhere = self
            .exchange
            .as_ref()
            .is_some_and(|exchange| !exchange.url.starts_with(url));
        if !elsewhere && self.start.is_none() {
            self.start = Some(line.into());
        }
        self
    }

    /// The same failure with every text cut to [`CUT`] bytes, the full size noted: a server
    /// that echoes a 10 MiB body must not make a 10 MiB report.
    pub(crate) fn bounded(mut self) -> Self {
        for text in [
            Some(&mut self.message),
            self.expected.as_mut(),
            self.got.as_mut(),
            self.command.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            cut_in_place(text);
        }
        if let Some(start) = self.start.as_mut().filter(|start| start.len() > CUT) {
            *start = cut(start, CUT).into();
        }
        if let Some(exchange) = self.exchange.as_mut() {
            let Exchange {
                url,
                headers,
                body,
                curl,
                response_headers,
                response_body,
                ..
            } = exchange.as_mut();
            let pairs = headers.iter_mut().chain(response_headers.iter_mut());
            let texts = pairs.flat_map(|(name, value)| [name, value]);
            for text in texts
                .chain([url, curl])
                .chain(body.as_mut())
                .chain(response_body.as_mut())
            {
                cut_in_place(text);
            }
        }
        self
    }
}

/// The most of one text a report shows, in bytes: enough to see what a body is, while a
/// chapter's report stays well under 100 KiB whatever the server echoes.
pub const CUT: usize = 2 * 1024;

/// `text` cut to at most `limit` bytes (at a character's boundary), with its full size noted.
pub fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

fn cut_in_place(text: &mut String) {
    if text.len() > CUT {
        *text = cut(text, CUT);
    }
}

/// `Err(Failure)` unless `condition` holds: for assertions a check writes itself.
pub fn ensure(condition: bool, failure: impl FnOnce() -> Failure) -> Result<(), Failure> {
    if condition { Ok(()) } else { Err(failure()) }
}

/// A request as sent, and the response as received.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// `GET`, `POST`…
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers the check set (not those the client adds by itself).
    pub headers: Vec<(String, String)>,
    /// The body sent, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The same request as a `curl` command.
    pub curl: String,
    /// The status received, if a response came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The response headers, if a response came.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response_headers: Vec<(String, String)>,
    /// The start of the response body, if a response came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
}

impl Exchange {
    /// A request about to be sent, with no answer yet.
    fn request(method: &str, url: &str, headers: &[(String, String)], body: Option<&str>) -> Self {
        Self {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: headers.to_vec(),
            body: body.map(shorten),
            curl: curl_command(method, url, headers, body),
            status: None,
            response_headers: Vec::new(),
            response_body: None,
        }
    }

    /// Records the status and headers of the answer (before its body, which may not come);
    /// returns the headers as text.
    fn answered(&mut self, status: u16, headers: &HeaderMap) -> Vec<(String, String)> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        self.status = Some(status);
        self.response_headers = headers.clone();
        headers
    }
}

/// Bodies and other long texts are shown cut to [`CUT`] bytes in reports.
pub(crate) fn shorten(text: &str) -> String {
    cut(text, CUT)
}

/// Quotes a word for a POSIX shell.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

fn curl_command(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> String {
    let mut curl = String::from("curl -i");
    match method {
        "GET" => {}
        "HEAD" => curl.push_str(" --head"),
        other => {
            let _ = write!(curl, " -X {other}");
        }
    }
    for (name, value) in headers {
        let _ = write!(curl, " -H {}", shell_quote(&format!("{name}: {value}")));
    }
    match body {
        // Pasted whole, megabytes of body make a command no terminal takes.
        Some(body) if body.len() > CUT => {
            let _ = write!(
                curl,
                " --data-binary @request-body {}  # request-body: the {} bytes the check sent",
                shell_quote(url),
                body.len()
            );
            return curl;
        }
        Some(body) => {
            let _ = write!(curl, " --data-raw {}", shell_quote(body));
        }
        None => {}
    }
    let _ = write!(curl, " {}", shell_quote(url));
    curl
}

/// Everything a check can use: the server's address, an HTTP client with timeouts, its own
/// random stream, and the environment its server was started with.
#[derive(Clone)]
pub struct Ctx {
    base: String,
    client: reqwest::Client,
    timeout: Duration,
    rng: Arc<Mutex<Rng>>,
    env: Arc<BTreeMap<String, String>>,
    last: Arc<Mutex<Option<Exchange>>>,
    program: Option<Arc<Program>>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub(crate) fn new(
        base: &str,
        timeout: Duration,
        rng: Rng,
        env: &[(String, String)],
    ) -> Result<Self, Failure> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| Failure::new(format!("cannot make an HTTP client: {err}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
            timeout,
            rng: Arc::new(Mutex::new(rng)),
            env: Arc::new(env.iter().cloned().collect()),
            last: Arc::default(),
            program: None,
        })
    }

    /// This context, for a check that runs `program`.
    pub(crate) fn with_program(mut self, program: Program) -> Self {
        self.program = Some(Arc::new(program));
        self
    }

    /// The program a check marked [`Check::program`] runs.
    pub(crate) fn program(&self) -> Result<&Program, Failure> {
        self.program.as_deref().ok_or_else(|| {
            Failure::new("this check runs the program, but was not marked with Check::program")
        })
    }

    /// This context, talking to the server at `base` instead.
    pub(crate) fn at(&self, base: &str) -> Ctx {
        Ctx {
            base: base.trim_end_matches('/').to_owned(),
            ..self.clone()
        }
    }

    /// The last request sent, to show with a failure that names none.
    pub(crate) fn last_exchange(&self) -> Option<Exchange> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn remember(&self, exchange: &Exchange) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(exchange.clone());
    }

    /// The server's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The value of `key` in the environment this check's server was started with.
    pub fn env(&self, key: &str) -> String {
        self.env.get(key).cloned().unwrap_or_default()
    }

    /// Draws from this check's random stream.
    pub fn rng<T>(&self, draw: impl FnOnce(&mut Rng) -> T) -> T {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        draw(&mut rng)
    }

    /// A random lower-case word.
    pub fn word(&self) -> String {
        self.rng(Rng::word)
    }

    /// A request with any method.
    pub fn request(&self, method: &str, path: &str) -> Req {
        Req {
            cx: self.clone(),
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// A `GET` request to `path` (which starts with `/`).
    pub fn get(&self, path: &str) -> Req {
        self.request("GET", path)
    }

    /// A `HEAD` request.
    pub fn head(&self, path: &str) -> Req {
        self.request("HEAD", path)
    }

    /// A `POST` request.
    pub fn post(&self, path: &str) -> Req {
        self.request("POST", path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: &str) -> Req {
        self.request("PUT", path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: &str) -> Req {
        self.request("DELETE", path)
    }
}

/// A request being built.
#[derive(Debug)]
pub struct Req {
    cx: Ctx,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

impl Req {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sends `value` as a JSON body.
    pub fn json(self, value: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(&value.to_string())
    }

    /// Sends `text` as the body, as it is.
    pub fn body(mut self, text: &str) -> Self {
        self.body = Some(text.to_owned());
        self
    }

    /// Sends the request and waits for the whole response, within the client's timeout.
    pub async fn send(self) -> Result<Reply, Failure> {
        let url = format!("{}{}", self.cx.base, self.path);
        let mut exchange =
            Exchange::request(&self.method, &url, &self.headers, self.body.as_deref());
        let method = reqwest::Method::from_bytes(self.method.as_bytes())
            .map_err(|_| Failure::new(format!("`{}` is not an HTTP method", self.method)))?;
        let mut request = self.cx.client.request(method, &url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        self.cx.remember(&exchange);
        let response = request.send().await.map_err(|err| {
            describe_network_error(&err, &url, self.cx.timeout).with_exchange(&exchange)
        })?;
        let status = response.status().as_u16();
        let headers = exchange.answered(status, response.headers());
        let body = response.bytes().await.map_err(|err| {
            describe_network_error(&err, &url, self.cx.timeout).with_exchange(&exchange)
        })?;
        let reply = Reply::read(status, headers, body.into(), exchange);
        self.cx.remember(&reply.exchange);
        Ok(reply)
    }
}

/// Sends `method uri` to `cli`'s app in-process, through poem's test client, with `headers` as
/// given and `body` as JSON when there is one (with `content-type: application/json`, as
/// [`Req::json`] sends it); the reply records its [`Exchange`] as [`Req::send`] does, with the
/// URI as the URL. For a chapter's own tests, which run its app without a server.
///
/// # Panics
///
/// When `method` is not an HTTP method, or a header is not a valid one.
pub async fn send_in_process<E: poem::Endpoint>(
    cli: &poem::test::TestClient<E>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let body = body.map(|value| {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
        value.to_string()
    });
    let mut exchange = Exchange::request(method, uri, &headers, body.as_deref());
    let parsed: poem::http::Method = method
        .parse()
        .unwrap_or_else(|_| panic!("{method:?} is not an HTTP method"));
    let mut request = cli.request(parsed, uri.to_owned());
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.0;
    let status = response.status().as_u16();
    let headers = exchange.answered(status, response.headers());
    let bytes = response.into_body().into_vec().await.unwrap_or_default();
    Reply::read(status, headers, bytes, exchange)
}

/// Says in plain words why no answer came.
fn describe_network_error(err: &reqwest::Error, url: &str, timeout: Duration) -> Failure {
    let mut causes = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let chain = causes.join(": ");
    let message = if err.is_timeout() {
        format!(
            "no response within {} s: the server took the request but did not answer (does it \
             hang?)",
            timeout.as_secs_f64()
        )
    } else if err.is_connect() {
        format!(
            "could not connect to {url}: is the server running? ({})",
            causes.last().map_or("", String::as_str)
        )
    } else if [
        "closed before message completed",
        "connection reset",
        "connection was not ready",
        "canceled",
    ]
    .iter()
    .any(|sign| chain.contains(sign))
    {
        "the server closed the connection without answering".to_owned()
    } else if chain.contains("invalid HTTP")
        || chain.contains("invalid status")
        || chain.contains("parse")
    {
        format!(
            "the server's answer is not HTTP ({})",
            causes.last().map_or("", String::as_str)
        )
    } else {
        format!("the request failed: {chain}")
    };
    Failure::new(message)
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced).
    pub text: String,
    bytes: Vec<u8>,
    exchange: Exchange,
}

impl Reply {
    /// The reply to the request `exchange` records, whose status and headers it has recorded
    /// ([`Exchange::answered`]): the body is recorded too.
    fn read(
        status: u16,
        headers: Vec<(String, String)>,
        bytes: Vec<u8>,
        mut exchange: Exchange,
    ) -> Self {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        exchange.response_body = Some(shorten(&text));
        Self {
            status,
            headers,
            text,
            bytes,
            exchange,
        }
    }

    /// The body as sent, byte for byte.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The body as JSON, `null` when it is not JSON: for a test that compares it or reads
    /// members of it (where a check would rather fail with [`Reply::json`]).
    pub fn json_or_null(&self) -> Value {
        self.json().unwrap_or_default()
    }

    /// Fails the test unless the status is `status`, with the grader's failure (and the
    /// exchange) as the message: [`Reply::expect_status`], for a chapter's own tests.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        or_panic(self.expect_status(status))
    }

    /// Fails the test unless the answer is `status` with a JSON body `{"detail": detail}`, with
    /// the grader's failure as the message: [`Reply::expect_detail`], for a chapter's own tests.
    #[track_caller]
    pub fn assert_detail(&self, status: u16, detail: &str) -> &Self {
        or_panic(self.expect_detail(status, detail))
    }

    /// A failure that shows this exchange.
    pub fn fail(&self, message: impl Into<String>) -> Failure {
        Failure::new(message).with_exchange(&self.exchange)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, or a failure saying it is not.
    pub fn json(&self) -> Result<Value, Failure> {
        serde_json::from_str(&self.text).map_err(|err| {
            self.fail("the body is not JSON")
                .expected("a JSON body")
                .got(format!("{} ({err})", shorten(&self.text)))
        })
    }

    /// Fails unless the status is `status`.
    pub fn expect_status(&self, status: u16) -> Result<&Self, Failure> {
        ensure(self.status == status, || {
            self.fail(format!("expected status {status}, got {}", self.status))
                .expected(status.to_string())
                .got(format!("{} {}", self.status, shorten(&self.text)))
        })?;
        Ok(self)
    }

    /// Fails unless header `name` is present and its value contains `part`
    /// (case-insensitive).
    pub fn expect_header(&self, name: &str, part: &str) -> Result<&Self, Failure> {
        match self.header(name) {
            Some(value)
                if value
                    .to_ascii_lowercase()
                    .contains(&part.to_ascii_lowercase()) =>
            {
                Ok(self)
            }
            Some(value) => Err(self
                .fail(format!(
                    "header {name} is {value:?}, expected it to contain {part:?}"
                ))
                .expected(format!("{name}: …{part}…"))
                .got(format!("{name}: {value}"))),
            None => Err(self
                .fail(format!("header {name} is missing"))
                .expected(format!("{name}: …{part}…"))
                .got(format!("no {name} header"))),
        }
    }

    /// Fails unless the body is JSON equal to `expected` (members in any order).
    pub fn expect_json(&self, expected: &Value) -> Result<&Self, Failure> {
        self.expect_header("content-type", "json")?;
        let body = self.json()?;
        ensure(&body == expected, || {
            self.fail("the JSON body differs from the contract")
                .expected(expected.to_string())
                .got(body.to_string())
        })?;
        Ok(self)
    }

    /// Fails unless the body is JSON whose text is `expected` once the spaces between its
    /// tokens are gone: for numbers beyond what `f64` holds exactly (a Python integer), which
    /// [`Reply::expect_json`] would compare approximately. Members must come in `expected`'s
    /// order.
    pub fn expect_json_text(&self, expected: &str) -> Result<&Self, Failure> {
        self.expect_header("content-type", "json")?;
        ensure(compact_json(&self.text) == compact_json(expected), || {
            self.fail("the JSON body differs from the contract")
                .expected(expected.to_owned())
                .got(shorten(&self.text))
        })?;
        Ok(self)
    }

    /// Fails unless the JSON body has a member `name` whose value is the number written
    /// `digits`, exactly: for numbers beyond what `f64` holds (a Python integer).
    pub fn expect_number_text(&self, name: &str, digits: &str) -> Result<&Self, Failure> {
        self.expect_header("content-type", "json")?;
        let text = compact_json(&self.text);
        let member = format!("\"{name}\":{digits}");
        let found = text.match_indices(&member).any(|(at, _)| {
            let before = text[..at].ends_with(['{', ',']);
            let after = text[at + member.len()..].starts_with([',', '}']);
            before && after
        });
        ensure(found, || {
            self.fail(format!("{name} is not the number {digits}"))
                .expected(member.clone())
                .got(shorten(&self.text))
        })?;
        Ok(self)
    }

    /// Fails unless the answer is `status` with body `{"detail": message}`.
    pub fn expect_detail(&self, status: u16, message: &str) -> Result<&Self, Failure> {
        self.expect_status(status)?
            .expect_json(&serde_json::json!({ "detail": message }))
    }

    /// Fails unless the answer is a JSON 422 whose `detail` list has a problem at `loc`
    /// (`["query", "q"]`), of type `kind` when one is given; returns that problem.
    pub fn expect_problem(&self, loc: &Value, kind: Option<&str>) -> Result<Value, Failure> {
        self.expect_status(422)?
            .expect_header("content-type", "json")?;
        let body = self.json()?;
        let problems = body["detail"].as_array().cloned().unwrap_or_default();
        let expected = match kind {
            Some(kind) => format!("a problem {{\"type\": \"{kind}\", \"loc\": {loc}, ...}}"),
            None => format!("a problem {{\"loc\": {loc}, ...}}"),
        };
        let at_loc: Vec<&Value> = problems.iter().filter(|p| &p["loc"] == loc).collect();
        if let Some(problem) = at_loc
            .iter()
            .find(|p| kind.is_none_or(|kind| p["type"] == kind))
        {
            return Ok((*problem).clone());
        }
        Err(match at_loc.first() {
            Some(problem) => self
                .fail(format!("the problem at {loc} has another type"))
                .expected(expected)
                .got(problem.to_string()),
            None => self
                .fail(format!("the 422 lists no problem at {loc}"))
                .expected(expected)
                .got(body.to_string()),
        })
    }
}

/// The value `result` holds; its failure panics, worded as the grader's text report words it.
#[track_caller]
fn or_panic<T>(result: Result<T, Failure>) -> T {
    match result {
        Ok(value) => value,
        Err(failure) => {
            let shown = crate::report::CheckResult::new(
                &Check::new("test", "a chapter's test"),
                crate::report::Status::Failed(failure),
                Duration::ZERO,
            );
            panic!("\n{}", crate::report::render_failure(&shown, ""))
        }
    }
}

/// JSON text without the white space between its tokens (strings are kept as they are).
fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c.is_whitespace() {
            continue;
        }
        out.push(c);
    }
    out
}

impl Ctx {
    /// The OpenAPI document at `path` (`/openapi.json`): fails unless it is a JSON
    /// OpenAPI 3 document with `info` and `paths`.
    pub async fn document(&self, path: &str) -> Result<Value, Failure> {
        let reply = self.get(path).send().await?;
        reply
            .expect_status(200)?
            .expect_header("content-type", "json")?;
        let doc = reply.json()?;
        let version = doc["openapi"].as_str().unwrap_or_default();
        ensure(
            version.starts_with("3.") && doc["info"].is_object() && doc["paths"].is_object(),
            || {
                reply
                    .fail(format!("{path} is not an OpenAPI 3 document"))
                    .expected("{\"openapi\": \"3.x\", \"info\": {...}, \"paths\": {...}}")
                    .got(shorten(&reply.text))
            },
        )?;
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reply(status: u16, content_type: &str, body: &Value) -> Reply {
        let text = body.to_string();
        Reply {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            text: text.clone(),
            bytes: text.clone().into_bytes(),
            exchange: Exchange {
                method: "GET".to_owned(),
                url: "http://127.0.0.1:1/".to_owned(),
                headers: Vec::new(),
                body: None,
                curl: String::new(),
                status: Some(status),
                response_headers: Vec::new(),
                response_body: Some(text),
            },
        }
    }

    fn missing_name() -> Value {
        json!({"detail": [
            {"type": "int_parsing", "loc": ["query", "skip"], "msg": "…", "input": "x"},
            {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": null},
        ]})
    }

    #[test]
    fn a_problem_is_found_among_others_and_returned() {
        let reply = reply(422, "application/json", &missing_name());
        let problem = reply
            .expect_problem(&json!(["body", "name"]), Some("missing"))
            .expect("the problem is there");
        assert_eq!(problem["msg"], "Field required");
    }

    #[test]
    fn a_problem_elsewhere_or_of_another_type_fails() {
        let reply = reply(422, "application/json", &missing_name());
        let failure = reply
            .expect_problem(&json!(["body", "price"]), None)
            .expect_err("no problem at body.price");
        assert_eq!(
            failure.message,
            r#"the 422 lists no problem at ["body","price"]"#
        );
        let failure = reply
            .expect_problem(&json!(["query", "skip"]), Some("missing"))
            .expect_err("the problem at query.skip is int_parsing");
        assert_eq!(
            failure.message,
            r#"the problem at ["query","skip"] has another type"#
        );
    }

    #[test]
    fn a_cut_keeps_characters_whole_and_says_how_much_there_was() {
        let text = "é".repeat(CUT);
        let shown = cut(&text, CUT);
        assert!(
            shown.ends_with(&format!("… ({} bytes in all)", 2 * CUT)),
            "{shown}"
        );
        assert!(shown.len() <= CUT + 30);
        assert_eq!(cut("short", CUT), "short");
    }

    #[test]
    fn a_body_too_long_to_paste_is_sent_from_a_file() {
        let body = "a".repeat(CUT + 1);
        let curl = curl_command("POST", "http://h/", &[], Some(&body));
        assert_eq!(
            curl,
            format!(
                "curl -i -X POST --data-binary @request-body 'http://h/'  # request-body: the {} \
                 bytes the check sent",
                CUT + 1
            )
        );
        let curl = curl_command("POST", "http://h/", &[], Some("it's"));
        assert_eq!(curl, r#"curl -i -X POST --data-raw 'it'\''s' 'http://h/'"#);
    }

    #[test]
    fn a_bounded_failure_has_no_text_longer_than_the_cut() {
        let huge = "x".repeat(10 * CUT);
        let reply = reply(200, "application/json", &json!({"echo": huge}));
        let failure = reply
            .fail(huge.clone())
            .expected(huge.clone())
            .got(huge.clone())
            .bounded();
        let exchange = failure.exchange.as_deref().expect("the exchange");
        let texts = [
            Some(&failure.message),
            failure.expected.as_ref(),
            failure.got.as_ref(),
            exchange.response_body.as_ref(),
        ];
        for text in texts.into_iter().flatten() {
            assert!(text.len() < CUT + 30, "{}", text.len());
            assert!(text.ends_with(" bytes in all)"), "{text}");
        }
    }

    #[test]
    fn a_start_line_is_for_the_server_the_failure_is_about() {
        let reply = reply(200, "application/json", &json!({}));
        let here = reply.fail("x").started_with("start", "http://127.0.0.1:1");
        assert_eq!(here.start.as_deref(), Some("start"));
        let elsewhere = reply.fail("x").started_with("start", "http://127.0.0.1:2");
        assert_eq!(elsewhere.start, None);
        let no_request = Failure::new("x").started_with("start", "http://127.0.0.1:2");
        assert_eq!(no_request.start.as_deref(), Some("start"));
    }

    #[test]
    fn only_tagged_checks_say_what_they_do_under_the_fastapi_profile() {
        for chapter in crate::chapters::CHAPTERS {
            for check in (chapter.checks)() {
                assert!(
                    check.tag.is_some() || check.lenience.is_none(),
                    "{} says what it accepts from FastAPI, but has no tag",
                    check.id
                );
                assert_eq!(check.treatment(Profile::Strict), Treatment::AsWritten);
                let note = check.profile_note(Profile::Fastapi);
                assert_eq!(note.is_some(), check.tag.is_some(), "{}", check.id);
                assert!(note.is_none_or(|note| note.starts_with(PROFILE_SKIP)));
            }
        }
    }

    #[test]
    fn every_tag_is_carried_by_a_check_and_named_once() {
        let tags: Vec<Tag> = crate::chapters::CHAPTERS
            .iter()
            .flat_map(|chapter| (chapter.checks)())
            .filter_map(|check| check.tag)
            .collect();
        for tag in Tag::ALL {
            assert!(tags.contains(tag), "no check carries {}", tag.name());
            let named = Tag::ALL.iter().filter(|t| t.name() == tag.name()).count();
            assert_eq!(named, 1, "{}", tag.name());
            let serialized = serde_json::to_value(tag).expect("a tag serializes");
            assert_eq!(serialized, tag.name());
        }
    }

    #[test]
    fn a_tagged_check_without_a_fastapi_variant_is_skipped_with_its_reason() {
        let plain = Check::new("00.plain", "plain");
        assert_eq!(plain.treatment(Profile::Fastapi), Treatment::AsWritten);
        let skipped = Check::new("00.tagged", "tagged").tag(Tag::DocumentedHeaders);
        assert_eq!(skipped.treatment(Profile::Fastapi), Treatment::Skipped);
        let reason = skipped.profile_note(Profile::Fastapi).expect("a reason");
        assert!(
            reason.contains(Tag::DocumentedHeaders.fastapi()),
            "{reason}"
        );
        let lenient = Check::new("00.lenient", "lenient")
            .fastapi(|_| async { Ok(()) })
            .tag(Tag::Head);
        assert_eq!(
            lenient.treatment(Profile::Fastapi),
            Treatment::AcceptsFastapi
        );
        assert_eq!(lenient.treatment(Profile::Strict), Treatment::AsWritten);
        let as_written = Check::new("00.same", "same")
            .tag(Tag::TrailingSlash)
            .fastapi_as_written();
        assert_eq!(as_written.treatment(Profile::Fastapi), Treatment::AsWritten);
    }

    #[test]
    fn json_text_is_compared_token_by_token_and_exactly() {
        let mut big = reply(200, "application/json", &json!({}));
        big.text = "{\"item_id\": 99999999999999999999, \"q\": \"a b\"}".to_owned();
        assert!(
            big.expect_json_text(r#"{"item_id":99999999999999999999,"q":"a b"}"#)
                .is_ok()
        );
        // As f64 both numbers are 1e20; as text they differ.
        assert!(
            big.expect_json_text(r#"{"item_id":99999999999999999998,"q":"a b"}"#)
                .is_err()
        );
        assert!(
            big.expect_json_text(r#"{"item_id":99999999999999999999,"q":"ab"}"#)
                .is_err()
        );
        assert_eq!(compact_json(r#"{ "a" : "x \" y" }"#), r#"{"a":"x \" y"}"#);
        assert!(
            big.expect_number_text("item_id", "99999999999999999999")
                .is_ok()
        );
        assert!(
            big.expect_number_text("item_id", "9999999999999999999")
                .is_err()
        );
        assert!(
            big.expect_number_text("id", "99999999999999999999")
                .is_err()
        );
    }

    #[tokio::test]
    async fn an_in_process_reply_records_its_exchange_as_a_check_does() {
        use poem::{IntoResponse, Route, handler, post};

        #[handler]
        fn echo(req: &poem::Request, body: String) -> impl IntoResponse {
            let kind = req.header("content-type").unwrap_or_default().to_owned();
            poem::Response::builder()
                .header("x-sent-as", kind)
                .header("content-type", "application/json")
                .body(body)
        }
        let cli = poem::test::TestClient::new(Route::new().at("/echo", post(echo)));
        let sent = json!({"name": "it's"});
        let reply =
            send_in_process(&cli, "POST", "/echo", &[("x-a", "1")], Some(sent.clone())).await;
        reply.assert_status(200);
        assert_eq!(reply.json_or_null(), sent);
        assert_eq!(reply.bytes(), sent.to_string().as_bytes());
        assert_eq!(reply.header("x-sent-as"), Some("application/json"));
        let exchange = &reply.exchange;
        assert_eq!(
            (exchange.method.as_str(), exchange.url.as_str()),
            ("POST", "/echo")
        );
        assert_eq!(
            exchange.headers,
            [
                ("x-a".to_owned(), "1".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned())
            ]
        );
        assert_eq!(exchange.body.as_deref(), Some(sent.to_string().as_str()));
        assert_eq!(
            exchange.curl,
            curl_command("POST", "/echo", &exchange.headers, exchange.body.as_deref())
        );
        assert_eq!(exchange.status, Some(200));
        assert!(
            exchange
                .response_headers
                .contains(&("x-sent-as".to_owned(), "application/json".to_owned()))
        );
        assert_eq!(exchange.response_body.as_deref(), Some(reply.text.as_str()));

        let missing = send_in_process(&cli, "GET", "/nowhere", &[], None).await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.json_or_null(), Value::Null, "{}", missing.text);
    }

    /// The panic's message, when `assert` panics.
    fn panic_message(assert: impl FnOnce()) -> String {
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(assert))
            .expect_err("the assertion fails");
        panic
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| panic!("a formatted message"))
    }

    #[test]
    fn a_failed_assertion_is_worded_as_the_report_words_it() {
        let found = reply(200, "application/json", &json!({"detail": "Found"}));
        found.assert_status(200).assert_detail(200, "Found");
        let message = panic_message(|| {
            found.assert_status(404);
        });
        assert!(
            message.contains("problem   expected status 404, got 200"),
            "{message}"
        );
        assert!(
            message.contains("request   GET http://127.0.0.1:1/"),
            "{message}"
        );
        let message = panic_message(|| {
            found.assert_detail(200, "Not Found");
        });
        assert!(message.contains("the JSON body differs"), "{message}");
        assert!(
            message.contains(r#"got       {"detail":"Found"}"#),
            "{message}"
        );
        let plain = reply(200, "text/plain", &json!({"detail": "Found"}));
        let message = panic_message(|| {
            plain.assert_detail(200, "Found");
        });
        assert!(message.contains("header content-type"), "{message}");
    }

    #[test]
    fn a_problem_needs_a_json_422() {
        let plain = reply(422, "text/plain", &missing_name());
        assert!(
            plain
                .expect_problem(&json!(["body", "name"]), None)
                .is_err()
        );
        let bad_request = reply(400, "application/json", &missing_name());
        assert!(
            bad_request
                .expect_problem(&json!(["body", "name"]), None)
                .is_err()
        );
    }
}
