//! Bad input answered as FastAPI answers it: 422 and one entry per problem.
//!
//! [`FastapiErrors`] wraps an API before it is handed to `OpenApiService`. Each operation keeps
//! its own description (parameters, where each comes from, the request body's schemas), so
//! that when poem-openapi refuses a request, the operation can say exactly what was wrong and
//! where, instead of poem-openapi's `400 failed to parse parameter`.

use std::collections::HashMap;
use std::sync::Arc;

use poem::http::{HeaderMap, Method, StatusCode, Uri, header};
use poem::{Endpoint, EndpointExt, Request, Response};
use poem_openapi::OpenApi;
use poem_openapi::registry::{
    MetaApi, MetaMediaType, MetaOperation, MetaParamIn, MetaResponse, MetaSchema, MetaSchemaRef,
    Registry,
};
use serde_json::{Value, json};

use crate::body::{
    Loc, Problem, detail, error_response, is_form, is_json, is_multipart, media_type,
    same_media_type, validation_error,
};
use crate::route::{self, Template};
use crate::validation::Checker;
use crate::wording::{self, MultipartReason};

/// An API whose operations answer bad input with FastAPI's 422 body.
///
/// ```
/// use poem_openapi::{OpenApi, OpenApiService, payload::PlainText};
///
/// struct Api;
///
/// #[OpenApi]
/// impl Api {
///     /// Says hi
///     #[oai(path = "/", method = "get")]
///     async fn index(&self) -> PlainText<&'static str> {
///         PlainText("hi")
///     }
/// }
///
/// let service = OpenApiService::new(kit::FastapiErrors(Api), "My API", "1.0.0");
/// ```
#[derive(Debug, Clone)]
pub struct FastapiErrors<A>(pub A);

impl<A: OpenApi> OpenApi for FastapiErrors<A> {
    /// The operations as `A` describes them, plus FastAPI's `422 Validation Error` response
    /// on every operation that takes input; each path once, with all its operations.
    fn meta() -> Vec<MetaApi> {
        let mut apis = A::meta();
        let operations = apis
            .iter_mut()
            .flat_map(|api| api.paths.iter_mut())
            .flat_map(|path| path.operations.iter_mut());
        for op in operations {
            let takes_input = !op.params.is_empty() || op.request.is_some();
            let has_422 = op.responses.responses.iter().any(|r| r.status == Some(422));
            if takes_input && !has_422 {
                op.responses.responses.push(MetaResponse {
                    description: "Validation Error",
                    status: Some(422),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json",
                        schema: MetaSchemaRef::Reference(VALIDATION_ERROR_BODY.to_owned()),
                    }],
                    headers: Vec::new(),
                });
            }
        }
        merge_paths(&mut apis);
        apis
    }

    fn register(registry: &mut Registry) {
        A::register(registry);
        register_validation_schemas(registry);
    }

    fn add_routes(
        self,
        route_table: &mut HashMap<String, HashMap<Method, poem::endpoint::BoxEndpoint<'static>>>,
    ) {
        let mut registry = Registry::new();
        A::register(&mut registry);
        let registry = Arc::new(registry);
        let operations: Vec<(String, MetaOperation)> = A::meta()
            .into_iter()
            .flat_map(|api| api.paths)
            .flat_map(|path| {
                let template = path.path;
                path.operations
                    .into_iter()
                    .map(move |op| (template.clone(), op))
            })
            .collect();

        let mut inner = HashMap::new();
        self.0.add_routes(&mut inner);
        for (route, methods) in inner {
            let route_template = Template::new(&route);
            for (method, endpoint) in methods {
                let spec = operations
                    .iter()
                    .find(|(template, op)| {
                        op.method == method && Template::new(template).same_route(&route_template)
                    })
                    // An operation that reads nothing from a request has no refusal to explain.
                    .filter(|(_, op)| takes_input(op))
                    .map(|(template, op)| OperationSpec::new(template, op, registry.clone()));
                let endpoint = match spec {
                    Some(spec) => checked(endpoint, Arc::new(spec)),
                    None => endpoint,
                };
                route_table
                    .entry(route.clone())
                    .or_default()
                    .insert(method, endpoint);
            }
        }
    }
}

