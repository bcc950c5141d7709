//! What kit reads in the words of other crates' error messages.
//!
//! Some of what poem-openapi and serde_json know about a refusal is given only in a
//! sentence: which multipart field was wrong, what a JSON parser's complaint was without its
//! position, which path value did not parse. Every place where kit reads such words is here,
//! and the tests below give the exact words of the versions this was written for
//! (poem-openapi 5.1, serde_json 1.0). An upgrade that rewords them fails those tests, here,
//! instead of quietly changing the 422 bodies of the chapters.

/// What a refused `multipart/form-data` body is about, read from poem-openapi's reason.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MultipartReason<'a> {
    /// "field `f` is required".
    Missing(&'a str),
    /// "failed to parse field `f`: …" or "field `f` verification failed. …": the field, and
    /// what was wrong with it.
    Field(&'a str, &'a str),
    /// "unknown field `f`", from a form that denies unknown fields.
    Unknown(&'a str),
    /// Anything else (a body cut short before any field, say): the body as a whole.
    Body,
}

/// Reads poem-openapi's reason for refusing a multipart body. Its forms are fixed by the
/// `Multipart` derive and its validators.
pub(crate) fn multipart_reason(reason: &str) -> MultipartReason<'_> {
    let named = |prefix: &str| {
        let rest = reason.strip_prefix(prefix)?;
        let (name, rest) = rest.split_once('`')?;
        Some((name, rest.trim_start_matches(':').trim()))
    };
    match named("field `").or_else(|| named("failed to parse field `")) {
        Some((name, "is required")) => MultipartReason::Missing(name),
        Some((name, message)) => MultipartReason::Field(name, message),
        None => match named("unknown field `") {
            Some((name, _)) => MultipartReason::Unknown(name),
            None => MultipartReason::Body,
        },
    }
}

/// serde_json's complaint about a body that is not JSON, without the position it appends
/// (`EOF while parsing an object at line 1 column 1` gives `EOF while parsing an object`).
/// The position is read from the error itself.
pub(crate) fn json_error_reason(err: &serde_json::Error) -> String {
    let message = err.to_string();
    message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned()
}

/// poem-openapi names a path value that does not parse by its position, counted from 0:
/// `param1` is the second. The position, or `None` for a name of another form.
pub(crate) fn path_param_position(name: &str) -> Option<usize> {
    name.strip_prefix("param")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use poem::http::Method;
    use poem::{Endpoint, IntoEndpoint, Request, RequestBody};
    use poem_openapi::payload::{ParsePayload, PlainText};
    use poem_openapi::{Multipart, OpenApi, OpenApiService, param::Path};

    use super::*;

    // Written for poem-openapi 5.1 (5.1.16). If this fails after an upgrade, poem-openapi has
    // reworded its refusals of multipart forms: read the new words, fix `multipart_reason`,
    // and update the words here.
    #[derive(Debug, Multipart)]
    #[oai(deny_unknown_fields)]
    struct Form {
        name: String,
        #[oai(validator(maximum(value = "10")))]
        count: i64,
    }

    async fn parse(parts: &[(&str, &str)]) -> poem::Result<Form> {
        let boundary = "X-BOUNDARY";
        let mut body = String::new();
        for (name, value) in parts {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let req = Request::builder()
            .method(Method::POST)
            .content_type(&format!("multipart/form-data; boundary={boundary}"))
            .finish();
        Form::from_request(&req, &mut RequestBody::new(body.into())).await
    }

    async fn refusal(parts: &[(&str, &str)]) -> String {
        let err = parse(parts).await.expect_err("the form is refused");
        err.downcast_ref::<poem_openapi::error::ParseMultipartError>()
            .expect("a multipart error")
            .reason
            .clone()
    }

    #[tokio::test]
    async fn poem_openapi_5_1_words_multipart_refusals_so() {
        let form = parse(&[("name", "a"), ("count", "3")])
            .await
            .expect("a good form");
        assert_eq!((form.name.as_str(), form.count), ("a", 3));

        let missing = refusal(&[("count", "1")]).await;
        assert_eq!(missing, "field `name` is required");
        assert_eq!(multipart_reason(&missing), MultipartReason::Missing("name"));

        // After the colon come poem-openapi's words for the value, then the standard
        // library's for the number, which are not read.
        let unparsed = refusal(&[("name", "a"), ("count", "many")]).await;
        let why = unparsed
            .strip_prefix("failed to parse field `count`: ")
            .expect("poem-openapi's words for a field that does not parse");
        assert!(
            why.starts_with("failed to parse \"integer_int64\": "),
            "{why}"
        );
        assert_eq!(
            multipart_reason(&unparsed),
            MultipartReason::Field("count", why)
        );

        let too_big = refusal(&[("name", "a"), ("count", "11")]).await;
        assert_eq!(
            too_big,
            "field `count` verification failed. maximum(10, exclusive: false)"
        );
        assert_eq!(
            multipart_reason(&too_big),
            MultipartReason::Field(
                "count",
                "verification failed. maximum(10, exclusive: false)"
            )
        );

        let unknown = refusal(&[("name", "a"), ("count", "1"), ("extra", "x")]).await;
        assert_eq!(unknown, "unknown field `extra`");
        assert_eq!(
            multipart_reason(&unknown),
            MultipartReason::Unknown("extra")
        );

        assert_eq!(
            multipart_reason("multipart stream ended early"),
            MultipartReason::Body
        );
    }

    // Written for poem-openapi 5.1 (5.1.16): the router names path values `param0`,
    // `param1`… in the order of the path.
    #[tokio::test]
    async fn poem_openapi_5_1_names_path_values_by_position() {
        struct Api;

        #[OpenApi]
        impl Api {
            #[oai(path = "/pairs/:left/:right", method = "get")]
            async fn pair(&self, left: Path<i64>, right: Path<i64>) -> PlainText<String> {
                PlainText(format!("{}{}", left.0, right.0))
            }
        }

        let app = OpenApiService::new(Api, "Test", "1").into_endpoint();
        let err = app
            .call(Request::builder().uri_str("/pairs/1/two").finish())
            .await
            .expect_err("the path is refused");
        let err = err
            .downcast_ref::<poem_openapi::error::ParsePathError>()
            .expect("a path error");
        assert_eq!(err.name, "param1");
        assert_eq!(path_param_position(err.name), Some(1));
        assert_eq!(path_param_position("left"), None);
    }

    // Written for serde_json 1.0 (1.0.154).
    #[test]
    fn serde_json_1_0_words_its_errors_so() {
        let err = serde_json::from_slice::<serde_json::Value>(b"{").expect_err("not JSON");
        assert_eq!(
            err.to_string(),
            "EOF while parsing an object at line 1 column 1"
        );
        assert_eq!(json_error_reason(&err), "EOF while parsing an object");

        let err =
            serde_json::from_slice::<serde_json::Value>(b"{\"a\":\n tru}").expect_err("not JSON");
        assert_eq!(err.to_string(), "expected ident at line 2 column 5");
        assert_eq!(json_error_reason(&err), "expected ident");
    }
}
