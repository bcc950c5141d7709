//! What every chapter needs and no chapter teaches.
//!
//! - [`run`] and [`serve()`]: `--host`/`--port`, the `listening on http://HOST:PORT` line, read
//!   timeouts for slow clients, graceful shutdown on Ctrl-C and SIGTERM ([`serve`](mod@serve)).
//! - [`mount`]: the API with its document and docs pages ([`Docs`]), behind the house
//!   conventions: FastAPI-style error bodies, body limits, trailing slashes, panics.
//! - [`FastapiErrors`]: bad input answered with FastAPI's 422 body ([`inputs`],
//!   [`validation`]); chapter 02 explains it.
//! - [`body`]: the bodies of error answers, `{"detail": ...}`: [`Detail`], [`detail`],
//!   [`validation_error`].
//! - [`EmailStr`]: an email address read as Pydantic reads one (chapters 05, 12, 14).
//! - [`Text`]: text without NUL, which every database can store (chapter 12).
//! - [`Env`]: settings from the environment, or from a map in tests; [`data_dir`]: where a
//!   program keeps its files.
//! - [`testing`]: helpers for the chapters' tests.

pub mod body;
#[cfg(feature = "db")]
pub mod db;
pub mod docs;
pub mod email;
pub mod env;
pub mod errors;
pub mod inputs;
mod multipart;
mod route;
pub mod secret;
pub mod serve;
pub mod testing;
pub mod text;
pub mod validation;
mod wording;

pub use body::{Detail, detail, validation_error};
pub use docs::Docs;
pub use email::EmailStr;
pub use env::{ConfigError, Env, data_dir};
pub use errors::HttpException;
pub use inputs::FastapiErrors;
pub use serve::{Listen, StartError, run, serve};
pub use text::Text;

use poem::http::Method;
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, Response};
use poem_openapi::{OpenApi, OpenApiService};

// ANCHOR: mount
/// The app as a chapter serves it: `service` at `/`, its document and docs pages where `docs`
/// says, and around it all the conventions of the workbook:
/// - of a query parameter that takes one value and is sent several times, the last counts,
///   as in FastAPI (poem-openapi would take the first);
/// - `/items` and `/items/` answer alike (poem-openapi trims a trailing slash from paths),
///   and no other path is normalised: `//` and `/items//` are 404, as in FastAPI;
/// - a panic in a handler is a 500 and the server keeps serving;
/// - every error body is FastAPI's JSON (`{"detail": ...}`), 405s carry `Allow`, and a body
///   over the limit is refused with 413 before it is read.
pub fn mount<T: OpenApi + 'static>(
    service: OpenApiService<T, ()>,
    docs: &Docs,
) -> impl Endpoint<Output = Response> + use<T> {
    let mut paths: Vec<(String, Vec<Method>)> = T::meta()
        .into_iter()
        .flat_map(|api| api.paths)
        .map(|path| {
            (
                path.path,
                path.operations.into_iter().map(|op| op.method).collect(),
            )
        })
        .collect();
    paths.extend(
        docs.paths()
            .map(|path| (path.to_owned(), vec![Method::GET])),
    );

    let queries = inputs::LastQueryValues::of::<T>();
    docs.beside(service)
        .with(CatchPanic::new().with_handler(errors::panic_response))
        .with(
            errors::Conventions::new(paths)
                .pages(docs.paths())
                .last_query_values(queries),
        )
}
// ANCHOR_END: mount