const VALIDATION_ERROR_BODY: &str = "HTTPValidationError";

/// The schemas of the 422 body, named as FastAPI names them.
/// Lists each path once, with every operation on it. Two `#[OpenApi]` types may serve one path
/// with different methods (an exercise's `GET` beside the lesson's `POST`); poem-openapi
/// routes both, but its document would list the path twice, and readers keep only the last.
fn merge_paths(apis: &mut [MetaApi]) {
    let mut first: HashMap<String, (usize, usize)> = HashMap::new();
    let mut moved = Vec::new();
    for (a, api) in apis.iter_mut().enumerate() {
        let mut kept = Vec::new();
        for path in std::mem::take(&mut api.paths) {
            match first.get(&path.path) {
                Some(&place) => moved.push((place, path.operations)),
                None => {
                    first.insert(path.path.clone(), (a, kept.len()));
                    kept.push(path);
                }
            }
        }
        api.paths = kept;
    }
    for ((a, p), operations) in moved {
        apis[a].paths[p].operations.extend(operations);
    }
}

fn register_validation_schemas(registry: &mut Registry) {
    let string = || MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")));
    let mut loc_item = MetaSchema::ANY;
    loc_item.any_of = vec![
        string(),
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("integer"))),
    ];
    let mut loc = MetaSchema::new("array");
    loc.items = Some(Box::new(MetaSchemaRef::Inline(Box::new(loc_item))));
    let mut problem = MetaSchema::new("object");
    problem.title = Some("ValidationError".to_owned());
    problem.description = Some("One problem with the input: where, what kind, and what was sent.");
    problem.required = vec!["type", "loc", "msg", "input"];
    problem.properties = vec![
        ("type", string()),
        ("loc", MetaSchemaRef::Inline(Box::new(loc))),
        ("msg", string()),
        ("input", MetaSchemaRef::Inline(Box::new(MetaSchema::ANY))),
        (
            "ctx",
            MetaSchemaRef::Inline(Box::new(MetaSchema::new("object"))),
        ),
    ];
    registry
        .schemas
        .insert("ValidationError".to_owned(), problem);
    let mut list = MetaSchema::new("array");
    list.items = Some(Box::new(MetaSchemaRef::Reference(
        "ValidationError".to_owned(),
    )));
    let mut body = MetaSchema::new("object");
    body.title = Some(VALIDATION_ERROR_BODY.to_owned());
    body.required = vec!["detail"];
    body.properties = vec![("detail", MetaSchemaRef::Inline(Box::new(list)))];
    registry
        .schemas
        .insert(VALIDATION_ERROR_BODY.to_owned(), body);
}

/// Whether an operation reads anything from a request: a parameter, a body, a credential.
fn takes_input(op: &MetaOperation) -> bool {
    !(op.params.is_empty() && op.request.is_none() && op.security.is_empty())
}

/// Where a query parameter takes one value and several are sent, the last one counts, as in
/// FastAPI (poem-openapi would take the first).
///
/// `OpenApiService` reads the query string into the values its parameters take once, when a
/// request comes in and before it is routed to an operation; an operation cannot change them.
/// So the conventions of [`crate::mount`] give each request to [`LastQueryValues::apply`]
/// before the service sees it, and the query string is rewritten there.
#[derive(Debug)]
pub(crate) struct LastQueryValues {
    paths: Vec<QueryNames>,
}

/// The query parameters that take one value, for each operation on one path.
#[derive(Debug)]
struct QueryNames {
    template: Template,
    methods: Vec<(Method, Vec<String>)>,
}

