//! The users the service knows, with their password hashes and the scopes each may be granted.

use std::collections::HashMap;
use std::sync::Arc;

use crate::Scope;

// ANCHOR: user_in_db
/// A user as the service stores it; never sent anywhere, so the hash cannot leak.
#[derive(Debug, Clone)]
pub(crate) struct UserInDb {
    /// The name the user logs in with.
    pub(crate) username: String,
    /// Their email address.
    pub(crate) email: Option<String>,
    /// Their name as it is written.
    pub(crate) full_name: Option<String>,
    /// A disabled user may log in, but is refused wherever an active user is needed.
    pub(crate) disabled: bool,
    /// The bcrypt hash of the password.
    pub(crate) hashed_password: String,
    /// The scopes this user may be granted: a login asks for scopes, and gets only these.
    pub(crate) scopes: Vec<Scope>,
}
// ANCHOR_END: user_in_db

/// The hash of `secret` (made with `cargo run -p ch09-jwt --example hash_password secret`).
const JOHNDOE_HASH: &str = "$2b$12$jNuFDjVo1.Fexe95R9Znmuxc3feXTHHVVbMkBGBpI0cyQODjucANO";
/// The hash of `secret2`.
const ALICE_HASH: &str = "$2b$12$BAKtBpmDmm/qJsANnaI/geoKwlRpWzz8xa5Wic3.5FaulZ7d8pNTi";

// ANCHOR: fake_users_db
/// The users by name, shared by every request of one app (`Data<&UsersDb>`). Nothing changes
/// them in this chapter, so they need no lock.
#[derive(Debug, Clone)]
pub(crate) struct UsersDb(pub(crate) Arc<HashMap<String, UserInDb>>);

impl UsersDb {
    /// johndoe may read himself and his items, and write items (exercise 1); alice, disabled,
    /// may read herself only. Nobody holds `admin` (exercise 2).
    pub(crate) fn fake_users_db() -> Self {
        let user = |username: &str, full_name: &str, disabled, hash: &str, scopes| UserInDb {
            username: username.to_owned(),
            email: Some(format!("{username}@example.com")),
            full_name: Some(full_name.to_owned()),
            disabled,
            hashed_password: hash.to_owned(),
            scopes,
        };
        let johndoe_scopes = vec![Scope::Me, Scope::Items, Scope::ItemsWrite];
        let users = [
            user("johndoe", "John Doe", false, JOHNDOE_HASH, johndoe_scopes),
            user(
                "alice",
                "Alice Wonderson",
                true,
                ALICE_HASH,
                vec![Scope::Me],
            ),
        ];
        let by_name = users.into_iter().map(|u| (u.username.clone(), u)).collect();
        Self(Arc::new(by_name))
    }

    /// The user called `username`, if there is one.
    pub(crate) fn get(&self, username: &str) -> Option<UserInDb> {
        self.0.get(username).cloned()
    }
}
// ANCHOR_END: fake_users_db

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passwords::DUMMY_HASH;

    #[test]
    fn the_fixture_hashes_are_of_the_documented_passwords_and_of_the_dummys_cost() {
        for (hash, password) in [(JOHNDOE_HASH, "secret"), (ALICE_HASH, "secret2")] {
            assert_eq!(hash[..7], DUMMY_HASH[..7], "{hash}");
            assert_eq!(
                bcrypt::verify(password, hash).ok(),
                Some(true),
                "{password}"
            );
        }
    }
}
