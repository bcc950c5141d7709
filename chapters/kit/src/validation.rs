//! FastAPI's list of input problems, worked out from the operation's own schema.
//!
//! poem-openapi stops at the first value it cannot parse and says so in a sentence. FastAPI
//! checks every input and reports each problem with where it was (`loc`), what kind it is
//! (`type`), a message (`msg`) and the value sent (`input`). This module gives the second kind
//! of answer from the first kind of knowledge: when poem-openapi refuses a request, the same
//! request is checked against the schemas that poem-openapi published for the operation, and
//! every problem found is listed.
//!
//! **Why a walk of our own, and not a JSON Schema validator.** The `jsonschema` crate (0.61),
//! run on the same schemas, was tried on this module's cases. It gave the same list for 9 bodies
//! of 11 only after about 330 lines of mapping, and it would have left this module 15–20%
//! shorter at best, for 30 more crates in every chapter's build (about 40 s of compiling
//! here). What FastAPI's answer needs and a validator does not give stays code of our own:
//! - parameters, form fields and headers arrive as text, which a validator does not coerce;
//! - `format: int32` and the other integer formats set no bounds for it, and `nullable`
//!   (OpenAPI 3.0) is not JSON Schema: every optional member's `null` came back as an error;
//! - its errors come in another order (every `required` of an object first), carry no
//!   Pydantic wording or `ctx`, and do not know which members are passwords to mask.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use regex::Regex;
use serde_json::{Map, Value, json};

// The checks here make the entries of the 422 body; the chapters name them from here.
pub use crate::body::{Loc, Problem};

