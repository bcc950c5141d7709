//! Where the OpenAPI document and its two pages are served.
//!
//! FastAPI serves `/openapi.json`, Swagger UI at `/docs` and ReDoc at `/redoc`, and lets the
//! app move or remove each one. The same three settings are read here from `OPENAPI_URL`,
//! `DOCS_URL` and `REDOC_URL`; an empty value switches the page off.

use poem::endpoint::{BoxEndpoint, make_sync};
use poem::web::Html;
use poem::{Endpoint, IntoEndpoint, Request, Response, Route, get};
use poem_openapi::{OpenApi, OpenApiService};

use crate::env::{ConfigError, Env};

/// The paths of the document and its pages; `None` switches one off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Docs {
    /// The OpenAPI document (`/openapi.json`). Without it, the pages are off too.
    pub openapi: Option<String>,
    /// Swagger UI (`/docs`).
    pub swagger_ui: Option<String>,
    /// ReDoc (`/redoc`).
    pub redoc: Option<String>,
}

impl Default for Docs {
    fn default() -> Self {
        Self {
            openapi: Some("/openapi.json".to_owned()),
            swagger_ui: Some("/docs".to_owned()),
            redoc: Some("/redoc".to_owned()),
        }
    }
}

impl Docs {
    /// No document and no pages, as FastAPI's `openapi_url=None`.
    pub fn off() -> Self {
        Self {
            openapi: None,
            swagger_ui: None,
            redoc: None,
        }
    }

    // ANCHOR: from_env
    /// Reads `OPENAPI_URL`, `DOCS_URL` and `REDOC_URL`, falling back to the defaults.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let openapi = setting(env, "OPENAPI_URL", defaults.openapi)?;
        let swagger_ui = setting(env, "DOCS_URL", defaults.swagger_ui)?;
        let redoc = setting(env, "REDOC_URL", defaults.redoc)?;
        let docs = match openapi {
            // The pages show the document: without it they have nothing to show.
            None => Self::off(),
            Some(openapi) => Self {
                openapi: Some(openapi),
                swagger_ui,
                redoc,
            },
        };
        docs.check_distinct()?;
        Ok(docs)
    }
    // ANCHOR_END: from_env

    fn check_distinct(&self) -> Result<(), ConfigError> {
        let paths = [
            ("OPENAPI_URL", &self.openapi),
            ("DOCS_URL", &self.swagger_ui),
            ("REDOC_URL", &self.redoc),
        ];
        for (i, (key, path)) in paths.iter().enumerate() {
            for (other, other_path) in &paths[..i] {
                if path.is_some() && path == other_path {
                    return Err(ConfigError::new(
                        *key,
                        format!(
                            "must differ from {other} (both are {:?})",
                            path.as_deref().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The API with its document and pages beside it: a request for one of the pages' paths
    /// goes to the page, anything else to the API.
    ///
    /// (A `Route` that nests the API at `/` would do the same, but it refuses a path whose
    /// segments are not UTF-8 before the API sees it; the API answers those with a 422.)
    pub(crate) fn beside<T: OpenApi + 'static>(&self, service: OpenApiService<T, ()>) -> Beside {
        Beside {
            pages: self.routes(&service, Route::new()),
            paths: self.paths().map(str::to_owned).collect(),
            api: service.into_endpoint(),
        }
    }

    /// The document and its pages, each at its path.
    fn routes<T: OpenApi>(&self, service: &OpenApiService<T, ()>, mut route: Route) -> Route {
        let Some(openapi) = &self.openapi else {
            return route;
        };
        route = route.at(openapi, get(service.spec_endpoint()));
        if let Some(path) = &self.swagger_ui {
            route = route.nest(path, get(service.swagger_ui()));
        }
        if let Some(path) = &self.redoc {
            route = route.at(path, get(offline_redoc(service)));
        }
        route
    }

    /// The paths that are switched on.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        [&self.openapi, &self.swagger_ui, &self.redoc]
            .into_iter()
            .flatten()
            .map(String::as_str)
    }
}

/// The endpoint made by [`Docs::beside`].
pub(crate) struct Beside {
    pages: Route,
    paths: Vec<String>,
    api: BoxEndpoint<'static>,
}

impl Endpoint for Beside {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        let is_page = self.paths.iter().any(|page| {
            path.strip_prefix(page.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        if is_page {
            self.pages.call(req).await
        } else {
            self.api.call(req).await
        }
    }
}

/// Reads one path setting: unset keeps the default, empty switches it off.
fn setting(env: &Env, key: &str, default: Option<String>) -> Result<Option<String>, ConfigError> {
    match env.get(key) {
        None => Ok(default),
        Some(value) if value.is_empty() => Ok(None),
        Some(value) if !value.starts_with('/') || value == "/" => Err(ConfigError::new(
            key,
            format!("must be a path such as \"/docs\", or empty to switch it off (got {value:?})"),
        )),
        Some(value)
            if value
                .chars()
                .any(|c| c.is_whitespace() || c == '?' || c == '#') =>
        {
            Err(ConfigError::new(
                key,
                format!("must be a plain path (got {value:?})"),
            ))
        }
        Some(value) => Ok(Some(value.trim_end_matches('/').to_owned())),
    }
}

/// poem-openapi's ReDoc page loads its fonts from Google; the page works offline without
/// them (it falls back to the browser's fonts).
fn offline_redoc<T: OpenApi>(service: &OpenApiService<T, ()>) -> impl Endpoint + 'static {
    let html: String = service
        .redoc_html()
        .lines()
        .filter(|line| !line.contains("fonts.googleapis.com"))
        .collect::<Vec<_>>()
        .join("\n");
    make_sync(move |_| Html(html.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_variables_keep_fastapi_defaults() {
        assert_eq!(
            Docs::from_env(&Env::from_pairs::<&str, &str>([])),
            Ok(Docs::default())
        );
    }

    #[test]
    fn an_empty_openapi_url_switches_every_page_off() {
        let env = Env::from_pairs([("OPENAPI_URL", ""), ("DOCS_URL", "/manual")]);
        assert_eq!(Docs::from_env(&env), Ok(Docs::off()));
    }

    #[test]
    fn a_path_without_leading_slash_is_refused_by_name() {
        let env = Env::from_pairs([("DOCS_URL", "docs")]);
        let err = Docs::from_env(&env).unwrap_err();
        assert_eq!(err.key, "DOCS_URL");
    }

    #[test]
    fn two_pages_on_one_path_are_refused() {
        let env = Env::from_pairs([("DOCS_URL", "/x"), ("REDOC_URL", "/x")]);
        let err = Docs::from_env(&env).unwrap_err();
        assert_eq!(err.key, "REDOC_URL");
    }
}
