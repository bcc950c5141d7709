//! A server that checks JWTs as chapters 09, 10 and 11 say, or with one chosen mistake, to
//! see each attack check fail against the mistake it is about (`grader::vulnerable`):
//!
//! ```text
//! VULNERABLE=alg-none grader 09 --bin target/debug/vulnerable-server
//! CHAPTER=10 VULNERABLE=token-scopes grader 10 --bin target/debug/vulnerable-server
//! CHAPTER=11 VULNERABLE=leeway grader 11 --bin target/debug/vulnerable-server
//! ```
//!
//! Only the attack checks judge it: it serves no more of each contract than they need.
//! `cargo run -p grader --bin vulnerable-server -- --help` lists the mistakes.

use clap::Parser;
use grader::vulnerable::{Contract, Settings, Vulnerable};

/// Serves chapter 09's login and protected operations (chapter 10's scopes, chapter 11's
/// token gate), checking tokens with the key in JWT_SECRET, with one mistake or none.
#[derive(Debug, Parser)]
struct Cli {
    /// The mistake to make when checking a token.
    #[arg(long, value_enum, env = "VULNERABLE", default_value = "none")]
    vulnerable: Vulnerable,
    /// The chapter whose rules to follow (11 is 09's, with the gate under /api/ that is
    /// always there).
    #[arg(long, value_enum, env = "CHAPTER", default_value = "09")]
    chapter: Contract,
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
    let settings = Settings {
        mistake: cli.vulnerable,
        contract: cli.chapter,
    };
    grader::vulnerable::serve(settings, &cli.host, cli.port).await
}
