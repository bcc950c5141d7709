//! Chapter 04: request bodies.
//!
//! What a client sends after the headers, read five ways: the raw request, an HTML form, an
//! uploaded file, a JSON model, and several JSON values in one body.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the models, the five operations that read a body, and `app`.
//! 2. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 04`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use std::collections::BTreeMap;

use poem::{Endpoint, Request};
use poem_openapi::param::Path;
use poem_openapi::payload::{Form, Json};
use poem_openapi::types::Example;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{Multipart, Object, OpenApi, OpenApiService, Tags};
use serde::Deserialize;

mod exercises;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// The request as it arrived: headers, cookies and body, nothing parsed for you.
    #[oai(external_docs = "https://fastapi.tiangolo.com/advanced/using-request-directly/")]
    Raw,
    /// Fields of an HTML form, sent as `application/x-www-form-urlencoded`.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/request-forms/")]
    Forms,
    /// Files uploaded as `multipart/form-data`.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/request-files/")]
    Files,
    /// JSON bodies read into models, one model or several.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/body/")]
    Items,
}
// ANCHOR_END: tags

// ANCHOR: echoed_request
/// The request as the server received it.
#[derive(Object)]
struct EchoedRequest {
    /// Every header, by its lower-case name; of a repeated header, the last value.
    headers: BTreeMap<String, String>,
    /// The cookies of the `Cookie` header, by name.
    cookies: BTreeMap<String, String>,
    /// The body as text; bytes that are not UTF-8 are shown as `�` (U+FFFD).
    body: String,
}
// ANCHOR_END: echoed_request

// ANCHOR: login_form
/// A user name and a password, as an HTML login form sends them.
#[derive(Object, Deserialize)]
#[oai(example)]
struct LoginForm {
    /// The user name; required and not empty.
    #[oai(validator(min_length = 1))]
    username: String,
    /// The password; required and not empty.
    #[oai(validator(min_length = 1))]
    password: String,
}

impl Example for LoginForm {
    fn example() -> Self {
        LoginForm {
            username: "ada".to_owned(),
            password: "correct horse battery staple".to_owned(),
        }
    }
}
// ANCHOR_END: login_form

// ANCHOR: file_form
/// A `multipart/form-data` body with one file in it.
#[derive(Multipart)]
struct FileForm {
    /// The file. It is written to a temporary file as it arrives, never held in memory.
    file: Upload,
}

/// How big the uploaded file was.
#[derive(Object)]
struct FileSize {
    /// The file's length in bytes.
    file_size: u64,
}

/// What the client said about the uploaded file, and its size.
#[derive(Object)]
#[oai(example)]
struct UploadedFile {
    /// The name from the part's `Content-Disposition`; `null` when the part gave none.
    #[oai(nullable)]
    filename: Option<String>,
    /// The part's `Content-Type`; `null` when the part gave none.
    #[oai(nullable)]
    content_type: Option<String>,
    /// The file's length in bytes.
    size: u64,
}

impl Example for UploadedFile {
    fn example() -> Self {
        UploadedFile {
            filename: Some("notes.txt".to_owned()),
            content_type: Some("text/plain".to_owned()),
            size: 1024,
        }
    }
}
// ANCHOR_END: file_form

// ANCHOR: item
/// Something for sale.
#[derive(Object)]
#[oai(example)]
struct Item {
    /// What the item is called.
    name: String,
    /// A few words about it; `null` when not given.
    #[oai(nullable)]
    description: Option<String>,
    /// The price before tax.
    price: f64,
    /// The tax on it; `null` when not given.
    #[oai(nullable)]
    tax: Option<f64>,
}

impl Example for Item {
    fn example() -> Self {
        Item {
            name: "Lava Lamp".to_owned(),
            description: Some("Slow bubbles, warm light".to_owned()),
            price: 35.5,
            tax: Some(7.1),
        }
    }
}

/// The item that was received.
#[derive(Object)]
struct ReceivedItem {
    /// The item, with every field, `null`s included.
    item: Item,
}
// ANCHOR_END: item

// ANCHOR: update_body
/// Who asks for the change.
#[derive(Object)]
#[oai(example)]
struct User {
    /// The user's login name.
    username: String,
    /// The name to show; `null` when not given.
    #[oai(nullable)]
    full_name: Option<String>,
}

impl Example for User {
    fn example() -> Self {
        User {
            username: "ada".to_owned(),
            full_name: Some("Ada Lovelace".to_owned()),
        }
    }
}

/// Three values in one JSON body: FastAPI builds this envelope from the handler's arguments;
/// here it is written out.
#[derive(Object)]
#[oai(example)]
struct UpdateItemBody {
    /// The item's new state.
    item: Item,
    /// Who asks for the change.
    user: User,
    /// How urgent the change is.
    importance: i64,
}

impl Example for UpdateItemBody {
    fn example() -> Self {
        UpdateItemBody {
            item: Item::example(),
            user: User::example(),
            importance: 5,
        }
    }
}

