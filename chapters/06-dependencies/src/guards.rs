//! Header checks that stand before an operation: `/protected-items/` declares them itself,
//! and every operation under `/global/` gets them from its router.
//!
//! A check either lets the request through or answers for the operation: 422 when its header
//! is missing, 400 when the header holds the wrong value. The checks run in the order they are
//! declared, and the first one that fails answers.

use std::collections::HashMap;
use std::marker::PhantomData;

use kit::validation::{Loc, Problem};
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method};
use poem::{EndpointExt, Request, RequestBody};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaApi, MetaOperationParam, MetaParamIn, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
};

use crate::Tag;

// ANCHOR: required_header
/// A header that must hold one agreed value.
pub(crate) trait RequiredHeader {
    /// The header's name, as the document shows it.
    const NAME: &'static str;
    /// The value the header must hold.
    const EXPECTED: &'static str;
    /// What the document says about the header; never the value itself.
    const DESCRIPTION: &'static str;
}

/// The `X-Token` header: FastAPI's `verify_token`.
pub(crate) struct XToken;

impl RequiredHeader for XToken {
    const NAME: &'static str = "X-Token";
    const EXPECTED: &'static str = "fake-super-secret-token";
    const DESCRIPTION: &'static str = "The token agreed with the server.";
}

/// The `X-Key` header: FastAPI's `verify_key`.
pub(crate) struct XKey;

impl RequiredHeader for XKey {
    const NAME: &'static str = "X-Key";
    const EXPECTED: &'static str = "fake-super-secret-key";
    const DESCRIPTION: &'static str = "The key agreed with the server.";
}
// ANCHOR_END: required_header

// ANCHOR: verify
/// The answer of a header check that failed on a wrong value.
#[derive(Debug, ApiResponse)]
pub(crate) enum GuardError {
    /// A checked header holds the wrong value: `{"detail": "X-Token header invalid"}`, or the
    /// same for `X-Key`.
    #[oai(status = 400)]
    Invalid(Json<kit::Detail>),
}

/// Checks header `H`: a missing header is a 422 that names it, a wrong value a 400.
///
/// The value is compared in constant time: a comparison that stops at the first wrong byte
/// would tell an attacker, by its timing, how much of a guess was right.
fn verify<H: RequiredHeader>(headers: &HeaderMap) -> poem::Result<()> {
    let Some(value) = headers.get(H::NAME) else {
        let loc = vec![Loc::from("header"), Loc::Name(H::NAME.to_ascii_lowercase())];
        let problem = Problem::missing(loc, serde_json::Value::Null);
        return Err(poem::Error::from_response(kit::validation_error(vec![
            problem,
        ])));
    };
    if constant_time_eq::constant_time_eq(value.as_bytes(), H::EXPECTED.as_bytes()) {
        Ok(())
    } else {
        let message = format!("{} header invalid", H::NAME);
        Err(GuardError::Invalid(Json(kit::Detail::new(message))).into())
    }
}
// ANCHOR_END: verify

// ANCHOR: verified
/// A header check as an argument: an operation that takes `Verified<XToken>` runs the check
/// before its body, and the document lists the header among the operation's parameters.
///
/// poem-openapi names a parameter after its argument, so give the argument the header's name:
/// `#[oai(name = "X-Token")] _token: Verified<XToken>`.
pub(crate) struct Verified<H>(PhantomData<H>);

impl<'a, H: RequiredHeader + Send> ApiExtractor<'a> for Verified<H> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = true;
    type ParamType = String;
    type ParamRawType = String;

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(String::schema_ref())
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _options: ExtractParamOptions<String>,
    ) -> poem::Result<Self> {
        verify::<H>(request.headers())?;
        Ok(Self(PhantomData))
    }
}
// ANCHOR_END: verified

/// An item behind the header checks.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub(crate) struct ItemEntry {
    /// The item's name.
    item: String,
}

/// A user behind the header checks.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub(crate) struct UserEntry {
    /// The user's name.
    username: String,
}

