//! Chapter 14: a bigger application, laid out as a team would lay it out.
//!
//! Settings in `config`, one router per resource in `routes/`, the checks of who a caller is
//! in `security/`, the access log in `middleware/`, the errors in `errors`, the SQL in
//! `database/`. On top: accounts with JWTs, API keys, and a service API whose requests are
//! signed with HMAC and cannot be replayed.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the modules, `app`, and the `State` the routers share.
//! 2. `main.rs`: starts the logs, reads the settings, serves `app`.
//! 3. `config.rs`: every setting, read once at start, per `APP_ENV`.
//! 4. `errors.rs`: `AppError`, every refusal, and how each one is answered.
//! 5. `routes/mod.rs`: the tags, and the routers put together.
//! 6. `routes/index.rs`: `GET /`.
//! 7. `database/mod.rs`: the pool, the migrations at start, placeholders per backend.
//! 8. `models.rs`: the JSON bodies, as `/docs` shows them.
//! 9. `routes/auth.rs`: registering and logging in, for a token.
//! 10. `security/passwords.rs`: bcrypt hashes, a bounded number at a time.
//! 11. `security/bearer.rs`: `CurrentUser`, the security scheme that checks a token.
//! 12. `security/tokens.rs`: chapter 09's tokens, with the user's id as `sub`.
//! 13. `security/limits.rs`: the limits on guessing passwords.
//! 14. `security/keys.rs`: API keys, their signatures, and `verify_signed_request`.
//! 15. `routes/apikeys.rs`: the logged-in user's API keys.
//! 16. `database/api_keys.rs`: the `api_keys` table.
//! 17. `security/encryption.rs`: API key secrets, encrypted at rest.
//! 18. `routes/services.rs`: `GET /api/services`, for signed requests.
//! 19. `database/signatures.rs`: the replay store.
//! 20. `middleware/access_log.rs`: one log line per request.
//! 21. `exercises.rs`: **where the exercises go.** It holds their solutions and the hooks the
//!     lesson calls (exercise 3 adds migration `0004_api_key_last_used` too); a learner's starter
//!     (`scripts/learn start 14`) has stubs in its place.
//!
//! Not on the page: `database/users.rs`, the `users` table; `middleware/mod.rs` and
//! `security/mod.rs`, which only list their modules.

// ANCHOR: modules
pub mod config;
pub mod database;
pub mod errors;
pub mod exercises;
pub mod middleware;
pub mod models;
pub mod routes;
pub mod security;
// ANCHOR_END: modules

use kit::StartError;
use kit::db::Backend;
use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, EndpointExt};
use poem_openapi::OpenApiService;

pub use config::Config;

use database::Db;
use database::signatures::LastPurge;
use middleware::access_log::access_log;
use security::limits::LoginLimits;
use security::passwords::Passwords;
use security::tokens::Tokens;

// ANCHOR: app
/// The service's name, in the document and at `GET /`.
pub const TITLE: &str = "Bigger application";
/// The service's version.
pub const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Chapter 14 of the **Poem API Workbook**: accounts, API keys, and a service API for programs.

1. `POST /auth/register/email` with `{\"email\", \"pw\"}`: the answer's `Authorization` is a token;
2. with it (**Authorize** above), `POST /api/users/apikeys` makes an API key;
3. programs call `GET /api/services` with `key` and `timestamp`, signed in the `secret` header.";

/// The whole service, from its settings: connects to the database (and brings its schema up
/// to date), then puts the routers, the docs and the middleware together.
pub async fn app(config: &Config) -> Result<BoxEndpoint<'static>, StartError> {
    let state = State::connect(config).await?;
    let service = OpenApiService::new(kit::FastapiErrors(routes::api()), TITLE, VERSION)
        .description(DESCRIPTION);
    // Outermost first, a request meets: the access log, the trusted-host check, then the
    // house conventions and the routers (`kit::mount`).
    let app = state
        .provide(kit::mount(service, &config.docs))
        .with(config.trusted_hosts.clone())
        .around(access_log);
    tracing::info!(env = config.app_env.name(), "service ready");
    Ok(app.boxed())
}
// ANCHOR_END: app

// ANCHOR: state
/// What the routers share: the database, the password hasher, the token keys, the limits on
/// logins and the replay store's clock. Chapter 16 serves the same routers with the same
/// state.
#[derive(Debug, Clone)]
pub struct State {
    /// The database, migrated.
    pub db: Db,
    passwords: Passwords,
    tokens: Tokens,
    limits: LoginLimits,
    last_purge: LastPurge,
}

impl State {
    /// Connects to the database (and brings its schema up to date), and makes the keys.
    pub async fn connect(config: &Config) -> Result<Self, StartError> {
        if Backend::of_url(&config.database_url) == Some(Backend::Sqlite) {
            // SQLite makes a missing file, but not a missing folder.
            std::fs::create_dir_all(&config.data_dir).map_err(|err| {
                format!(
                    "cannot make the data folder {}: {err}",
                    config.data_dir.display()
                )
            })?;
        }
        let db = Db::connect(&config.database_url, config.api_key_encryption.clone()).await?;
        seal_stored_secrets(&db).await?;
        Ok(Self {
            db,
            passwords: Passwords::new(config.bcrypt_cost, &config.limits).await?,
            tokens: Tokens::new(config),
            limits: LoginLimits::new(&config.limits),
            last_purge: LastPurge::default(),
        })
    }

    /// `endpoint` with the state given to its handlers (`Data<&Db>`, `Data<&Tokens>`…).
    pub fn provide<E: Endpoint>(self, endpoint: E) -> impl Endpoint<Output = E::Output> {
        endpoint
            .data(self.db)
            .data(self.passwords)
            .data(self.tokens)
            .data(self.limits)
            .data(self.last_purge)
    }
}

/// Encrypts the API key secrets stored in plain text (before migration 0005) or with the
/// previous key (before a rotation) with the current key, and says what it did.
async fn seal_stored_secrets(db: &Db) -> Result<(), StartError> {
    let sealing = db
        .seal_stored_secrets()
        .await
        .map_err(|err| format!("cannot encrypt the stored API key secrets: {err}"))?;
    if sealing.sealed > 0 {
        tracing::info!(
            count = sealing.sealed,
            "API key secrets encrypted with the current API_KEY_ENCRYPTION_KEY"
        );
    }
    if sealing.unreadable > 0 {
        tracing::warn!(
            count = sealing.unreadable,
            "API key secrets encrypted with a key this process does not have: their keys \
             cannot sign requests until that key is given as API_KEY_ENCRYPTION_KEY_PREVIOUS"
        );
    }
    Ok(())
}
// ANCHOR_END: state
