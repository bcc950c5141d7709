//! How a secret is shown in an answer, in place of its value.

/// What a password stands as in an answer: the `input` of a 422 problem about it, as Pydantic
/// shows a `SecretStr`. kit's checks of a body show it for every value of a `Password` field
/// ([`validation`](crate::validation)); the chapters that check a password themselves
/// (chapters 09, 12 and 14) show it too, so that the value never goes back to the client.
pub const MASK: &str = "**********";
