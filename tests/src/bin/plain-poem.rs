//! The floor under chapter 01's figure in `scripts/bench`: poem-openapi's own hello world, as
//! its examples write it, with nothing of the workbook around it (no support crate: no
//! FastAPI-shaped errors, no docs pages, no trailing-slash rule, no logs).
//!
//! `cargo run -p grader --bin plain-poem -- --port 0` prints `listening on http://HOST:PORT`
//! as the chapters do, so the benchmark starts it the same way.

use clap::Parser;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Route, Server};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService};

/// Serves `GET /` → `{"message": "Hello World"}`, and nothing else.
#[derive(Debug, Parser)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 takes any free port.
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

#[derive(Object)]
struct Message {
    message: String,
}

struct Api;

#[OpenApi]
impl Api {
    /// Say hello
    #[oai(path = "/", method = "get")]
    async fn root(&self) -> Json<Message> {
        Json(Message {
            message: "Hello World".to_owned(),
        })
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let api = OpenApiService::new(Api, "Hello World", "1.0");
    let acceptor = TcpListener::bind((cli.host.as_str(), cli.port))
        .into_acceptor()
        .await?;
    let addr = acceptor
        .local_addr()
        .into_iter()
        .find_map(|addr| addr.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("no address to listen on"))?;
    println!("listening on http://{addr}");
    Server::new_with_acceptor(acceptor)
        .run(Route::new().nest("/", api))
        .await
}