/// Checks values against the schemas of one API.
pub struct Checker<'a> {
    registry: &'a Registry,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    /// A checker that resolves `$ref`s in `registry`.
    pub fn new(registry: &'a Registry) -> Self {
        Self {
            registry,
            problems: Vec::new(),
        }
    }

    /// The problems found so far, in the order they were found.
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// Adds a problem found outside the checker (a missing parameter, say).
    pub fn report(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn resolve(&self, schema: &'a MetaSchemaRef) -> Option<&'a MetaSchema> {
        match schema {
            MetaSchemaRef::Inline(schema) => Some(schema),
            MetaSchemaRef::Reference(name) => self.registry.schemas.get(name),
        }
    }

    /// Checks a value that arrived as text: a path, query, header or cookie parameter, or a
    /// form field.
    pub fn check_text(&mut self, loc: Vec<Loc>, text: &str, schema: &'a MetaSchemaRef) {
        let found = self.problems.len();
        self.check_text_value(loc, text, schema);
        self.mask_secret(found, schema);
    }

    fn check_text_value(&mut self, loc: Vec<Loc>, text: &str, schema: &'a MetaSchemaRef) {
        let Some(schema) = self.resolve(schema) else {
            return;
        };
        for part in &schema.all_of {
            self.check_text(loc.clone(), text, part);
        }
        let input = Value::String(text.to_owned());
        if !schema.enum_items.is_empty() {
            self.check_enum(&loc, &input, schema);
            return;
        }
        match schema.ty {
            "integer" => match parse_integer(text, schema.format) {
                Ok(n) => self.check_number(&loc, n as f64, &input, schema),
                Err(IntError::OutOfRange(bound)) => self.report(out_of_range(loc, input, bound)),
                Err(IntError::NotAnInteger) => self.report(Problem::new(
                    "int_parsing",
                    loc,
                    "Input should be a valid integer, unable to parse string as an integer",
                    input,
                )),
            },
            "number" => match text.parse::<f64>() {
                Ok(n) => self.check_number(&loc, n, &input, schema),
                Err(_) => self.report(Problem::new(
                    "float_parsing",
                    loc,
                    "Input should be a valid number, unable to parse string as a number",
                    input,
                )),
            },
            "boolean" if text.parse::<bool>().is_err() => self.report(Problem::new(
                "bool_parsing",
                loc,
                "Input should be a valid boolean, unable to interpret input",
                input,
            )),
            "string" => self.check_string(&loc, text, &input, schema),
            _ => {}
        }
    }

    /// Checks a JSON value, and everything inside it.
    pub fn check_json(&mut self, loc: Vec<Loc>, value: &Value, schema: &'a MetaSchemaRef) {
        let found = self.problems.len();
        self.check_json_value(loc, value, schema);
        self.mask_secret(found, schema);
    }

    /// A password sent back in a 422 would be a secret in a response: the problems found
    /// since `found` show a mask in its place, as pydantic's `SecretStr` does.
    fn mask_secret(&mut self, found: usize, schema: &'a MetaSchemaRef) {
        if self.resolve(schema).is_some_and(is_secret) {
            for problem in &mut self.problems[found..] {
                problem.input = Value::String(MASK.to_owned());
            }
        }
    }

    /// `object` with the values of its secret members masked.
    fn masked(&self, object: &Value, schema: &'a MetaSchema) -> Value {
        let mut object = object.clone();
        if let Value::Object(fields) = &mut object {
            for (name, property) in &schema.properties {
                if self.resolve(property).is_some_and(is_secret)
                    && let Some(value) = fields.get_mut(*name)
                {
                    *value = Value::String(MASK.to_owned());
                }
            }
        }
        object
    }

    fn check_json_value(&mut self, loc: Vec<Loc>, value: &Value, schema: &'a MetaSchemaRef) {
        let Some(schema) = self.resolve(schema) else {
            return;
        };
        if value.is_null() && schema.nullable {
            return;
        }
        for part in &schema.all_of {
            self.check_json(loc.clone(), value, part);
        }
        let alternatives: Vec<_> = schema.one_of.iter().chain(&schema.any_of).collect();
        if !alternatives.is_empty() {
            self.check_alternatives(loc, value, &alternatives);
            return;
        }
        if !schema.enum_items.is_empty() {
            self.check_enum(&loc, value, schema);
            return;
        }
        match (schema.ty, value) {
            ("object", Value::Object(fields)) => self.check_object(loc, fields, value, schema),
            ("object", _) if !schema.properties.is_empty() => self.report(Problem::new(
                "model_attributes_type",
                loc,
                "Input should be a valid dictionary or object to extract fields from",
                value.clone(),
            )),
            ("object", _) => self.report(Problem::new(
                "dict_type",
                loc,
                "Input should be a valid dictionary",
                value.clone(),
            )),
            ("array", Value::Array(items)) => self.check_array(loc, items, value, schema),
            ("array", _) => self.report(Problem::new(
                "list_type",
                loc,
                "Input should be a valid list",
                value.clone(),
            )),
            ("string", Value::String(text)) => self.check_string(&loc, text, value, schema),
            ("string", _) => self.report(Problem::new(
                "string_type",
                loc,
                "Input should be a valid string",
                value.clone(),
            )),
            ("integer", Value::Number(n)) => self.check_json_integer(loc, n, value, schema),
            ("number", Value::Number(n)) => {
                let n = n.as_f64().unwrap_or(f64::NAN);
                self.check_number(&loc, n, value, schema);
            }
            ("integer", _) => self.report(int_type(loc, value)),
            ("number", _) => self.report(Problem::new(
                "float_type",
                loc,
                "Input should be a valid number",
                value.clone(),
            )),
            ("boolean", Value::Bool(_)) => {}
            ("boolean", _) => self.report(Problem::new(
                "bool_type",
                loc,
                "Input should be a valid boolean",
                value.clone(),
            )),
            _ => {}
        }
    }

    fn check_object(
        &mut self,
        loc: Vec<Loc>,
        fields: &Map<String, Value>,
        object: &Value,
        schema: &'a MetaSchema,
    ) {
        for (name, property) in &schema.properties {
            let required = schema.required.contains(name);
            let field_loc = child(&loc, Loc::from(*name));
            match fields.get(*name) {
                None if required => {
                    let input = self.masked(object, schema);
                    self.report(Problem::missing(field_loc, input));
                }
                Some(Value::Null) | None if !required => {}
                None => {}
                Some(value) => self.check_json(field_loc, value, property),
            }
        }
        if let Some(extra) = &schema.additional_properties {
            for (name, value) in fields {
                let declared = schema.properties.iter().any(|(p, _)| p == name);
                if !declared {
                    self.check_json(child(&loc, Loc::Name(name.clone())), value, extra);
                }
            }
        }
    }

    fn check_array(
        &mut self,
        loc: Vec<Loc>,
        items: &[Value],
        list: &Value,
        schema: &'a MetaSchema,
    ) {
        if let Some(item_schema) = &schema.items {
            for (index, item) in items.iter().enumerate() {
                self.check_json(child(&loc, Loc::Index(index)), item, item_schema);
            }
        }
        if let Some(min) = schema.min_items
            && items.len() < min
        {
            let msg = format!(
                "List should have at least {min} {} after validation, not {}",
                plural(min, "item"),
                items.len()
            );
            self.report(
                Problem::new("too_short", loc.clone(), msg, list.clone()).with_ctx(
                    json!({"field_type": "List", "min_length": min, "actual_length": items.len()}),
                ),
            );
        }
        if let Some(max) = schema.max_items
            && items.len() > max
        {
            let msg = format!(
                "List should have at most {max} {} after validation, not {}",
                plural(max, "item"),
                items.len()
            );
            self.report(Problem::new("too_long", loc, msg, list.clone()).with_ctx(
                json!({"field_type": "List", "max_length": max, "actual_length": items.len()}),
            ));
        }
    }

    fn check_json_integer(
        &mut self,
        loc: Vec<Loc>,
        n: &serde_json::Number,
        value: &Value,
        schema: &'a MetaSchema,
    ) {
        if let Some(i) = n.as_i64() {
            return match integer_range(schema.format) {
                Some((lo, _)) if i128::from(i) < lo => {
                    self.report(out_of_range(loc, value.clone(), Bound::Min(lo)))
                }
                Some((_, hi)) if i128::from(i) > hi => {
                    self.report(out_of_range(loc, value.clone(), Bound::Max(hi)))
                }
                _ => self.check_number(&loc, i as f64, value, schema),
            };
        }
        // Past `i64::MAX`: only a `uint64` may be that large.
        if let Some(u) = n.as_u64() {
            let (_, hi) = integer_range(schema.format).unwrap_or((0, i128::from(i64::MAX)));
            if i128::from(u) > hi {
                return self.report(out_of_range(loc, value.clone(), Bound::Max(hi)));
            }
            return self.check_number(&loc, u as f64, value, schema);
        }
        match n.as_f64() {
            // serde_json reads a whole number beyond 64 bits as a float.
            Some(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
                let (lo, hi) = integer_range(schema.format)
                    .unwrap_or((i128::from(i64::MIN), i128::from(i64::MAX)));
                let bound = if f < 0.0 {
                    Bound::Min(lo)
                } else {
                    Bound::Max(hi)
                };
                self.report(out_of_range(loc, value.clone(), bound));
            }
            Some(f) if f.fract() != 0.0 => self.report(Problem::new(
                "int_from_float",
                loc,
                "Input should be a valid integer, got a number with a fractional part",
                value.clone(),
            )),
            _ => self.report(int_type(loc, value)),
        }
    }

    fn check_number(&mut self, loc: &[Loc], n: f64, input: &Value, schema: &MetaSchema) {
        let exclusive_min = schema.exclusive_minimum.unwrap_or(false);
        let exclusive_max = schema.exclusive_maximum.unwrap_or(false);
        if let Some(min) = schema.minimum {
            if exclusive_min && n <= min {
                self.report(bound_problem(
                    "greater_than",
                    "greater than",
                    "gt",
                    loc,
                    input,
                    min,
                ));
            } else if !exclusive_min && n < min {
                self.report(bound_problem(
                    "greater_than_equal",
                    "greater than or equal to",
                    "ge",
                    loc,
                    input,
                    min,
                ));
            }
        }
        if let Some(max) = schema.maximum {
            if exclusive_max && n >= max {
                self.report(bound_problem(
                    "less_than",
                    "less than",
                    "lt",
                    loc,
                    input,
                    max,
                ));
            } else if !exclusive_max && n > max {
                self.report(bound_problem(
                    "less_than_equal",
                    "less than or equal to",
                    "le",
                    loc,
                    input,
                    max,
                ));
            }
        }
        if let Some(step) = schema.multiple_of
            && step != 0.0
            && (n / step).fract() != 0.0
        {
            self.report(
                Problem::new(
                    "multiple_of",
                    loc.to_vec(),
                    format!("Input should be a multiple of {}", number_text(step)),
                    input.clone(),
                )
                .with_ctx(json!({"multiple_of": number_value(step)})),
            );
        }
    }

    fn check_string(&mut self, loc: &[Loc], text: &str, input: &Value, schema: &MetaSchema) {
        let length = text.chars().count();
        if let Some(min) = schema.min_length
            && length < min
        {
            let msg = format!(
                "String should have at least {min} {}",
                plural(min, "character")
            );
            self.report(
                Problem::new("string_too_short", loc.to_vec(), msg, input.clone())
                    .with_ctx(json!({"min_length": min})),
            );
        }
        if let Some(max) = schema.max_length
            && length > max
        {
            let msg = format!(
                "String should have at most {max} {}",
                plural(max, "character")
            );
            self.report(
                Problem::new("string_too_long", loc.to_vec(), msg, input.clone())
                    .with_ctx(json!({"max_length": max})),
            );
        }
        // Read as the handler's `EmailStr` reads it, so that the two never disagree.
        if schema.format == Some("email")
            && let Err(err) = crate::EmailStr::parse(text)
        {
            self.report(Problem::new(
                "value_error",
                loc.to_vec(),
                format!("value is not a valid email address: {err}"),
                input.clone(),
            ));
        }
        if let Some(pattern) = &schema.pattern
            && let Some(regex) = compiled(pattern)
            && !regex.is_match(text)
        {
            self.report(
                Problem::new(
                    "string_pattern_mismatch",
                    loc.to_vec(),
                    format!("String should match pattern '{pattern}'"),
                    input.clone(),
                )
                .with_ctx(json!({"pattern": pattern})),
            );
        }
    }

    fn check_enum(&mut self, loc: &[Loc], value: &Value, schema: &MetaSchema) {
        if schema.enum_items.contains(value) {
            return;
        }
        let expected = one_of_text(&schema.enum_items);
        self.report(
            Problem::new(
                "enum",
                loc.to_vec(),
                format!("Input should be {expected}"),
                value.clone(),
            )
            .with_ctx(json!({"expected": expected})),
        );
    }

    fn check_alternatives(
        &mut self,
        loc: Vec<Loc>,
        value: &Value,
        alternatives: &[&'a MetaSchemaRef],
    ) {
        let mut first_failure = None;
        for alternative in alternatives {
            let mut trial = Checker::new(self.registry);
            trial.check_json(loc.clone(), value, alternative);
            if trial.problems.is_empty() {
                return;
            }
            first_failure.get_or_insert(trial.problems);
        }
        self.problems.extend(first_failure.unwrap_or_default());
    }
}

impl std::fmt::Debug for Checker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

// What a secret value is shown as: one mask for the workspace.
use crate::secret::MASK;

/// A value that must never be sent back: a password (poem-openapi's `Password` type).
fn is_secret(schema: &MetaSchema) -> bool {
    schema.format == Some("password")
}

fn child(loc: &[Loc], step: Loc) -> Vec<Loc> {
    let mut loc = loc.to_vec();
    loc.push(step);
    loc
}

/// The regular expression of a schema's `pattern`, compiled once: the patterns are the few that
/// the operations declare, and compiling one costs more than checking a whole request with it.
/// `None` for a pattern the `regex` crate cannot read, which then checks nothing.
fn compiled(pattern: &str) -> Option<Arc<Regex>> {
    static COMPILED: LazyLock<Mutex<HashMap<String, Option<Arc<Regex>>>>> =
        LazyLock::new(Mutex::default);
    let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    compiled
        .entry(pattern.to_owned())
        .or_insert_with(|| Regex::new(pattern).ok().map(Arc::new))
        .clone()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn int_type(loc: Vec<Loc>, value: &Value) -> Problem {
    Problem::new(
        "int_type",
        loc,
        "Input should be a valid integer",
        value.clone(),
    )
}

/// The bound an out-of-range integer broke.
#[derive(Debug, Clone, Copy)]
enum Bound {
    Min(i128),
    Max(i128),
}

enum IntError {
    NotAnInteger,
    OutOfRange(Bound),
}

/// The range of an integer schema's format (`int64` when none is given).
fn integer_range(format: Option<&str>) -> Option<(i128, i128)> {
    let range = match format.unwrap_or("int64") {
        "int8" => (i128::from(i8::MIN), i128::from(i8::MAX)),
        "int16" => (i128::from(i16::MIN), i128::from(i16::MAX)),
        "int32" => (i128::from(i32::MIN), i128::from(i32::MAX)),
        "int64" => (i128::from(i64::MIN), i128::from(i64::MAX)),
        "uint8" => (0, i128::from(u8::MAX)),
        "uint16" => (0, i128::from(u16::MAX)),
        "uint32" => (0, i128::from(u32::MAX)),
        "uint64" => (0, i128::from(u64::MAX)),
        _ => return None,
    };
    Some(range)
}

/// Parses an integer as Rust's `from_str` does, telling apart text that is not an integer
/// from an integer that does not fit.
fn parse_integer(text: &str, format: Option<&str>) -> Result<i128, IntError> {
    let (lo, hi) = integer_range(format).unwrap_or((i128::from(i64::MIN), i128::from(i64::MAX)));
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IntError::NotAnInteger);
    }
    let negative = text.starts_with('-');
    match text.parse::<i128>() {
        Ok(n) if n < lo => Err(IntError::OutOfRange(Bound::Min(lo))),
        Ok(n) if n > hi => Err(IntError::OutOfRange(Bound::Max(hi))),
        Ok(n) => Ok(n),
        Err(_) if negative => Err(IntError::OutOfRange(Bound::Min(lo))),
        Err(_) => Err(IntError::OutOfRange(Bound::Max(hi))),
    }
}

fn out_of_range(loc: Vec<Loc>, input: Value, bound: Bound) -> Problem {
    let (kind, words, key, limit) = match bound {
        Bound::Min(n) => ("greater_than_equal", "greater than or equal to", "ge", n),
        Bound::Max(n) => ("less_than_equal", "less than or equal to", "le", n),
    };
    let limit_value: Value = serde_json::from_str(&limit.to_string()).unwrap_or(Value::Null);
    Problem::new(kind, loc, format!("Input should be {words} {limit}"), input)
        .with_ctx(json!({ key: limit_value }))
}

fn bound_problem(
    kind: &'static str,
    words: &str,
    key: &str,
    loc: &[Loc],
    input: &Value,
    limit: f64,
) -> Problem {
    Problem::new(
        kind,
        loc.to_vec(),
        format!("Input should be {words} {}", number_text(limit)),
        input.clone(),
    )
    .with_ctx(json!({ key: number_value(limit) }))
}

/// `10` rather than `10.0` for a whole bound, as FastAPI prints an `int` bound.
fn number_text(n: f64) -> String {
    number_value(n).to_string()
}

fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`, as pydantic lists enum members.
fn one_of_text(items: &[Value]) -> String {
    let names: Vec<String> = items
        .iter()
        .map(|item| match item {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem_openapi::types::Type;

    fn text_problems(text: &str, schema: MetaSchemaRef) -> Vec<Problem> {
        let registry = Registry::new();
        let mut checker = Checker::new(&registry);
        checker.check_text(vec!["query".into(), "n".into()], text, &schema);
        checker.into_problems()
    }

    #[test]
    fn integers_parse_as_rust_does() {
        let schema = i64::schema_ref();
        for ok in ["5", "+5", "007", "-3"] {
            assert_eq!(text_problems(ok, schema.clone()), vec![], "{ok}");
        }
        for bad in ["2.0", "1_000", " 5 ", "", "ce6e56"] {
            let problems = text_problems(bad, schema.clone());
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].kind, "int_parsing", "{bad}");
        }
    }

    #[test]
    fn huge_integers_break_the_i64_bound() {
        let problems = text_problems("99999999999999999999", i64::schema_ref());
        assert_eq!(problems[0].kind, "less_than_equal");
        assert_eq!(
            problems[0].msg,
            "Input should be less than or equal to 9223372036854775807"
        );
        let problems = text_problems("-99999999999999999999", i64::schema_ref());
        assert_eq!(problems[0].kind, "greater_than_equal");
    }

    #[test]
    fn a_uint64_takes_values_past_the_i64_bound() {
        assert_eq!(
            text_problems(&u64::MAX.to_string(), u64::schema_ref()),
            vec![]
        );
        let past = text_problems("18446744073709551616", u64::schema_ref());
        assert_eq!(
            past[0].msg,
            "Input should be less than or equal to 18446744073709551615"
        );
        let registry = Registry::new();
        let json_problems = |value: Value, schema: MetaSchemaRef| {
            let mut checker = Checker::new(&registry);
            checker.check_json(vec!["body".into()], &value, &schema);
            checker.into_problems()
        };
        assert_eq!(json_problems(json!(u64::MAX), u64::schema_ref()), vec![]);
        assert_eq!(
            json_problems(json!(-1), u64::schema_ref())[0].kind,
            "greater_than_equal"
        );
        assert_eq!(
            json_problems(json!(u64::MAX), i64::schema_ref())[0].kind,
            "less_than_equal"
        );
    }

    #[test]
    fn bounds_are_reported_with_fastapi_words() {
        let mut schema = MetaSchema::new("integer");
        schema.minimum = Some(10.0);
        schema.maximum = Some(15.0);
        schema.exclusive_maximum = Some(true);
        let problems = text_problems("100", MetaSchemaRef::Inline(Box::new(schema)));
        let body = serde_json::to_value(&problems).unwrap_or_default();
        assert_eq!(
            body,
            json!([{"type": "less_than", "loc": ["query", "n"], "msg": "Input should be less than 15", "input": "100", "ctx": {"lt": 15}}])
        );
    }

    #[test]
    fn string_lengths_count_characters() {
        let mut schema = MetaSchema::new("string");
        schema.min_length = Some(5);
        let schema = MetaSchemaRef::Inline(Box::new(schema));
        assert_eq!(text_problems("ééééé", schema.clone()), vec![]);
        let problems = text_problems("aaa", schema);
        assert_eq!(problems[0].msg, "String should have at least 5 characters");
    }

    #[test]
    fn emails_are_checked_as_email_str_reads_them() {
        let schema = crate::EmailStr::schema_ref();
        assert_eq!(text_problems("john@example.com", schema.clone()), vec![]);
        assert_eq!(
            text_problems(" John <john@example.com> ", schema.clone()),
            vec![]
        );
        let problems = text_problems("john.example.com", schema);
        assert_eq!(problems[0].kind, "value_error");
        assert!(
            problems[0]
                .msg
                .starts_with("value is not a valid email address: ")
        );
    }

    #[test]
    fn passwords_are_masked_in_problems() {
        let mut registry = Registry::new();
        let mut login = MetaSchema::new("object");
        login.required = vec!["username", "password"];
        login.properties = vec![
            ("username", String::schema_ref()),
            ("password", poem_openapi::types::Password::schema_ref()),
        ];
        registry.schemas.insert("Login".to_owned(), login);
        let mut checker = Checker::new(&registry);
        let schema = MetaSchemaRef::Reference("Login".to_owned());
        checker.check_json(
            vec!["body".into()],
            &json!({"password": "hunter2"}),
            &schema,
        );
        checker.check_json(
            vec!["body".into()],
            &json!({"username": "a", "password": 5}),
            &schema,
        );
        let problems = checker.into_problems();
        assert_eq!(problems[0].input, json!({"password": "**********"}));
        assert_eq!(problems[1].input, json!("**********"));
    }

    #[test]
    fn enums_list_their_members() {
        let mut schema = MetaSchema::new("string");
        schema.enum_items = vec![json!("service"), json!("new_feature")];
        let problems = text_problems("other", MetaSchemaRef::Inline(Box::new(schema)));
        assert_eq!(
            problems[0].msg,
            "Input should be 'service' or 'new_feature'"
        );
    }

    #[test]
    fn json_integers_must_be_whole_numbers_of_json_type() {
        let registry = Registry::new();
        let schema = i64::schema_ref();
        let kinds = |value: Value| {
            let mut checker = Checker::new(&registry);
            checker.check_json(vec!["body".into()], &value, &schema);
            checker
                .into_problems()
                .into_iter()
                .map(|p| p.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(json!(5)), Vec::<&str>::new());
        assert_eq!(kinds(json!(5.0)), vec!["int_type"]);
        assert_eq!(kinds(json!(5.5)), vec!["int_from_float"]);
        assert_eq!(kinds(json!("5")), vec!["int_type"]);
        assert_eq!(kinds(json!(true)), vec!["int_type"]);
        assert_eq!(
            kinds(json!(18446744073709551615u64)),
            vec!["less_than_equal"]
        );
    }

    #[test]
    fn every_problem_in_an_object_is_listed() {
        let mut registry = Registry::new();
        let mut item = MetaSchema::new("object");
        item.required = vec!["name", "price"];
        item.properties = vec![("name", String::schema_ref()), ("price", f64::schema_ref())];
        registry.schemas.insert("Item".to_owned(), item);
        let mut checker = Checker::new(&registry);
        let body = json!({"price": "abc"});
        let schema = MetaSchemaRef::Reference("Item".to_owned());
        checker.check_json(vec!["body".into()], &body, &schema);
        let problems = checker.into_problems();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].loc, vec![Loc::from("body"), Loc::from("name")]);
        assert_eq!(problems[0].input, body);
        assert_eq!(problems[1].kind, "float_type");
        assert_eq!(problems[1].loc, vec![Loc::from("body"), Loc::from("price")]);
    }
}
