//! The exercises' solutions: a second route behind the same guards, and signing up.

use std::sync::PoisonError;

use kit::Detail;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::{Email, Example, Password};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use crate::users::{User, UserInDb, UsersDb, fake_hash_password};
use crate::{AuthError, CurrentActiveUser, Tag};

/// The exercises' sections of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// What the current user owns (exercise 1).
    Items,
}

// ANCHOR: items
/// An item, and who owns it.
#[derive(Object)]
struct Item {
    /// Its id.
    item_id: String,
    /// The username of its owner.
    owner: String,
}

/// Exercise 1's solution: the current user's items.
pub(crate) struct ItemsApi;

#[OpenApi]
impl ItemsApi {
    /// My items
    ///
    /// The items of the user the token belongs to. The same guards as `GET /users/me`: a
    /// missing or unknown token is refused with 401, a disabled user with 400.
    #[oai(path = "/users/me/items/", method = "get", tag = "ExerciseTag::Items")]
    async fn read_own_items(
        &self,
        current_user: CurrentActiveUser,
    ) -> Result<Json<Vec<Item>>, AuthError> {
        Ok(Json(vec![Item {
            item_id: "Foo".to_owned(),
            owner: current_user.0.username,
        }]))
    }
}
// ANCHOR_END: items

// ANCHOR: user_in
/// What a new user sends to sign up.
#[derive(Object)]
#[oai(example)]
struct UserIn {
    /// 3 to 32 lower-case letters, digits, `.`, `_` or `-`. In this chapter the username is
    /// also the token, and a token has to fit in an HTTP header.
    #[oai(validator(min_length = 3, max_length = 32, pattern = "^[a-z0-9._-]+$"))]
    username: String,
    /// At least 8 characters.
    #[oai(validator(min_length = 8, max_length = 128))]
    password: Password,
    /// Where to write to them.
    email: Option<Email>,
    /// Their name, for people.
    #[oai(validator(max_length = 100))]
    full_name: Option<String>,
}

impl Example for UserIn {
    fn example() -> Self {
        UserIn {
            username: "janedoe".to_owned(),
            password: Password("correct horse battery staple".to_owned()),
            email: Some(Email("janedoe@example.com".to_owned())),
            full_name: Some("Jane Doe".to_owned()),
        }
    }
}
// ANCHOR_END: user_in

// ANCHOR: insert_new
impl UsersDb {
    /// Adds `user` unless the name is taken; says whether it did. The check and the insert
    /// happen under one write lock, so two sign-ups with the same name cannot both succeed.
    fn insert_new(&self, user: UserInDb) -> bool {
        let mut users = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if users.contains_key(&user.username) {
            return false;
        }
        users.insert(user.username.clone(), user);
        true
    }
}
// ANCHOR_END: insert_new

// ANCHOR: signup
/// The answers of a sign-up.
#[derive(ApiResponse)]
enum CreateUserResponse {
    /// The new user, as `GET /users/me` will show them: without the password.
    #[oai(status = 201)]
    Created(Json<User>),
    /// Someone already has this username.
    #[oai(status = 409)]
    UsernameTaken(Json<Detail>),
}

/// Exercise 2's solution: signing up.
pub(crate) struct SignupApi;

#[OpenApi]
impl SignupApi {
    /// Sign up
    ///
    /// Creates an active user, who can then log in at `POST /token`. The password is kept
    /// only as its (fake, in this chapter) hash, and never sent back.
    #[oai(path = "/users/", method = "post", tag = "Tag::Users")]
    async fn create_user(&self, db: Data<&UsersDb>, user_in: Json<UserIn>) -> CreateUserResponse {
        let Json(user_in) = user_in;
        let user = UserInDb {
            username: user_in.username,
            email: user_in.email.map(|email| email.0),
            full_name: user_in.full_name,
            disabled: false,
            hashed_password: fake_hash_password(&user_in.password),
        };
        let created = User::from(&user);
        if db.insert_new(user) {
            CreateUserResponse::Created(Json(created))
        } else {
            CreateUserResponse::UsernameTaken(Json(Detail::new("Username already registered")))
        }
    }
}
// ANCHOR_END: signup
