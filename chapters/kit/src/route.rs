//! Which declared path a request goes to, found as poem's router finds it, for the layers
//! that work before the router (the `Allow` of a 405, the query of an operation).

/// A path template as the OpenAPI document gives it, `/items/{item_id}`, by segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template(Vec<String>);

impl Template {
    pub(crate) fn new(template: &str) -> Self {
        Self(segments(template).map(str::to_owned).collect())
    }

    /// How the router ranks this template for `path`: `None` if it does not match, otherwise
    /// a key that is smaller for a better match. The router prefers fixed segments over
    /// parameters, from the left; poem-openapi's parameters are whole segments.
    fn rank(&self, path: &[&str]) -> Option<Vec<bool>> {
        let is_param = |s: &str| s.starts_with('{');
        let matches = self.0.len() == path.len()
            && self.0.iter().zip(path).all(|(t, s)| is_param(t) || t == s);
        matches.then(|| self.0.iter().map(|s| is_param(s)).collect())
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
        let templates = [
            Template::new("/items/{id}"),
            Template::new("/items/me"),
            Template::new("/{kind}/me"),
            Template::new("/items/{id}/tags"),
        ];
        let pick = |path| best(path, &templates, |t| t).map(|t| t.0.join("/"));
        assert_eq!(pick("/items/me").as_deref(), Some("items/me"));
        assert_eq!(pick("/items/7").as_deref(), Some("items/{id}"));
        assert_eq!(pick("/users/me").as_deref(), Some("{kind}/me"));
        assert_eq!(pick("/items/7/tags").as_deref(), Some("items/{id}/tags"));
        assert_eq!(pick("/items"), None);
    }
}
