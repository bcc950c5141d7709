//! The exercises' solutions: a request id that two operations share (exercise 1), and a
//! paginator whose limits are set when the app is built (exercise 2).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kit::validation::{Loc, Problem};
use poem::{Request, RequestBody};
use poem_openapi::error::ParseParamError;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaParamIn, MetaSchema, MetaSchemaRef};
use poem_openapi::types::Example;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, Object, OpenApi, Tags};
use serde_json::json;

use crate::parameters::CatalogueItem;

/// The exercises' sections of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// A request id that the client may send and the server otherwise makes (exercise 1).
    #[oai(
        external_docs = "https://docs.rs/poem-openapi/latest/poem_openapi/trait.ApiExtractor.html"
    )]
    Tracing,
    /// Pages of a long list, with limits set when the app is built (exercise 2).
    #[oai(
        external_docs = "https://fastapi.tiangolo.com/advanced/advanced-dependencies/#parameterized-dependencies"
    )]
    Pagination,
}

// ANCHOR: request_id
/// The ids made so far for requests that came without one; shared by every request.
#[derive(Debug, Default)]
pub(crate) struct RequestIds {
    made: AtomicU64,
}

/// The request's id: the `X-Request-Id` header when the client sent one, else an id the server
/// makes (`req-1`, `req-2`, …). A sent id must be 1 to 64 visible ASCII characters.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(String);

impl<'a> ApiExtractor<'a> for RequestId {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = false;
    type ParamType = String;
    type ParamRawType = String;

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    /// What the document says a sent id must be; `kit::FastapiErrors` explains a refused one
    /// against this same schema.
    fn param_schema_ref() -> Option<MetaSchemaRef> {
        let mut schema = MetaSchema::new("string");
        schema.max_length = Some(64);
        schema.pattern = Some("^[!-~]+$".to_owned());
        Some(MetaSchemaRef::Inline(Box::new(schema)))
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        options: ExtractParamOptions<String>,
    ) -> poem::Result<Self> {
        // Read under the name the document shows: the argument's `#[oai(name = ...)]`.
        let Some(value) = request.headers().get(options.name) else {
            let ids = request.data::<Arc<RequestIds>>().ok_or_else(|| {
                poem::Error::from_string(
                    "no RequestIds in the app's data",
                    poem::http::StatusCode::INTERNAL_SERVER_ERROR,
                )
            })?;
            let n = ids.made.fetch_add(1, Ordering::SeqCst) + 1;
            return Ok(Self(format!("req-{n}")));
        };
        let valid = !value.is_empty()
            && value.len() <= 64
            && value.as_bytes().iter().all(|b| (b'!'..=b'~').contains(b));
        match value.to_str() {
            Ok(id) if valid => Ok(Self(id.to_owned())),
            _ => Err(ParseParamError {
                name: options.name,
                reason: "not 1 to 64 visible ASCII characters".to_owned(),
            }
            .into()),
        }
    }
}
// ANCHOR_END: request_id

/// Items, and the id of the request that listed them.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub(crate) struct TracedItems {
    /// The request's id.
    request_id: String,
    /// The items.
    items: Vec<CatalogueItem>,
}

/// Users, and the id of the request that listed them.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub(crate) struct TracedUsers {
    /// The request's id.
    request_id: String,
    /// The users' names.
    users: Vec<String>,
}

// ANCHOR: tracing_api
/// Exercise 1's solution: two operations that share the request-id dependency.
pub(crate) struct TracingApi;

#[OpenApi]
impl TracingApi {
    /// List the items, with the request's id
    ///
    /// Answers the id sent in `X-Request-Id`, or one the server made when none was sent.
    #[oai(path = "/traced/items/", method = "get", tag = "ExerciseTag::Tracing")]
    async fn read_traced_items(
        &self,
        /// An id for this request, 1 to 64 visible ASCII characters; the server makes one
        /// when it is left out.
        #[oai(name = "X-Request-Id")]
        request_id: RequestId,
    ) -> Json<TracedItems> {
        Json(TracedItems {
            request_id: request_id.0,
            items: vec![CatalogueItem {
                item_name: "Foo".to_owned(),
            }],
        })
    }