impl LastQueryValues {
    /// For the operations of `T`.
    pub(crate) fn of<T: OpenApi>() -> Self {
        let mut registry = Registry::new();
        T::register(&mut registry);
        let mut paths: Vec<QueryNames> = Vec::new();
        for path in T::meta().into_iter().flat_map(|api| api.paths) {
            // A path may be listed twice (by two APIs); the router serves both as one.
            let template = Template::new(&path.path);
            let at = match paths.iter().position(|p| p.template.same_route(&template)) {
                Some(at) => at,
                None => {
                    paths.push(QueryNames {
                        template,
                        methods: Vec::new(),
                    });
                    paths.len() - 1
                }
            };
            for op in path.operations {
                let single = op
                    .params
                    .iter()
                    .filter(|p| {
                        matches!(p.in_type, MetaParamIn::Query) && !is_list(&p.schema, &registry)
                    })
                    .map(|p| p.name.clone())
                    .collect();
                paths[at].methods.push((op.method, single));
            }
        }
        Self { paths }
    }

    /// Leaves in the query string only the last value of each name that the operation the
    /// request goes to reads as one value. Every other pair stays as it was sent.
    pub(crate) fn apply(&self, req: &mut Request) {
        let Some(query) = req.uri().query() else {
            return;
        };
        let Some(path) = route::best(req.uri().path(), &self.paths, |p| &p.template) else {
            return;
        };
        // The router answers a `HEAD` with the `GET` operation when there is no `HEAD` one.
        let operation = |method: &Method| path.methods.iter().find(|(m, _)| m == method);
        let found = operation(req.method()).or_else(|| {
            (req.method() == Method::HEAD)
                .then(|| operation(&Method::GET))
                .flatten()
        });
        let Some((_, single)) = found.filter(|(_, single)| !single.is_empty()) else {
            return;
        };
        let pieces: Vec<&str> = query.split('&').collect();
        // Each pair's name as poem-openapi reads it (decoded, invalid UTF-8 replaced).
        let names: Vec<String> = pieces
            .iter()
            .map(|piece| {
                form_urlencoded::parse(piece.as_bytes())
                    .next()
                    .map(|(name, _)| name.into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let keep = last_of_each(&names, |name| single.iter().any(|s| s == name));
        if keep.iter().all(|k| *k) {
            return;
        }
        let kept: Vec<&str> = pieces
            .iter()
            .zip(&keep)
            .filter(|(_, keep)| **keep)
            .map(|(piece, _)| *piece)
            .collect();
        let path_and_query = format!("{}?{}", req.uri().path(), kept.join("&"));
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = path_and_query.parse().ok();
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}

fn checked(
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    spec: Arc<OperationSpec>,
) -> poem::endpoint::BoxEndpoint<'static> {
    endpoint
        .around(move |inner, mut req| {
            let spec = spec.clone();
            async move {
                if !spec.body.is_empty() {
                    crate::multipart::tolerate_control_characters(&mut req);
                }
                if let Err(problems) = spec.read_multipart_form(&mut req).await {
                    return Ok(validation_error(problems));
                }
                let seen = Seen {
                    uri: req.uri().clone(),
                    // Kept only where a refusal could be explained from them.
                    headers: if spec.reads_headers() {
                        req.headers().clone()
                    } else {
                        HeaderMap::new()
                    },
                    body: spec.keep_body(&mut req).await?,
                };
                if let Some(problems) = spec.strict_json_problems(&seen) {
                    return Ok(validation_error(problems));
                }
                match inner.call(req).await {
                    Ok(response) => Ok(response),
                    Err(err) => Ok(spec.explain(err, &seen)),
                }
            }
        })
        .boxed()
}

/// What the request carried, kept to explain a refusal.
struct Seen {
    uri: Uri,
    headers: HeaderMap,
    body: Option<bytes::Bytes>,
}

/// One input parameter of an operation.
struct Param {
    name: String,
    /// The name in `loc`: a header's in lower case, as FastAPI gives it.
    loc_name: String,
    source: &'static str,
    schema: MetaSchemaRef,
    required: bool,
}

/// What an operation expects: its path template, parameters and body.
struct OperationSpec {
    template: Template,
    params: Vec<Param>,
    body: Vec<(&'static str, MetaSchemaRef)>,
    body_required: bool,
    /// One `WWW-Authenticate` challenge per security scheme of the operation.
    challenges: Vec<&'static str>,
    registry: Arc<Registry>,
}

impl OperationSpec {
    fn new(template: &str, op: &MetaOperation, registry: Arc<Registry>) -> Self {
        let template = Template::new(template);
        // FastAPI lists problems source by source: path, query, header, cookie.
        let order = |source: &str| {
            ["path", "query", "header", "cookie"]
                .iter()
                .position(|s| *s == source)
        };
        let mut params: Vec<Param> = op
            .params
            .iter()
            .map(|p| Param {
                name: p.name.clone(),
                loc_name: match p.in_type {
                    MetaParamIn::Header => p.name.to_ascii_lowercase(),
                    _ => p.name.clone(),
                },
                source: source_name(&p.in_type),
                schema: p.schema.clone(),
                required: p.required,
            })
            .collect();
        params.sort_by_key(|p| order(p.source));
        let (body, body_required) = match &op.request {
            Some(request) => (
                request
                    .content
                    .iter()
                    .map(
                        |MetaMediaType {
                             content_type,
                             schema,
                         }| (*content_type, schema.clone()),
                    )
                    .collect(),
                request.required,
            ),
            None => (Vec::new(), false),
        };
        let mut challenges = Vec::new();
        let schemes = op
            .security
            .iter()
            .flat_map(|requirement| requirement.keys())
            .filter_map(|name| registry.security_schemes.get(name));
        for scheme in schemes {
            let challenge = match (scheme.ty, scheme.scheme) {
                ("oauth2", _) | ("http", Some("bearer")) => "Bearer",
                ("http", Some("basic")) => "Basic",
                ("apiKey", _) => "APIKey",
                _ => continue,
            };
            if !challenges.contains(&challenge) {
                challenges.push(challenge);
            }
        }
        Self {
            template,
            params,
            body,
            body_required,
            challenges,
            registry,
        }
    }

    // ANCHOR: multipart_form
    /// Whether the operation reads a form (`application/x-www-form-urlencoded`) and no
    /// multipart body of its own.
    fn takes_form(&self) -> bool {
        self.body.iter().any(|(declared, _)| is_form(declared))
            && !self.body.iter().any(|(declared, _)| is_multipart(declared))
    }

    /// A form operation takes `multipart/form-data` too, as FastAPI's `Form` does: the parts
    /// are read as the fields of a urlencoded form, which the operation then reads as if it
    /// had been sent so. A part that is a file where the form has a field is a 422, as in
    /// FastAPI; so is a multipart body that cannot be read.
    async fn read_multipart_form(&self, req: &mut Request) -> Result<(), Vec<Problem>> {
        if !self.takes_form() || !req.content_type().is_some_and(is_multipart) {
            return Ok(());
        }
        let fields: Vec<&str> = self
            .body
            .iter()
            .find(|(declared, _)| is_form(declared))
            .and_then(|(_, schema)| resolve(schema, &self.registry))
            .map(|schema| schema.properties.iter().map(|(name, _)| *name).collect())
            .unwrap_or_default();
        let unreadable =
            |err: poem::error::ParseMultipartError| vec![multipart_problem(&err.to_string())];
        let mut body = poem::RequestBody::new(req.take_body());
        let mut multipart =
            <poem::web::Multipart as poem::FromRequest>::from_request(req, &mut body)
                .await
                .map_err(
                    |err| match err.downcast::<poem::error::ParseMultipartError>() {
                        Ok(err) => unreadable(err),
                        Err(err) => vec![multipart_problem(&err.to_string())],
                    },
                )?;
        let mut pairs = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() && fields.contains(&name.as_str()) {
                files.push(Problem::new(
                    "string_type",
                    vec![Loc::from("body"), Loc::from(name.as_str())],
                    "Input should be a valid string",
                    Value::Null,
                ));
            }
            let value = field.bytes().await.map_err(unreadable)?;
            pairs.push((name, String::from_utf8_lossy(&value).into_owned()));
        }
        if !files.is_empty() {
            return Err(files);
        }
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        req.set_body(form);
        Ok(())
    }
    // ANCHOR_END: multipart_form

    /// Reads a JSON or form body into memory (the body limit bounds it) so that it can be
    /// checked again if the operation refuses it; other bodies stream through untouched.
    ///
    /// A form body is also put in FastAPI's terms for the operation: of a repeated field the
    /// last value counts, and an empty field counts as missing.
    async fn keep_body(&self, req: &mut Request) -> poem::Result<Option<bytes::Bytes>> {
        let content_type = req.content_type().unwrap_or_default();
        let form = is_form(content_type);
        if !(is_json(content_type) || form) || self.body.is_empty() {
            return Ok(None);
        }
        let bytes = req.take_body().into_bytes().await?;
        // The operation reads the form in FastAPI's terms; a refusal is explained from the
        // form as it was sent.
        let given = if form {
            self.normalize_form(&bytes)
        } else {
            bytes.clone()
        };
        req.set_body(given);
        Ok(Some(bytes))
    }

    fn normalize_form(&self, bytes: &[u8]) -> bytes::Bytes {
        let Some((_, schema)) = self.body.iter().find(|(declared, _)| is_form(declared)) else {
            return bytes::Bytes::copy_from_slice(bytes);
        };
        let Some(schema) = resolve(schema, &self.registry) else {
            return bytes::Bytes::copy_from_slice(bytes);
        };
        let single = |name: &str| {
            schema
                .properties
                .iter()
                .any(|(p, s)| *p == name && !is_list(s, &self.registry))
        };
        let pairs: Vec<(String, String)> = form_urlencoded::parse(bytes).into_owned().collect();
        let names: Vec<String> = pairs.iter().map(|(name, _)| name.clone()).collect();
        // An empty value of a single field counts as missing.
        let kept = pairs
            .into_iter()
            .zip(last_of_each(&names, single))
            .filter(|((name, value), last)| *last && !(single(name) && value.is_empty()))
            .map(|(pair, _)| pair);
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish()
            .into()
    }

    /// The answer to a request that the operation refused with `err`.
    fn explain(&self, err: poem::Error, seen: &Seen) -> Response {
        if err.is::<poem_openapi::error::AuthorizationError>() {
            let mut response = detail(StatusCode::UNAUTHORIZED, "Not authenticated");
            for challenge in &self.challenges {
                response.headers_mut().append(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static(challenge),
                );
            }
            return response;
        }
        if !is_input_error(&err) {
            return error_response(err);
        }
        let mut problems = self.problems(seen, Some(&err));
        if problems.is_empty() {
            problems.push(self.fallback(&err, seen));
        }
        validation_error(problems)
    }

    /// Whether a refusal is explained from the request's headers: a header or cookie
    /// parameter, or the body's content type.
    fn reads_headers(&self) -> bool {
        !self.body.is_empty()
            || self
                .params
                .iter()
                .any(|p| matches!(p.source, "header" | "cookie"))
    }

    /// Every problem with the request's inputs, in FastAPI's order.
    /// poem-openapi reads a JSON number or boolean into a `String` field; the workbook (as
    /// FastAPI) wants every JSON value to have its JSON type. So a JSON body is checked against
    /// its schema before the operation sees it, and any problem is answered at once (with the
    /// problems of the other inputs, as FastAPI lists them all).
    fn strict_json_problems(&self, seen: &Seen) -> Option<Vec<Problem>> {
        let content_type = seen
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let declares_json = self.body.iter().any(|(declared, _)| is_json(declared));
        if seen.body.is_none() || !is_json(content_type) || !declares_json {
            return None;
        }
        if self.body_problems(seen).is_empty() {
            return None;
        }
        Some(self.problems(seen, None))
    }

    fn problems(&self, seen: &Seen, err: Option<&poem::Error>) -> Vec<Problem> {
        let mut checker = Checker::new(&self.registry);
        for param in &self.params {
            let loc = vec![Loc::from(param.source), Loc::Name(param.loc_name.clone())];
            let values = self.values(param, seen);
            if param.source == "path"
                && self
                    .raw_path_value(param, seen)
                    .is_some_and(|raw| raw.decode_utf8().is_err())
            {
                let input = Value::String(values.concat());
                checker.report(Problem::new(
                    "string_unicode",
                    loc,
                    "Input should be a valid string, unable to parse raw data as a unicode string",
                    input,
                ));
                continue;
            }
            let list = resolve(&param.schema, &self.registry).filter(|s| s.ty == "array");
            match (values.as_slice(), list) {
                ([], _) if param.required => checker.report(Problem::missing(loc, Value::Null)),
                ([], _) => {}
                (values, Some(list)) => {
                    if let Some(item) = &list.items {
                        for (i, value) in values.iter().enumerate() {
                            let mut item_loc = loc.clone();
                            item_loc.push(Loc::Index(i));
                            checker.check_text(item_loc, value, item);
                        }
                    }
                }
                ([.., last], None) => checker.check_text(loc, last, &param.schema),
            }
        }
        let mut problems = checker.into_problems();
        let multipart = err.and_then(|err| {
            let reason = match err.downcast_ref::<poem_openapi::error::ParseMultipartError>() {
                Some(e) => e.reason.clone(),
                None => err
                    .downcast_ref::<poem::error::ParseMultipartError>()?
                    .to_string(),
            };
            Some(reason)
        });
        match multipart {
            Some(reason) => problems.push(multipart_problem(&reason)),
            None => problems.extend(self.body_problems(seen)),
        }
        problems
    }

    /// The path segment a path parameter received, still percent-encoded.
    fn raw_path_value<'s>(
        &self,
        param: &Param,
        seen: &'s Seen,
    ) -> Option<percent_encoding::PercentDecode<'s>> {
        let segment = self.template.value(&param.name, seen.uri.path())?;
        Some(percent_encoding::percent_decode_str(segment))
    }

    /// The raw values a parameter received, in order.
    fn values(&self, param: &Param, seen: &Seen) -> Vec<String> {
        match param.source {
            "path" => self
                .raw_path_value(param, seen)
                .map(|raw| raw.decode_utf8_lossy().into_owned())
                .into_iter()
                .collect(),
            "query" => form_urlencoded::parse(seen.uri.query().unwrap_or_default().as_bytes())
                .filter(|(name, _)| *name == param.name)
                .map(|(_, value)| value.into_owned())
                .collect(),
            "header" => seen
                .headers
                .get_all(param.name.as_str())
                .iter()
                .take(1)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect(),
            "cookie" => seen
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .filter(|(name, _)| *name == param.name)
                .map(|(_, value)| value.to_owned())
                .collect(),
            _ => Vec::new(),
        }
    }

    fn body_problems(&self, seen: &Seen) -> Vec<Problem> {
        if self.body.is_empty() {
            return Vec::new();
        }
        let content_type = seen
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let bytes = seen.body.clone().unwrap_or_default();
        let accepts = |check: fn(&str) -> bool| {
            self.body
                .iter()
                .find(|(declared, _)| check(declared))
                .map(|(_, s)| s)
        };
        let mut checker = Checker::new(&self.registry);
        let body_loc = || vec![Loc::from("body")];
        let form_only = self.body.iter().all(|(declared, _)| is_form(declared));
        if bytes.is_empty()
            && self.body_required
            && (content_type.is_empty() || is_form(content_type))
            && form_only
        {
            // An empty form is a form whose every field is missing, as FastAPI lists it.
            if let Some(schema) = accepts(is_form) {
                check_form(&mut checker, &bytes, schema, &self.registry);
                return checker.into_problems();
            }
        }
        if bytes.is_empty()
            && self.body_required
            && (content_type.is_empty() || is_json(content_type) || is_form(content_type))
        {
            return vec![Problem::missing(body_loc(), Value::Null)];
        }
        if is_json(content_type)
            && let Some(schema) = accepts(is_json)
        {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(value) => checker.check_json(body_loc(), &value, schema),
                Err(err) => return vec![json_invalid(&bytes, &err)],
            }
        } else if is_form(content_type)
            && let Some(schema) = accepts(is_form)
        {
            check_form(&mut checker, &bytes, schema, &self.registry);
        } else if !self
            .body
            .iter()
            .any(|(declared, _)| same_media_type(declared, content_type))
        {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let expected = self
                .body
                .iter()
                .map(|(t, _)| media_type(t))
                .collect::<Vec<_>>()
                .join(" or ");
            return vec![Problem::new(
                "model_attributes_type",
                body_loc(),
                format!(
                    "Input should be a valid dictionary or object to extract fields from (send {expected})"
                ),
                Value::String(text),
            )];
        }
        checker.into_problems()
    }