fn items(names: &[&str]) -> Vec<ItemEntry> {
    names
        .iter()
        .map(|name| ItemEntry {
            item: (*name).to_owned(),
        })
        .collect()
}

// ANCHOR: protected
/// An operation that declares its own header checks.
pub(crate) struct ProtectedApi;

#[OpenApi]
impl ProtectedApi {
    /// List the protected items
    ///
    /// Needs the agreed `X-Token` and `X-Key` headers (the document does not say their values:
    /// no document should). The token is checked first: a missing header is a 422, a wrong
    /// value a 400.
    #[oai(path = "/protected-items/", method = "get", tag = "Tag::Guards")]
    async fn read_protected_items(
        &self,
        /// The token agreed with the server.
        #[oai(name = "X-Token")]
        _token: Verified<XToken>,
        /// The key agreed with the server.
        #[oai(name = "X-Key")]
        _key: Verified<XKey>,
    ) -> Result<Json<Vec<ItemEntry>>, GuardError> {
        Ok(Json(items(&["Foo", "Bar"])))
    }
}
// ANCHOR_END: protected

// ANCHOR: global_api
/// Operations that declare no checks: their router adds them (see [`RequireHeaders`]).
pub(crate) struct GlobalApi;

#[OpenApi]
impl GlobalApi {
    /// List the items behind the router's checks
    ///
    /// Declares no header itself: the router it is mounted in checks `X-Token` and `X-Key`
    /// before every one of its operations.
    #[oai(path = "/global/items/", method = "get", tag = "Tag::Guards")]
    async fn read_global_items(&self) -> Json<Vec<ItemEntry>> {
        Json(items(&["Portal Gun", "Plumbus"]))
    }

    /// List the users behind the router's checks
    ///
    /// The same checks as `GET /global/items/`, declared once for both.
    #[oai(path = "/global/users/", method = "get", tag = "Tag::Guards")]
    async fn read_global_users(&self) -> Json<Vec<UserEntry>> {
        Json(
            ["Rick", "Morty"]
                .map(|name| UserEntry {
                    username: name.to_owned(),
                })
                .into(),
        )
    }
}
// ANCHOR_END: global_api

// ANCHOR: require_headers
/// Every operation of `A` behind the `X-Token` and `X-Key` checks: FastAPI's
/// `APIRouter(dependencies=[Depends(verify_token), Depends(verify_key)])`.
///
/// poem-openapi turns each operation into an endpoint of a route table; this puts the checks
/// in front of each of them, and writes the two headers and the 400 answer into each
/// operation of the document.
pub(crate) struct RequireHeaders<A>(pub(crate) A);

impl<A: OpenApi> OpenApi for RequireHeaders<A> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = A::meta();
        let operations = apis
            .iter_mut()
            .flat_map(|api| &mut api.paths)
            .flat_map(|path| &mut path.operations);
        for op in operations {
            op.params
                .splice(0..0, [header_param::<XToken>(), header_param::<XKey>()]);
            op.responses.responses.extend(GuardError::meta().responses);
        }
        apis
    }

    fn register(registry: &mut Registry) {
        A::register(registry);
        GuardError::register(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        let mut routes = HashMap::new();
        self.0.add_routes(&mut routes);
        for (path, methods) in routes {
            for (method, endpoint) in methods {
                let guarded = endpoint.before(check_headers).boxed();
                route_table
                    .entry(path.clone())
                    .or_default()
                    .insert(method, guarded);
            }
        }
    }
}

/// The router's middleware: both checks, in order, before the operation sees the request.
async fn check_headers(request: Request) -> poem::Result<Request> {
    verify::<XToken>(request.headers())?;
    verify::<XKey>(request.headers())?;
    Ok(request)
}

/// How the document shows header `H`.
fn header_param<H: RequiredHeader>() -> MetaOperationParam {
    MetaOperationParam {
        name: H::NAME.to_owned(),
        schema: String::schema_ref(),
        in_type: MetaParamIn::Header,
        description: Some(H::DESCRIPTION.to_owned()),
        required: true,
        deprecated: false,
        explode: true,
        style: None,
    }
}
// ANCHOR_END: require_headers
