//! Path templates: which declared path a request goes to, found as poem's router finds it, for
//! the layers that work before the router (the `Allow` of a 405, the query of an operation),
//! and where a path parameter sits, for the 422 that names it.

/// A path template by segments: `/items/{item_id}` as the OpenAPI document writes it, or
/// `/items/:item_id` as poem's router does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Fixed(String),
    Param(String),
}

impl Template {
    pub(crate) fn new(template: &str) -> Self {
        let segment = |s: &str| {
            let param = s
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .or_else(|| s.strip_prefix(':'));
            match param {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Fixed(s.to_owned()),
            }
        };
        Self(segments(template).map(segment).collect())
    }

    /// Whether the router serves both templates as one route: the same fixed segments in the
    /// same places, whatever the parameters are called.
    pub(crate) fn same_route(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|pair| match pair {
                (Segment::Fixed(a), Segment::Fixed(b)) => a == b,
                (Segment::Param(_), Segment::Param(_)) => true,
                _ => false,
            })
    }

    /// The name of the parameter at `index` among the parameters, from the left.
    pub(crate) fn param(&self, index: usize) -> Option<&str> {
        self.0
            .iter()
            .filter_map(|s| match s {
                Segment::Param(name) => Some(name.as_str()),
                Segment::Fixed(_) => None,
            })
            .nth(index)
    }

    /// The segment of `path` that parameter `name` receives, as sent (still percent-encoded).
    pub(crate) fn value<'p>(&self, name: &str, path: &'p str) -> Option<&'p str> {
        let at = self
            .0
            .iter()
            .position(|s| matches!(s, Segment::Param(n) if n == name))?;
        segments(path).nth(at)
    }

    /// How the router ranks this template for `path`: `None` if it does not match, otherwise
    /// a key that is smaller for a better match. The router prefers fixed segments over
    /// parameters, from the left; poem-openapi's parameters are whole segments.
    fn rank(&self, path: &[&str]) -> Option<Vec<bool>> {
        let matches = self.0.len() == path.len()
            && self.0.iter().zip(path).all(|(t, s)| match t {
                Segment::Fixed(fixed) => fixed == s,
                Segment::Param(_) => true,
            });
        matches.then(|| {
            self.0
                .iter()
                .map(|s| matches!(s, Segment::Param(_)))
                .collect()
        })
    }
}

/// Of `items`, the one whose template the router picks for `path`.
pub(crate) fn best<'a, T>(
    path: &str,
    items: &'a [T],
    template: impl Fn(&T) -> &Template,
) -> Option<&'a T> {
    let path: Vec<&str> = segments(path).collect();
    items
        .iter()
        .filter_map(|item| Some((template(item).rank(&path)?, item)))
        .min_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, item)| item)
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_segments_win_from_the_left() {
        let templates = ["/items/{id}", "/items/me", "/{kind}/me", "/items/{id}/tags"];
        let parsed: Vec<Template> = templates.iter().map(|t| Template::new(t)).collect();
        let pick = |path| {
            best(path, &parsed, |t| t)
                .map(|t| templates[parsed.iter().position(|p| p == t).unwrap()])
        };
        assert_eq!(pick("/items/me"), Some("/items/me"));
        assert_eq!(pick("/items/7"), Some("/items/{id}"));
        assert_eq!(pick("/users/me"), Some("/{kind}/me"));
        assert_eq!(pick("/items/7/tags"), Some("/items/{id}/tags"));
        assert_eq!(pick("/items"), None);
    }

    #[test]
    fn the_document_and_the_router_name_one_route() {
        let document = Template::new("/users/{user_id}/items/");
        assert!(document.same_route(&Template::new("/users/:param0/items")));
        assert!(!document.same_route(&Template::new("/users/me/items")));
        assert!(!document.same_route(&Template::new("/users/:param0")));
        assert!(!Template::new("/a/{x}").same_route(&Template::new("/{x}/a")));
    }

    #[test]
    fn parameters_are_found_by_name_and_by_position() {
        let template = Template::new("/users/{user_id}/items/{item_id}");
        assert_eq!(template.param(0), Some("user_id"));
        assert_eq!(template.param(1), Some("item_id"));
        assert_eq!(template.param(2), None);
        assert_eq!(
            template.value("item_id", "/users/7/items/a%20b"),
            Some("a%20b")
        );
        assert_eq!(template.value("user_id", "/users/7/items/9"), Some("7"));
        assert_eq!(template.value("other", "/users/7/items/9"), None);
    }
}