    /// One entry built from poem-openapi's own message, for a refusal the schemas do not
    /// explain (a custom parser or validator, say).
    fn fallback(&self, err: &poem::Error, seen: &Seen) -> Problem {
        let by_name = err
            .downcast_ref::<poem_openapi::error::ParseParamError>()
            .and_then(|e| self.params.iter().find(|p| p.name == e.name));
        // A path value that does not parse is named by position: `param1` is the second
        // `{name}` of the path.
        let by_position = || {
            let e = err.downcast_ref::<poem_openapi::error::ParsePathError>()?;
            let position = wording::path_param_position(e.name)?;
            let name = self.template.param(position)?;
            self.params
                .iter()
                .find(|p| p.source == "path" && p.name == name)
        };
        let param = by_name.or_else(by_position);
        match param {
            Some(param) => {
                let input = self
                    .values(param, seen)
                    .pop()
                    .map_or(Value::Null, Value::String);
                Problem::new(
                    "value_error",
                    vec![Loc::from(param.source), Loc::Name(param.loc_name.clone())],
                    reason(err),
                    input,
                )
            }
            None => Problem::new(
                "value_error",
                vec![Loc::from("body")],
                reason(err),
                Value::Null,
            ),
        }
    }
}

/// For each of `names`, whether it is kept: of a name for which `single` holds, only the
/// last one is.
fn last_of_each(names: &[String], single: impl Fn(&str) -> bool) -> Vec<bool> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| !single(name) || !names[i + 1..].contains(name))
        .collect()
}

