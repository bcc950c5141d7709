//! A deliberately broken server, to see the grader's report on it:
//! `cargo run -p grader --bin broken-server -- --mode wrong-body --port 0`, or, to grade it,
//! `BROKEN_MODE=hang grader 01 --bin target/debug/broken-server`.

use clap::Parser;
use grader::fixtures::{Broken, BrokenServer};

/// Serves HTTP wrongly, in one chosen way.
#[derive(Debug, Parser)]
struct Cli {
    /// How to be wrong.
    #[arg(long, value_enum, env = "BROKEN_MODE")]
    mode: Broken,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 takes any free port.
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let server = BrokenServer::start(cli.mode, &cli.host, cli.port).await?;
    println!("listening on {}", server.url);
    server.wait().await;
    Ok(())
}
