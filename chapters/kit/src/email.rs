//! Email addresses, read as Pydantic's `EmailStr` reads them: the contract's "Values" for
//! chapters 05, 12 and 14, in one place, so that the 422 of the body check and the value the
//! handler gets never disagree.

use std::borrow::Cow;
use std::fmt;

use email_address::{EmailAddress, Options};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value;

// ANCHOR: email_str
/// An email address, as Pydantic's `EmailStr` reads one:
/// - the spaces around it are stripped;
/// - `Ryan Dahl <ryan@example.com>` is reduced to `ryan@example.com`;
/// - the domain is lower-cased, its ASCII letters only; the part before the `@` stays as typed
///   (`Ryan@Example.COM` is `Ryan@example.com`);
/// - a domain without a dot (`ryan@localhost`) is refused.
///
/// Only ASCII is folded: Unicode's rules lower-case the Kelvin sign `K` (U+212A) to `k`, and an
/// address folded so would reach another person's account. Two addresses that read the same
/// are the same address: store and compare this form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailStr(String);

impl EmailStr {
    /// Reads `text`, or says why it is not an address (email_validator's words where it has
    /// them, which Pydantic shows after "value is not a valid email address: ").
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let address = match text.strip_suffix('>').and_then(|t| t.rsplit_once('<')) {
            Some((_name, address)) => address.trim(),
            None => text,
        };
        let options = Options::default().without_display_text();
        let parsed =
            EmailAddress::parse_with_options(address, options).map_err(|err| err.to_string())?;
        let (local, domain) = (parsed.local_part(), parsed.domain());
        if domain.starts_with('[') {
            return Err("A bracketed IP address after the @-sign is not allowed here.".to_owned());
        }
        if !domain.contains('.') {
            return Err(
                "The part after the @-sign is not valid. It should have a period.".to_owned(),
            );
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// An address read before, such as one from the database or an example for the
    /// document, taken as it is.
    pub fn new_unchecked(address: impl Into<String>) -> Self {
        Self(address.into())
    }

    /// The address, in the form above.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, in the form above.
    pub fn into_string(self) -> String {
        self.0
    }
}
// ANCHOR_END: email_str

/// For poem-openapi's length validators (`#[oai(validator(max_length = 254))]`).
impl AsRef<str> for EmailStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// In the document, the same schema as poem-openapi's `Email`: a string of format `email`.
impl Type for EmailStr {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_email".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "email")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl ParseFromJSON for EmailStr {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Self::parse(&text).map_err(ParseError::custom),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ParseFromParameter for EmailStr {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value).map_err(ParseError::custom)
    }
}

impl ToJSON for EmailStr {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<String, String> {
        EmailStr::parse(text).map(EmailStr::into_string)
    }

    #[test]
    fn spaces_and_a_display_name_are_dropped_and_the_domain_is_lower_cased() {
        for (sent, read_as) in [
            ("ryan@example.com", "ryan@example.com"),
            ("  Ryan@Example.COM\t", "Ryan@example.com"),
            ("Ryan Dahl <Ryan@EXAMPLE.com>", "Ryan@example.com"),
            ("\"Dahl, Ryan\" <ryan@example.com> ", "ryan@example.com"),
            ("<ryan@example.com>", "ryan@example.com"),
            ("δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@παράδειγμα.δοκιμή"),
        ] {
            assert_eq!(read(sent).as_deref(), Ok(read_as), "{sent:?}");
        }
    }

    #[test]
    fn only_ascii_letters_are_folded() {
        // U+212A KELVIN SIGN: Unicode lower-cases it to `k`, ASCII folding leaves it alone.
        let kelvin = "\u{212A}elvin@\u{212A}.Example.com";
        assert_eq!(
            read(kelvin).as_deref(),
            Ok("\u{212A}elvin@\u{212A}.example.com")
        );
    }

    #[test]
    fn a_domain_without_a_dot_and_malformed_addresses_are_refused() {
        for sent in [
            "ryan@localhost",
            "ryan@[127.0.0.1]",
            "ryan",
            "",
            "ryan@",
            "@example.com",
            "ryan @example.com",
            "Ryan <ryan@localhost>",
            "Ryan <ryan>",
        ] {
            assert!(read(sent).is_err(), "{sent:?}");
        }
        assert_eq!(
            read("ryan@localhost").unwrap_err(),
            "The part after the @-sign is not valid. It should have a period."
        );
    }
}