fn resolve<'a>(
    schema: &'a MetaSchemaRef,
    registry: &'a Registry,
) -> Option<&'a poem_openapi::registry::MetaSchema> {
    match schema {
        MetaSchemaRef::Inline(schema) => Some(schema),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
    }
}

fn is_list(schema: &MetaSchemaRef, registry: &Registry) -> bool {
    resolve(schema, registry).is_some_and(|s| s.ty == "array")
}

/// A multipart body is not kept, so its problem is read from poem-openapi's reason (see
/// [`wording::multipart_reason`]).
fn multipart_problem(reason: &str) -> Problem {
    let field = |name: &str| vec![Loc::from("body"), Loc::from(name)];
    match wording::multipart_reason(reason) {
        MultipartReason::Missing(name) => Problem::missing(field(name), Value::Null),
        MultipartReason::Field(name, message) => {
            Problem::new("value_error", field(name), message.to_owned(), Value::Null)
        }
        MultipartReason::Unknown(name) => Problem::new(
            "extra_forbidden",
            field(name),
            "Extra inputs are not permitted",
            Value::Null,
        ),
        MultipartReason::Body => Problem::new(
            "value_error",
            vec![Loc::from("body")],
            format!("There was an error parsing the body: {reason}"),
            Value::Null,
        ),
    }
}

