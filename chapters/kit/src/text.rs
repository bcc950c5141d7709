//! Text that every database of the workbook can store: any characters but NUL (U+0000), which
//! PostgreSQL refuses in a text column. The SQL chapters' text fields use it, so that a NUL is
//! a 422 on every backend rather than a 500 on one.

use std::borrow::Cow;
use std::fmt;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// The pattern the document gives for a [`Text`], in JSON Schema's dialect.
pub const NO_NUL: &str = r"^[^\u0000]*$";

/// A string without NUL.
///
/// In the document it is what `#[oai(validator(pattern = r"^[^\u0000]*$"))]` on a `String`
/// gives, so a refused value is answered the same; but it is checked with a search for one
/// character. poem-openapi's `pattern` validator compiles its regular expression again at
/// every request, which costs more than the rest of a small request does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(String);

impl Text {
    /// `text`, unless it holds a NUL.
    pub fn new(text: impl Into<String>) -> Option<Self> {
        let text = text.into();
        (!text.contains('\0')).then_some(Self(text))
    }

    /// A text known to hold no NUL, such as an example for the document.
    pub fn new_unchecked(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.0
    }
}

/// For poem-openapi's length validators (`#[oai(validator(max_length = 100))]`).
impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            pattern: Some(NO_NUL.to_owned()),
            ..MetaSchema::new("string")
        }))
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

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Self::new(text).ok_or_else(|| {
                ParseError::custom(format!("String should match pattern '{NO_NUL}'"))
            }),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_anywhere_is_refused_and_anything_else_is_kept() {
        for text in [
            "",
            "Portal gun",
            "é ß 漢字 🦀",
            "line\nbreak",
            "'; DROP TABLE items; --",
        ] {
            let read = Text::parse_from_json(Some(Value::String(text.to_owned())));
            assert_eq!(read.map(Text::into_string).ok().as_deref(), Some(text));
        }
        for text in ["\0", "a\0", "\0b", "a\0b"] {
            assert!(Text::parse_from_json(Some(Value::String(text.to_owned()))).is_err());
        }
        assert!(Text::parse_from_json(Some(Value::from(42))).is_err());
    }

    #[test]
    fn the_document_shows_the_pattern_of_a_string() {
        let MetaSchemaRef::Inline(schema) = Text::schema_ref() else {
            panic!("an inline schema");
        };
        assert_eq!(schema.ty, "string");
        assert_eq!(schema.pattern.as_deref(), Some(NO_NUL));
        // The pattern says what the check does.
        let regex = regex::Regex::new(NO_NUL).unwrap();
        assert!(regex.is_match("Portal gun") && !regex.is_match("a\0b"));
    }
}