    /// List the users, with the request's id
    ///
    /// The same dependency as `GET /traced/items/`.
    #[oai(path = "/traced/users/", method = "get", tag = "ExerciseTag::Tracing")]
    async fn read_traced_users(
        &self,
        /// An id for this request, 1 to 64 visible ASCII characters; the server makes one
        /// when it is left out.
        #[oai(name = "X-Request-Id")]
        request_id: RequestId,
    ) -> Json<TracedUsers> {
        Json(TracedUsers {
            request_id: request_id.0,
            users: vec!["Rick".to_owned(), "Morty".to_owned()],
        })
    }
}
// ANCHOR_END: tracing_api

// ANCHOR: paginator
/// How many items `/paginated-items/` pages through.
const TOTAL_ITEMS: i64 = 100;

/// A dependency with its own settings: FastAPI's callable instance
/// (`paginator = Paginator(max_limit=50)`, then `Depends(paginator)`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paginator {
    default_limit: i64,
    max_limit: i64,
}

impl Paginator {
    /// A paginator that gives `default_limit` items when no `limit` is asked, and refuses a
    /// `limit` over `max_limit`.
    pub(crate) const fn new(default_limit: i64, max_limit: i64) -> Self {
        Self {
            default_limit,
            max_limit,
        }
    }

    /// The page asked for, or a 422 that says `limit` is over the maximum (the same answer
    /// as a `validator(maximum)` would give, with a maximum known only at run time).
    fn page(&self, skip: i64, limit: Option<i64>) -> poem::Result<Page> {
        let limit = limit.unwrap_or(self.default_limit);
        if limit > self.max_limit {
            let problem = Problem::new(
                "less_than_equal",
                vec![Loc::from("query"), Loc::from("limit")],
                format!("Input should be less than or equal to {}", self.max_limit),
                json!(limit.to_string()),
            )
            .with_ctx(json!({"le": self.max_limit}));
            return Err(poem::Error::from_response(kit::validation_error(vec![
                problem,
            ])));
        }
        let first = skip.min(TOTAL_ITEMS);
        let last = first.saturating_add(limit).min(TOTAL_ITEMS);
        let items = (first + 1..=last)
            .map(|n| CatalogueItem {
                item_name: format!("Item {n}"),
            })
            .collect();
        Ok(Page {
            skip,
            limit,
            total: TOTAL_ITEMS,
            items,
        })
    }
}

/// One page of the items.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub(crate) struct Page {
    /// How many items were skipped.
    skip: i64,
    /// How many items a page holds at most.
    limit: i64,
    /// How many items there are in all.
    total: i64,
    /// The items of this page.
    items: Vec<CatalogueItem>,
}

impl Example for Page {
    fn example() -> Self {
        Self {
            skip: 0,
            limit: 2,
            total: TOTAL_ITEMS,
            items: ["Item 1", "Item 2"]
                .map(|name| CatalogueItem {
                    item_name: name.to_owned(),
                })
                .into(),
        }
    }
}

/// Exercise 2's solution: the paginator is part of the API value, set when the app is built.
pub(crate) struct PaginationApi {
    paginator: Paginator,
}

impl Default for PaginationApi {
    /// FastAPI's `paginator = Paginator(max_limit=50)`: 10 items a page unless asked, 50 at
    /// most.
    fn default() -> Self {
        Self {
            paginator: Paginator::new(10, 50),
        }
    }
}

#[OpenApi]
impl PaginationApi {
    /// Page through a hundred items
    ///
    /// `Item 1` to `Item 100`, from `skip` on, at most `limit` of them (10 when not given).
    /// `limit` must be 1 to 50: the maximum is the paginator's setting.
    #[oai(
        path = "/paginated-items/",
        method = "get",
        tag = "ExerciseTag::Pagination"
    )]
    async fn read_paginated_items(
        &self,
        /// How many items to skip; 0 or more.
        #[oai(default, validator(minimum(value = "0")))]
        skip: Query<i64>,
        /// How many items to give at most: 1 to 50, 10 when left out.
        #[oai(validator(minimum(value = "1")))]
        limit: Query<Option<i64>>,
    ) -> poem::Result<Json<Page>> {
        self.paginator.page(skip.0, limit.0).map(Json)
    }
}
// ANCHOR_END: paginator