fn source_name(source: &MetaParamIn) -> &'static str {
    match source {
        MetaParamIn::Path => "path",
        MetaParamIn::Query => "query",
        MetaParamIn::Header => "header",
        _ => "cookie",
    }
}

/// Errors that mean "the input is wrong", as opposed to "the handler failed".
fn is_input_error(err: &poem::Error) -> bool {
    use poem_openapi::error as oai;
    err.is::<oai::ParseParamError>()
        || err.is::<oai::ParsePathError>()
        || err.is::<poem::error::ParsePathError>()
        || err.is::<oai::ParseRequestPayloadError>()
        || err.is::<oai::ParseMultipartError>()
        || err.is::<oai::ContentTypeError>()
        || err.is::<poem::error::ParseJsonError>()
        || err.is::<poem::error::ParseMultipartError>()
        || err.is::<poem::error::ParseFormError>()
}

/// The part of poem-openapi's message that explains, without its prefix.
fn reason(err: &poem::Error) -> String {
    use poem_openapi::error as oai;
    if let Some(e) = err.downcast_ref::<oai::ParseParamError>() {
        return e.reason.clone();
    }
    if let Some(e) = err.downcast_ref::<oai::ParsePathError>() {
        return e.reason.clone();
    }
    if let Some(e) = err.downcast_ref::<oai::ParseRequestPayloadError>() {
        return e.reason.clone();
    }
    if let Some(e) = err.downcast_ref::<oai::ParseMultipartError>() {
        return e.reason.clone();
    }
    err.to_string()
}

