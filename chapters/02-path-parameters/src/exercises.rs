//! The exercises' solutions, each an `#[OpenApi]` type of its own.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};

/// The exercises' groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// Machine-learning models, one of a fixed list (exercise 1).
    Models,
    /// Items of a user: two parameters in one path (exercise 2).
    Users,
    /// Files, named by a path that contains slashes (exercise 3).
    Files,
}

// ANCHOR: models
/// The models this service knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
enum ModelName {
    Alexnet,
    Resnet,
    Lenet,
}

/// A model, and what it has to say.
#[derive(Object)]
struct Model {
    /// The model's name, as given in the path.
    model_name: ModelName,
    /// A line about the model.
    message: String,
}

/// Exercise 1's solution: an enum in the path.
pub(crate) struct ModelsApi;

#[OpenApi]
impl ModelsApi {
    /// Read a model
    ///
    /// `alexnet`, `resnet` or `lenet`; any other name is refused with a 422 that lists them.
    #[oai(
        path = "/models/:model_name",
        method = "get",
        tag = "ExerciseTag::Models"
    )]
    async fn get_model(
        &self,
        /// The model's name.
        model_name: Path<ModelName>,
    ) -> Json<Model> {
        let message = match model_name.0 {
            ModelName::Alexnet => "Deep Learning FTW!",
            ModelName::Lenet => "LeCNN all the images",
            ModelName::Resnet => "Have some residuals",
        };
        Json(Model {
            model_name: model_name.0,
            message: message.to_owned(),
        })
    }
}
// ANCHOR_END: models

// ANCHOR: user_items
/// An item of a user.
#[derive(Object)]
struct UserItem {
    /// The user's id, from the path.
    user_id: i64,
    /// The item's id, from the path.
    item_id: String,
}

/// Exercise 2's solution: two parameters in one path.
pub(crate) struct UsersApi;

#[OpenApi]
impl UsersApi {
    /// Read an item of a user
    ///
    /// The user is an integer id, the item any text.
    #[oai(
        path = "/users/:user_id/items/:item_id",
        method = "get",
        tag = "ExerciseTag::Users"
    )]
    async fn read_user_item(
        &self,
        // poem-openapi hands path values to the `Path` arguments in the order of the path,
        // not by name: the arguments must come in the same order as the segments.
        /// The user's id.
        user_id: Path<i64>,
        /// The item's id.
        item_id: Path<String>,
    ) -> Json<UserItem> {
        Json(UserItem {
            user_id: user_id.0,
            item_id: item_id.0,
        })
    }
}
// ANCHOR_END: user_items

// ANCHOR: files
/// A file, named by its path.
#[derive(Object)]
struct FileRef {
    /// The file's path, slashes included.
    file_path: String,
}

/// Exercise 3's solution: a path with slashes in one parameter.
pub(crate) struct FilesApi;

#[OpenApi]
impl FilesApi {
    /// Read a file's path
    ///
    /// The file's path is one segment, so its slashes are sent encoded as `%2F`:
    /// `/files/home%2Fjohnson%2Fmyfile.txt` is the file `home/johnson/myfile.txt`.
    #[oai(path = "/files/:file_path", method = "get", tag = "ExerciseTag::Files")]
    async fn read_file(
        &self,
        /// The file's path. Swagger UI encodes its slashes; with curl, write each `/` as `%2F`.
        #[oai(example = "example_file_path")]
        file_path: Path<String>,
    ) -> Json<FileRef> {
        Json(FileRef {
            file_path: file_path.0,
        })
    }
}

fn example_file_path() -> String {
    "home/johnson/myfile.txt".to_owned()
}
// ANCHOR_END: files
