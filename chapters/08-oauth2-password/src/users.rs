//! The users: what the database keeps, what a client may see, and the (fake) database.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use poem_openapi::Object;
use poem_openapi::types::Example;

// ANCHOR: user_in_db
/// A user as the database keeps them, password hash included.
///
/// It is deliberately not an `Object`: a type that cannot be turned into JSON cannot be sent
/// to a client by mistake. It has no `Debug` either, so it cannot land in a log.
#[derive(Clone)]
pub(crate) struct UserInDb {
    pub(crate) username: String,
    pub(crate) email: Option<String>,
    pub(crate) full_name: Option<String>,
    pub(crate) disabled: bool,
    pub(crate) hashed_password: String,
}
// ANCHOR_END: user_in_db

// ANCHOR: user
/// A user as a client sees them: no password, no hash.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(example)]
pub struct User {
    /// The name they log in with.
    pub username: String,
    /// Where to write to them.
    pub email: Option<String>,
    /// Their name, for people.
    pub full_name: Option<String>,
    /// A disabled user can still log in, but every route that needs an active user refuses
    /// them.
    pub disabled: bool,
}

impl From<&UserInDb> for User {
    fn from(user: &UserInDb) -> Self {
        User {
            username: user.username.clone(),
            email: user.email.clone(),
            full_name: user.full_name.clone(),
            disabled: user.disabled,
        }
    }
}

impl Example for User {
    fn example() -> Self {
        User {
            username: "johndoe".to_owned(),
            email: Some("johndoe@example.com".to_owned()),
            full_name: Some("John Doe".to_owned()),
            disabled: false,
        }
    }
}
// ANCHOR_END: user

// ANCHOR: fake_hash
/// FastAPI's `fake_hash_password`, and just as fake: this is NOT hashing. Anyone who reads
/// the database reads every password after the prefix. Chapter 09 stores bcrypt hashes
/// instead.
pub(crate) fn fake_hash_password(password: &str) -> String {
    format!("fakehashed{password}")
}
// ANCHOR_END: fake_hash

// ANCHOR: users_db
/// The users by name, shared by every request of one app.
///
/// FastAPI's tutorial keeps them in a module-level dict. Here the app owns its own copy and
/// hands it to each request (`Data<&UsersDb>`), so every test builds an app with fresh users.
#[derive(Clone)]
pub(crate) struct UsersDb(pub(crate) Arc<RwLock<HashMap<String, UserInDb>>>);

impl UsersDb {
    /// The tutorial's two users: `johndoe` (password `secret`) and `alice` (password
    /// `secret2`, disabled).
    pub(crate) fn fake_users_db() -> Self {
        let users = [
            UserInDb {
                username: "johndoe".to_owned(),
                email: Some("johndoe@example.com".to_owned()),
                full_name: Some("John Doe".to_owned()),
                disabled: false,
                hashed_password: "fakehashedsecret".to_owned(),
            },
            UserInDb {
                username: "alice".to_owned(),
                email: Some("alice@example.com".to_owned()),
                full_name: Some("Alice Wonderson".to_owned()),
                disabled: true,
                hashed_password: "fakehashedsecret2".to_owned(),
            },
        ];
        let by_name = users
            .into_iter()
            .map(|user| (user.username.clone(), user))
            .collect();
        Self(Arc::new(RwLock::new(by_name)))
    }

    /// The user called `username`, if there is one.
    pub(crate) fn get(&self, username: &str) -> Option<UserInDb> {
        // A panic while the lock was held cannot leave a map half-written here (each
        // change is one insert), so a poisoned lock is still safe to read.
        let users = self.0.read().unwrap_or_else(PoisonError::into_inner);
        users.get(username).cloned()
    }
}
// ANCHOR_END: users_db