/// FastAPI's answer to a body that is not JSON: where the parser gave up, and why.
fn json_invalid(bytes: &[u8], err: &serde_json::Error) -> Problem {
    // At the end of the input, Python points after the last byte and serde_json at it.
    let offset = if err.is_eof() {
        bytes.len()
    } else {
        byte_offset(bytes, err.line(), err.column())
    };
    let reason = wording::json_error_reason(err);
    Problem::new(
        "json_invalid",
        vec![Loc::from("body"), Loc::Index(offset)],
        "JSON decode error",
        json!({}),
    )
    .with_ctx(json!({"error": reason}))
}

/// serde_json counts lines and columns from 1; FastAPI gives an offset from 0.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = bytes
        .split(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// Checks a form body field by field; an empty field counts as missing, as FastAPI does.
fn check_form<'a>(
    checker: &mut Checker<'a>,
    bytes: &[u8],
    schema: &'a MetaSchemaRef,
    registry: &'a Registry,
) {
    let Some(schema) = resolve(schema, registry) else {
        return;
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(bytes).into_owned().collect();
    // FastAPI reads form fields one by one, so a missing one has no input (and the form's
    // other fields, a password among them, are not sent back).
    for (name, property) in &schema.properties {
        let loc = vec![Loc::from("body"), Loc::from(*name)];
        let last = pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match last {
            None | Some("") if schema.required.contains(name) => {
                checker.report(Problem::missing(loc, Value::Null));
            }
            None | Some("") => {}
            Some(value) => checker.check_text(loc, value, property),
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::param::Query;
    use poem_openapi::payload::PlainText;

    use super::*;

    struct Api;

    #[OpenApi]
    impl Api {
        #[oai(path = "/search", method = "get")]
        async fn search(
            &self,
            q: Query<Option<String>>,
            tag: Query<Vec<String>>,
        ) -> PlainText<String> {
            PlainText(format!("{:?} {:?}", q.0, tag.0))
        }

        #[oai(path = "/search", method = "post")]
        async fn post(&self) -> PlainText<&'static str> {
            PlainText("")
        }

        #[oai(path = "/search/:kind", method = "get")]
        async fn kind(&self, kind: poem_openapi::param::Path<String>) -> PlainText<String> {
            PlainText(kind.0)
        }
    }

    fn rewritten(method: Method, uri: &str) -> String {
        let mut req = Request::builder().method(method).uri_str(uri).finish();
        LastQueryValues::of::<Api>().apply(&mut req);
        req.uri().to_string()
    }

    #[test]
    fn only_the_last_of_a_single_query_value_is_left() {
        // The pairs that stay are left as they were sent, escapes and all.
        assert_eq!(
            rewritten(Method::GET, "/search?q=a&tag=x&%71=b+c&tag=y&page=1&page=2"),
            "/search?tag=x&%71=b+c&tag=y&page=1&page=2"
        );
        assert_eq!(rewritten(Method::HEAD, "/search?q=a&q=b"), "/search?q=b");
        assert_eq!(
            rewritten(Method::GET, "http://example.com/search?q=a&q=b"),
            "http://example.com/search?q=b"
        );
        // No such parameter on the operation, path or method that the request goes to.
        assert_eq!(
            rewritten(Method::POST, "/search?q=a&q=b"),
            "/search?q=a&q=b"
        );
        assert_eq!(
            rewritten(Method::GET, "/search/x?q=a&q=b"),
            "/search/x?q=a&q=b"
        );
        assert_eq!(rewritten(Method::GET, "/other?q=a&q=b"), "/other?q=a&q=b");
    }
}
