//! `POST /user/`: the request model carries a password, the response model cannot.

use std::fmt;

use kit::EmailStr;
use poem_openapi::payload::Json;
use poem_openapi::types::{Example, Password};
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::Tag;

// ANCHOR: user_in
/// A new user, as a client sends it: with a password.
#[derive(Object)]
#[oai(example)]
pub struct UserIn {
    /// The name to log in with.
    pub username: String,
    /// The password; it goes in, and never comes back out.
    pub password: Password,
    /// An email address, checked when it arrives and read as Pydantic's `EmailStr` reads it:
    /// spaces stripped, `Name <addr>` reduced to `addr`, the domain in lower case.
    pub email: EmailStr,
    /// The user's full name, if they give one.
    #[oai(nullable)]
    pub full_name: Option<String>,
}

/// Shows everything but the password, so that a log line cannot leak it either.
impl fmt::Debug for UserIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserIn")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .finish()
    }
}
// ANCHOR_END: user_in

impl Example for UserIn {
    fn example() -> Self {
        Self {
            username: "johndoe".to_owned(),
            password: Password("secret".to_owned()),
            email: EmailStr::new_unchecked("johndoe@example.com"),
            full_name: Some("John Doe".to_owned()),
        }
    }
}

// ANCHOR: user_out
/// A user, as the API shows one: everything but the password.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub struct UserOut {
    /// The name to log in with.
    pub username: String,
    /// The user's email address.
    pub email: EmailStr,
    /// The user's full name, or `null` if they gave none.
    #[oai(nullable)]
    pub full_name: Option<String>,
}

impl From<UserIn> for UserOut {
    fn from(user: UserIn) -> Self {
        // The password stops here: `UserOut` has no field that could carry it.
        let UserIn {
            username,
            password: _,
            email,
            full_name,
        } = user;
        Self {
            username,
            email,
            full_name,
        }
    }
}
// ANCHOR_END: user_out

impl Example for UserOut {
    fn example() -> Self {
        UserIn::example().into()
    }
}

// ANCHOR: create_user_response
/// The answers of `POST /user/`.
#[derive(Debug, ApiResponse)]
pub enum CreateUserResponse {
    /// The user was created. The answer shows it, without its password.
    #[oai(status = 201)]
    Created(Json<UserOut>),
}
// ANCHOR_END: create_user_response

// ANCHOR: users_api
/// The users' operations.
pub(crate) struct UsersApi;

#[OpenApi]
impl UsersApi {
    /// Create a user
    ///
    /// Takes a username, a password, an email address and optionally a full name, and answers
    /// **201 Created** with the same user *without* its password. The response model is
    /// another type, `UserOut`, which has no password field: the password cannot leak, not
    /// even by mistake. An email address that is not valid is refused with a 422.
    #[oai(path = "/user/", method = "post", tag = "Tag::Users")]
    async fn create_user(&self, user: Json<UserIn>) -> CreateUserResponse {
        CreateUserResponse::Created(Json(user.0.into()))
    }
}
// ANCHOR_END: users_api
