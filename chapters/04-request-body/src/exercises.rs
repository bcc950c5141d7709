//! The exercises' solutions: a JSON list of models, and a file with a text field.

use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{Multipart, Object, OpenApi, Tags};

use crate::Tag;

/// The exercises' own group of operations, beside the chapter's; it becomes a section of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// A JSON body that is a list of models.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/body-nested-models/")]
    Images,
}

// ANCHOR: image
/// A picture on the web.
#[derive(Object)]
#[oai(example)]
pub(crate) struct Image {
    /// Where the picture is: an `http://` or `https://` address, its host in ASCII.
    // Every class names its characters: `\s` would mean other spaces here, in Rust's regex,
    // than in the document, read as JavaScript reads it.
    #[oai(validator(pattern = r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?([/?#][^\x00-\x20\x7f]*)?$"))]
    url: String,
    /// What to call it.
    name: String,
}

impl Example for Image {
    fn example() -> Self {
        Image {
            url: "https://example.com/lamp.png".to_owned(),
            name: "The lamp, lit".to_owned(),
        }
    }
}
// ANCHOR_END: image

// ANCHOR: images_api
/// Exercise 1's solution: a body that is a list.
pub(crate) struct ImagesApi;

#[OpenApi]
impl ImagesApi {
    /// Add several images
    ///
    /// Takes a JSON list of images and answers it back. A problem in one of them is reported
    /// with its position: `["body", 0, "url"]`.
    #[oai(
        path = "/images/multiple/",
        method = "post",
        tag = "ExerciseTag::Images"
    )]
    async fn create_multiple_images(&self, images: Json<Vec<Image>>) -> Json<Vec<Image>> {
        images
    }
}
// ANCHOR_END: images_api

// ANCHOR: note_form
/// A file and a line of text in one `multipart/form-data` body.
#[derive(Multipart)]
pub(crate) struct FileWithNoteForm {
    /// The file.
    file: Upload,
    /// A note about it; required and not empty (an empty form field counts as missing).
    #[oai(validator(min_length = 1))]
    note: String,
}

/// The file's size and the note that came with it.
#[derive(Object)]
struct FileWithNote {
    /// The file's length in bytes.
    file_size: u64,
    /// The note, as sent.
    note: String,
}

/// Exercise 2's solution: form fields next to a file.
pub(crate) struct NoteApi;

#[OpenApi]
impl NoteApi {
    /// Upload a file with a note
    ///
    /// Takes a `multipart/form-data` body with a file `file` and a text field `note`, and
    /// answers the file's size and the note.
    #[oai(path = "/files/with-note/", method = "post", tag = "Tag::Files")]
    async fn create_file_with_note(&self, form: FileWithNoteForm) -> Json<FileWithNote> {
        Json(FileWithNote {
            file_size: form.file.size() as u64,
            note: form.note,
        })
    }
}
// ANCHOR_END: note_form
