//! The exercises' solutions: an API key in a header, and an operation that takes either a
//! bearer token or Basic credentials.

use constant_time_eq::constant_time_eq;
use poem::Request;
use poem_openapi::auth::ApiKey;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Enum, Object, OpenApi, SecurityScheme, Tags};

use crate::{AuthError, HttpBasic, OAuth2PasswordBearer, fake_decode_token};

/// The exercises' sections of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// Exercise 1: a key in a header of its own.
    #[oai(
        rename = "API key",
        external_docs = "https://spec.openapis.org/oas/v3.0.3#security-scheme-object"
    )]
    ApiKey,
    /// Exercise 2: one operation, two ways in.
    #[oai(external_docs = "https://spec.openapis.org/oas/v3.0.3#security-requirement-object")]
    Either,
}

// ANCHOR: api_key_scheme
/// The key this service accepts. A real one is long, random, and read from the environment
/// or a secret store at start, never written in the source.
const API_KEY: &str = "fake-super-secret-api-key";

/// An API key in the `X-API-Key` header. The checker runs before the operation: a request
/// with a missing or wrong key never reaches it.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "X-API-Key",
    key_in = "header",
    checker = "check_api_key"
)]
struct ApiKeyHeader(());

/// Accepts the request if its key is [`API_KEY`], compared in constant time.
async fn check_api_key(_req: &Request, api_key: ApiKey) -> poem::Result<()> {
    if api_key.key.is_empty() {
        return Err(AuthError::new("APIKey", "Not authenticated").into());
    }
    if constant_time_eq(api_key.key.as_bytes(), API_KEY.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::new("APIKey", "Invalid API key").into())
    }
}
// ANCHOR_END: api_key_scheme

// ANCHOR: api_key_api
/// An item of the catalogue.
#[derive(Object)]
#[oai(example)]
struct Item {
    /// Its name.
    item: String,
}

impl Example for Item {
    fn example() -> Self {
        Item {
            item: "Foo".to_owned(),
        }
    }
}

/// Exercise 1's solution: an operation behind an API key.
pub(crate) struct ApiKeyApi;

#[OpenApi]
impl ApiKeyApi {
    /// Read items with an API key
    ///
    /// Needs the header `X-API-Key: fake-super-secret-api-key`. Without it, or with another
    /// key, the answer is 401.
    #[oai(path = "/api-key/items/", method = "get", tag = "ExerciseTag::ApiKey")]
    async fn read_items_with_key(&self, _key: ApiKeyHeader) -> Result<Json<Vec<Item>>, AuthError> {
        // The checker's 401s, declared here so that the document shows them.
        let items = ["Foo", "Bar"].map(|name| Item {
            item: name.to_owned(),
        });
        Ok(Json(items.into()))
    }
}
// ANCHOR_END: api_key_api

// ANCHOR: either_scheme
/// A bearer token or Basic credentials: poem-openapi tries each scheme in order, and the
/// first one whose header is there wins.
#[derive(SecurityScheme)]
enum BearerOrBasic {
    Bearer(OAuth2PasswordBearer),
    Basic(HttpBasic),
}

/// Which scheme a caller used.
#[derive(Enum)]
#[oai(rename_all = "lowercase")]
enum SchemeUsed {
    /// `Authorization: Bearer ...`
    Bearer,
    /// `Authorization: Basic ...`
    Basic,
}

/// Who called, and how they said so.
#[derive(Object)]
#[oai(example)]
struct Caller {
    /// The scheme of the `Authorization` header.
    scheme: SchemeUsed,
    /// The user it stands for.
    username: String,
}

impl Example for Caller {
    fn example() -> Self {
        Caller {
            scheme: SchemeUsed::Basic,
            username: "stanleyjobson".to_owned(),
        }
    }
}
// ANCHOR_END: either_scheme

// ANCHOR: either_api
/// Exercise 2's solution: one operation, two schemes.
pub(crate) struct EitherApi;

#[OpenApi]
impl EitherApi {
    /// Read the current user, by token or password
    ///
    /// Takes either `Authorization: Bearer <token>` (not checked, as in `/users/me`) or
    /// `Authorization: Basic ...` with `stanleyjobson` / `swordfish`.
    #[oai(path = "/either/users/me", method = "get", tag = "ExerciseTag::Either")]
    async fn read_either_user(&self, auth: BearerOrBasic) -> Result<Json<Caller>, AuthError> {
        let caller = match auth {
            BearerOrBasic::Bearer(token) => Caller {
                scheme: SchemeUsed::Bearer,
                username: fake_decode_token(&token.0.token).username,
            },
            BearerOrBasic::Basic(credentials) => Caller {
                scheme: SchemeUsed::Basic,
                username: crate::get_current_username(&credentials.0)?,
            },
        };
        Ok(Json(caller))
    }
}
// ANCHOR_END: either_api
