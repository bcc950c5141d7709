//! What the API reads and writes: the tutorial's `schemas.py`. The tables are described
//! separately, by the migrations; these types are what goes over HTTP.

use std::fmt;

use kit::{EmailStr, Text};
use poem_openapi::Object;
use poem_openapi::types::{Example, Password};

// Every text may hold any character but NUL (U+0000), hence `Text` (or the `pattern` its
// schema shows) on each: PostgreSQL cannot store a NUL in a text column, so it is refused on
// every backend, and the API behaves the same on all three.

// ANCHOR: item
/// A new item, as a client sends it.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct ItemCreate {
    /// The item's title: any text without a NUL character.
    pub title: Text,
    /// A longer description, if there is one: absent or `null` for none.
    #[oai(nullable)]
    pub description: Option<Text>,
}

/// An item, as stored: with its id and its owner.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub struct Item {
    /// The item's id, given by the database.
    pub id: i64,
    /// The item's title.
    pub title: String,
    /// Its description, or `null`.
    #[oai(nullable)]
    pub description: Option<String>,
    /// The id of the user who owns it.
    pub owner_id: i64,
}
// ANCHOR_END: item

// ANCHOR: user
/// A new user, as a client sends it: with a password.
#[derive(Clone, Object)]
#[oai(example)]
pub struct UserCreate {
    /// The user's email address, at most 254 characters, read as Pydantic's `EmailStr` reads
    /// it: spaces stripped, `Name <addr>` reduced to `addr`, the domain in lower case.
    #[oai(validator(max_length = 254))]
    pub email: EmailStr,
    /// The password: at most 72 bytes, all that bcrypt reads. It is stored only as a hash.
    #[oai(validator(max_length = 72, pattern = r"^[^\u0000]*$"))]
    pub password: Password,
}

/// Changes to a user; a member that is absent or `null` stays as it is.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct UserUpdate {
    /// A new email address, checked as a new user's is.
    #[oai(nullable, validator(max_length = 254))]
    pub email: Option<EmailStr>,
    /// Whether the user may use the service.
    #[oai(nullable)]
    pub is_active: Option<bool>,
}

/// A user, as the API shows one: with their items, and never their password.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub struct User {
    /// The user's id, given by the database.
    pub id: i64,
    /// The user's email address, as it was read.
    pub email: EmailStr,
    /// Whether the user may use the service; `true` for a new user.
    pub is_active: bool,
    /// The user's items, in the order they were created.
    pub items: Vec<Item>,
}
// ANCHOR_END: user

/// Shows everything but the password, so that a log line cannot leak it.
impl fmt::Debug for UserCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCreate")
            .field("email", &self.email)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Example for ItemCreate {
    fn example() -> Self {
        Self {
            title: Text::new_unchecked("Portal gun"),
            description: Some(Text::new_unchecked("Opens portals; handle with care")),
        }
    }
}

impl Example for Item {
    fn example() -> Self {
        Self {
            id: 1,
            title: "Portal gun".to_owned(),
            description: Some("Opens portals; handle with care".to_owned()),
            owner_id: 1,
        }
    }
}

impl Example for UserCreate {
    fn example() -> Self {
        Self {
            email: EmailStr::new_unchecked("rick@example.com"),
            password: Password("wubba lubba dub dub".to_owned()),
        }
    }
}

impl Example for UserUpdate {
    fn example() -> Self {
        Self {
            email: Some(EmailStr::new_unchecked("rick.sanchez@example.com")),
            is_active: Some(false),
        }
    }
}

impl Example for User {
    fn example() -> Self {
        Self {
            id: 1,
            email: EmailStr::new_unchecked("rick@example.com"),
            is_active: true,
            items: vec![Item::example()],
        }
    }
}
