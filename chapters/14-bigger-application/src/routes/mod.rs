//! The operations, one module per resource, each an `#[OpenApi]` type with its own path
//! prefix and tag: FastAPI's `APIRouter(prefix=…, tags=[…])`. [`api`] puts them together,
//! as `app.include_router(…)` does.

use poem_openapi::Tags;

use crate::exercises;

pub mod apikeys;
pub mod auth;
pub mod index;
pub mod services;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Debug, Tags)]
pub enum Tag {
    /// The service itself: its name, version and clock.
    Index,
    /// Accounts: register and log in with an email address and a password, for a token.
    Auth,
    /// The logged-in user (exercise 1). Needs `Authorization: Bearer <token>`.
    Users,
    /// The logged-in user's API keys, for the service API. Needs `Authorization: Bearer
    /// <token>`.
    #[oai(rename = "API keys")]
    ApiKeys,
    /// The service API, for programs: each request is signed with an API key.
    Services,
}
// ANCHOR_END: tags

// ANCHOR: include_routers
/// Every router of the service, in the order `/docs` lists them; the exercises' among them.
pub type Routers = (
    index::IndexApi,
    auth::AuthApi,
    exercises::UsersApi,
    apikeys::ApiKeysApi,
    exercises::RotateApi,
    services::ServicesApi,
);

/// `app.include_router(index.router)`, `app.include_router(auth.router)`…: a tuple of
/// `#[OpenApi]` types is one API with all their operations.
pub fn api() -> Routers {
    (
        index::IndexApi,
        auth::AuthApi,
        exercises::UsersApi,
        apikeys::ApiKeysApi,
        exercises::RotateApi,
        services::ServicesApi,
    )
}
// ANCHOR_END: include_routers
