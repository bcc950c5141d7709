//! What the API reads and writes: chapter 12's schemas, and the full name that migration 0003
//! adds to the users. The tables are described by the migrations; these types are what goes
//! over HTTP.

use std::fmt;

use kit::{EmailStr, Text};
use poem_openapi::Object;
use poem_openapi::types::{Example, Password};

// The items are chapter 12's, unchanged. Every text may hold any character but NUL (U+0000),
// hence `Text` on each: PostgreSQL cannot store a NUL in a text column, so it is refused on
// every backend, and the API behaves the same on all three.
pub use ch12_sql_database::{Item, ItemCreate};

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
    /// The user's full name, if they give one (absent or `null` for none). New in this
    /// chapter: migration 0003 adds the column.
    #[oai(nullable)]
    pub full_name: Option<Text>,
}

/// A user, as the API shows one: with their items, and never their password.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub struct User {
    /// The user's id, given by the database.
    pub id: i64,
    /// The user's email address, as it was read.
    pub email: EmailStr,
    /// The user's full name, or `null` if they gave none (new in this chapter).
    #[oai(nullable)]
    pub full_name: Option<String>,
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
            .field("full_name", &self.full_name)
            .finish()
    }
}

impl Example for UserCreate {
    fn example() -> Self {
        Self {
            email: EmailStr::new_unchecked("rick@example.com"),
            password: Password("wubba lubba dub dub".to_owned()),
            full_name: Some(Text::new_unchecked("Rick Sanchez")),
        }
    }
}

impl Example for User {
    fn example() -> Self {
        Self {
            id: 1,
            email: EmailStr::new_unchecked("rick@example.com"),
            full_name: Some("Rick Sanchez".to_owned()),
            is_active: true,
            items: vec![Item::example()],
        }
    }
}
