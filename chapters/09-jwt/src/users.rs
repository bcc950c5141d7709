//! The users the service knows, with their password hashes: the tutorial's `fake_users_db`.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

// ANCHOR: user_in_db
/// A user as the service stores it. It has no `Object` derive: it is never sent anywhere, so
/// the hash cannot leak into a response or the OpenAPI document.
#[derive(Debug, Clone)]
pub struct UserInDb {
    /// The name the user logs in with.
    pub username: String,
    /// Their email address.
    pub email: Option<String>,
    /// Their name as it is written.
    pub full_name: Option<String>,
    /// A disabled user may log in, but is refused everywhere else.
    pub disabled: bool,
    /// The bcrypt hash of the password, never the password itself.
    pub hashed_password: String,
}
// ANCHOR_END: user_in_db

// ANCHOR: fake_users_db
/// The hash of `secret`, made once with `cargo run -p ch09-jwt --example hash_password secret`.
const JOHNDOE_HASH: &str = "$2b$12$jNuFDjVo1.Fexe95R9Znmuxc3feXTHHVVbMkBGBpI0cyQODjucANO";
/// The hash of `secret2`.
const ALICE_HASH: &str = "$2b$12$BAKtBpmDmm/qJsANnaI/geoKwlRpWzz8xa5Wic3.5FaulZ7d8pNTi";

/// The users by name, shared by every request of one app (`Data<&UsersDb>`), as in chapter
/// 08. A real service keeps them in a database (chapter 12).
#[derive(Debug, Clone)]
pub struct UsersDb(pub(crate) Arc<RwLock<HashMap<String, UserInDb>>>);

impl UsersDb {
    /// The two users of the tutorial: johndoe, active, and alice, disabled.
    pub fn fake_users_db() -> Self {
        let user = |username: &str, full_name: &str, disabled: bool, hash: &str| UserInDb {
            username: username.to_owned(),
            email: Some(format!("{username}@example.com")),
            full_name: Some(full_name.to_owned()),
            disabled,
            hashed_password: hash.to_owned(),
        };
        let users = [
            user("johndoe", "John Doe", false, JOHNDOE_HASH),
            user("alice", "Alice Wonderson", true, ALICE_HASH),
        ];
        let by_name = users.into_iter().map(|u| (u.username.clone(), u)).collect();
        Self(Arc::new(RwLock::new(by_name)))
    }

    /// The user called `username`, if there is one.
    pub fn get(&self, username: &str) -> Option<UserInDb> {
        let users = self.0.read().unwrap_or_else(PoisonError::into_inner);
        users.get(username).cloned()
    }
}
// ANCHOR_END: fake_users_db

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passwords::COST;

    #[test]
    fn the_fixture_hashes_are_of_the_documented_passwords_and_cost() {
        for (hash, password) in [(JOHNDOE_HASH, "secret"), (ALICE_HASH, "secret2")] {
            assert!(hash.starts_with(&format!("$2b${COST}$")), "{hash}");
            assert_eq!(
                bcrypt::verify(password, hash).ok(),
                Some(true),
                "{password}"
            );
        }
    }
}