/// The update as received, with the item's id from the path.
#[derive(Object)]
struct UpdatedItem {
    /// The id from the path.
    item_id: i64,
    /// The item's new state.
    item: Item,
    /// Who asked for the change.
    user: User,
    /// How urgent the change is.
    importance: i64,
}
// ANCHOR_END: update_body

// ANCHOR: api
/// The operations of this chapter.
struct Api;

#[OpenApi]
impl Api {
    // ANCHOR: echo_request
    /// Echo the raw request
    ///
    /// Answers with the headers, cookies and body it received, whatever the content type
    /// (or none). Nothing is validated, so the body is not described here: send one with
    /// `curl`, for example `curl -X POST -d 'user=ada' http://127.0.0.1:8000/`.
    #[oai(path = "/", method = "post", tag = "Tag::Raw")]
    async fn echo_request(&self, req: &Request, body: Vec<u8>) -> Json<EchoedRequest> {
        let headers = req
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.to_string(), value)
            })
            .collect();
        let cookies = req.cookie().with_cookies(|jar| {
            jar.map(|cookie| (cookie.name().to_owned(), cookie.value().to_owned()))
                .collect()
        });
        Json(EchoedRequest {
            headers,
            cookies,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
    // ANCHOR_END: echo_request

    // ANCHOR: login
    /// Read a login form
    ///
    /// Takes `username` and `password` as form fields and answers them back. A field that
    /// is missing or empty is a 422 naming it. (Echoing a password is for this lesson only:
    /// chapter 05 shows how to keep it out of answers.)
    #[oai(path = "/form", method = "post", tag = "Tag::Forms")]
    async fn login(&self, form: Form<LoginForm>) -> Json<LoginForm> {
        Json(form.0)
    }
    // ANCHOR_END: login

    // ANCHOR: create_file
    /// Measure an uploaded file
    ///
    /// Takes a `multipart/form-data` body with a field `file` and answers its size in bytes.
    /// A whole upload may be up to 10 MiB.
    #[oai(path = "/files/", method = "post", tag = "Tag::Files")]
    async fn create_file(&self, form: FileForm) -> Json<FileSize> {
        Json(FileSize {
            file_size: form.file.size() as u64,
        })
    }
    // ANCHOR_END: create_file

    // ANCHOR: create_upload_file
    /// Describe an uploaded file
    ///
    /// Takes a `multipart/form-data` body with a field `file` and answers the file name and
    /// content type the client gave, and the size.
    #[oai(path = "/uploadfile/", method = "post", tag = "Tag::Files")]
    async fn create_upload_file(&self, form: FileForm) -> Json<UploadedFile> {
        let file = form.file;
        Json(UploadedFile {
            filename: file.file_name().map(str::to_owned),
            content_type: file.content_type().map(str::to_owned),
            size: file.size() as u64,
        })
    }
    // ANCHOR_END: create_upload_file

    // ANCHOR: create_item
    /// Create an item
    ///
    /// Takes an item as JSON and answers it back with every field. Unknown fields are
    /// ignored; every problem with the known ones is listed in one 422.
    #[oai(path = "/items/", method = "post", tag = "Tag::Items")]
    async fn create_item(&self, item: Json<Item>) -> Json<ReceivedItem> {
        Json(ReceivedItem { item: item.0 })
    }
    // ANCHOR_END: create_item

    // ANCHOR: update_item
    /// Update an item
    ///
    /// Takes the item, the user who asks and an importance, each under its own name in one
    /// JSON object, and answers them with the id from the path. A problem deep inside is
    /// reported with its whole path, such as `["body", "item", "price"]`.
    #[oai(path = "/items/:item_id", method = "put", tag = "Tag::Items")]
    async fn update_item(
        &self,
        /// The item to update.
        #[oai(example = "example_item_id")]
        item_id: Path<i64>,
        body: Json<UpdateItemBody>,
    ) -> Json<UpdatedItem> {
        let UpdateItemBody {
            item,
            user,
            importance,
        } = body.0;
        Json(UpdatedItem {
            item_id: item_id.0,
            item,
            user,
            importance,
        })
    }
    // ANCHOR_END: update_item
}
// ANCHOR_END: api

fn example_item_id() -> i64 {
    42
}

// ANCHOR: app
const TITLE: &str = "Request bodies";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
What a client sends in the body of a request, read five ways:

* the **raw request**, headers, cookies and bytes;
* an **HTML form**;
* an **uploaded file**, streamed to disk;
* a **JSON model**, checked field by field;
* **several JSON values** in one body.

Bodies are limited to 1 MiB, and whole uploads to 10 MiB: a larger one is refused with 413.";

/// The whole app: the API, its docs pages where `docs` says, and the house conventions.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    let api = (Api, exercises::ImagesApi, exercises::NoteApi);
    let service =
        OpenApiService::new(kit::FastapiErrors(api), TITLE, VERSION).description(DESCRIPTION);
    kit::mount(service, docs)
}
// ANCHOR_END: app
