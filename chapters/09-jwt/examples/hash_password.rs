//! Prints a bcrypt hash (cost 12) of each password given: how the fixture hashes were made.
//!
//! `cargo run -p ch09-jwt --example hash_password secret`
fn main() {
    for password in std::env::args().skip(1) {
        match bcrypt::hash(&password, 12) {
            Ok(hash) => println!("{hash}"),
            Err(err) => eprintln!("cannot hash {password:?}: {err}"),
        }
    }
}
