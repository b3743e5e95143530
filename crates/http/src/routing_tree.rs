//! Mirrors Go src/net/http/routing_tree.go (go1.27): the decision tree that finds the registered pattern a request matches.
//!
//! The tree's first level branches on the host (`""` for patterns without
//! one), the second on the method (`""` for any method), and every level
//! below on one path segment. A node's children are keyed by literal
//! segment; the single-wildcard child and the multi-wildcard child are kept
//! apart. Matching tries, at each level, the literal child, then the
//! wildcard child, then the multi child, backtracking on failure: since
//! conflicting patterns were refused at registration, the first match in
//! that order is the most specific one. Matching a host pattern falls back
//! to the patterns without a host, a method to no method, and HEAD tries
//! GET too.
//!
//! The tree is generic over the value kept with each pattern, the handler
//! in the ServeMux. The child map is Go's `mapping` (mapping.go): a short
//! vector searched linearly, indexed by a hash map once it grows.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::pattern::{Pattern, Segment, path_unescape};

/// Above this many entries a [`Mapping`] adds a hash index.
const MAX_SLICE: usize = 8;

/// A small string-keyed map (Go's `mapping`).
#[derive(Debug)]
struct Mapping<V> {
    entries: Vec<(String, V)>,
    index: Option<HashMap<String, usize>>,
}

impl<V> Default for Mapping<V> {
    fn default() -> Self {
        Mapping {
            entries: Vec::new(),
            index: None,
        }
    }
}

impl<V> Mapping<V> {
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k == key),
        }
    }

    fn find(&self, key: &str) -> Option<&V> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    fn get_or_insert_with(&mut self, key: &str, new: impl FnOnce() -> V) -> &mut V {
        let i = match self.position(key) {
            Some(i) => i,
            None => {
                self.entries.push((key.to_string(), new()));
                let i = self.entries.len() - 1;
                match &mut self.index {
                    Some(ix) => {
                        ix.insert(key.to_string(), i);
                    }
                    None if self.entries.len() > MAX_SLICE => {
                        self.index = Some(
                            self.entries
                                .iter()
                                .enumerate()
                                .map(|(i, (k, _))| (k.clone(), i))
                                .collect(),
                        );
                    }
                    None => {}
                }
                i
            }
        };
        &mut self.entries[i].1
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// A node of the tree: a leaf holds a pattern and its value; an interior
/// node has children. (A node can be both: `/a` and `/a/b` share `a`.)
#[derive(Debug)]
pub(crate) struct RoutingNode<H> {
    /// The pattern that ends here and its value.
    leaf: Option<(Arc<Pattern>, H)>,
    /// Children by literal segment; `"/"` is the trailing slash of `{$}`.
    /// At the first two levels the keys are hosts and methods.
    children: Mapping<RoutingNode<H>>,
    /// The child for a single wildcard (at the first two levels, for no
    /// host and no method).
    empty_child: Option<Box<RoutingNode<H>>>,
    /// The child for a multi wildcard; always a leaf.
    multi_child: Option<Box<RoutingNode<H>>>,
}

impl<H> Default for RoutingNode<H> {
    fn default() -> Self {
        RoutingNode {
            leaf: None,
            children: Mapping::default(),
            empty_child: None,
            multi_child: None,
        }
    }
}

impl<H> RoutingNode<H> {
    /// The pattern that ends at this node, if any.
    pub(crate) fn pattern(&self) -> Option<&Arc<Pattern>> {
        self.leaf.as_ref().map(|(p, _)| p)
    }

    /// The value stored with this node's pattern, if any.
    pub(crate) fn value(&self) -> Option<&H> {
        self.leaf.as_ref().map(|(_, h)| h)
    }

    /// Adds `p` with its value. The caller has checked that it conflicts
    /// with no pattern already in the tree.
    pub(crate) fn add_pattern(&mut self, p: Arc<Pattern>, h: H) {
        let host = p.host.clone();
        let method = p.method.clone();
        let segments = p.segments.clone();
        self.add_child(&host)
            .add_child(&method)
            .add_segments(&segments, p, h);
    }

    fn add_segments(&mut self, segs: &[Segment], p: Arc<Pattern>, h: H) {
        let Some((seg, rest)) = segs.split_first() else {
            self.set(p, h);
            return;
        };
        if seg.multi {
            assert!(rest.is_empty(), "multi wildcard not last");
            let mut c = RoutingNode::default();
            c.set(p, h);
            self.multi_child = Some(Box::new(c));
        } else if seg.wild {
            self.add_child("").add_segments(rest, p, h);
        } else {
            self.add_child(&seg.s).add_segments(rest, p, h);
        }
    }

    fn set(&mut self, p: Arc<Pattern>, h: H) {
        assert!(self.leaf.is_none(), "non-nil leaf fields");
        self.leaf = Some((p, h));
    }

    /// The child for `key`, made if missing; `""` is the wildcard child.
    fn add_child(&mut self, key: &str) -> &mut RoutingNode<H> {
        if key.is_empty() {
            return self.empty_child.get_or_insert_with(Box::default);
        }
        self.children.get_or_insert_with(key, RoutingNode::default)
    }

    /// The child for `key`, `""` being the wildcard child.
    fn find_child(&self, key: &str) -> Option<&RoutingNode<H>> {
        if key.is_empty() {
            return self.empty_child.as_deref();
        }
        self.children.find(key)
    }

    /// The leaf whose pattern matches the request, and the values its
    /// wildcards took, in path order (Go's `routingNode.match`). A pattern
    /// for `host` is preferred; patterns without a host are the fallback.
    pub(crate) fn match_request(
        &self,
        host: &str,
        method: &str,
        path: &str,
    ) -> Option<(&RoutingNode<H>, Vec<String>)> {
        if !host.is_empty()
            && let Some(m) = self
                .find_child(host)
                .and_then(|n| n.match_method_and_path(method, path))
        {
            return Some(m);
        }
        self.empty_child
            .as_deref()?
            .match_method_and_path(method, path)
    }

    /// Called on a host node: the method's patterns first, then GET's for
    /// HEAD, then those without a method.
    fn match_method_and_path(
        &self,
        method: &str,
        path: &str,
    ) -> Option<(&RoutingNode<H>, Vec<String>)> {
        let try_child = |key: &str| {
            let mut matches = Vec::new();
            let leaf = self.find_child(key)?.match_path(path, &mut matches)?;
            Some((leaf, matches))
        };
        if !method.is_empty()
            && let Some(m) = try_child(method)
        {
            return Some(m);
        }
        if method == "HEAD"
            && let Some(m) = try_child("GET")
        {
            return Some(m);
        }
        try_child("")
    }

    /// Matches the rest of a path against the subtree at `self`, pushing
    /// wildcard values onto `matches`; on failure `matches` is as it was.
    fn match_path(&self, path: &str, matches: &mut Vec<String>) -> Option<&RoutingNode<H>> {
        if path.is_empty() {
            // The whole path is used up: a match only if a pattern ends here.
            return self.leaf.as_ref().map(|_| self);
        }
        let (seg, rest) = first_segment(path);
        let mark = matches.len();
        // Literal children are more specific than the wildcard child (or
        // would have conflicted), so they go first.
        if let Some(n) = self
            .children
            .find(&seg)
            .and_then(|c| c.match_path(rest, matches))
        {
            return Some(n);
        }
        matches.truncate(mark);
        // A single wildcard never matches the trailing slash.
        if seg != "/"
            && let Some(c) = self.empty_child.as_deref()
        {
            matches.push(seg);
            if let Some(n) = c.match_path(rest, matches) {
                return Some(n);
            }
            matches.truncate(mark);
        }
        // Last, the multi wildcard takes everything that is left.
        let c = self.multi_child.as_deref()?;
        let named = c.pattern().is_some_and(|p| !p.last_segment().s.is_empty());
        if named {
            matches.push(path_unescape(&path[1..]));
        }
        Some(c)
    }

    /// Adds to `methods` every method for which [`match_request`] would
    /// find a pattern for `host` and `path`; used for 405's `Allow`.
    ///
    /// [`match_request`]: RoutingNode::match_request
    pub(crate) fn matching_methods(&self, host: &str, path: &str, methods: &mut BTreeSet<String>) {
        if !host.is_empty()
            && let Some(n) = self.find_child(host)
        {
            n.matching_methods_path(path, methods);
        }
        if let Some(n) = self.empty_child.as_deref() {
            n.matching_methods_path(path, methods);
        }
        if methods.contains("GET") {
            methods.insert("HEAD".to_string());
        }
    }

    fn matching_methods_path(&self, path: &str, methods: &mut BTreeSet<String>) {
        for (method, c) in self.children.iter() {
            if c.match_path(path, &mut Vec::new()).is_some() {
                methods.insert(method.to_string());
            }
        }
        // The method-less child is left out on purpose: it matches every
        // method, and this is only asked when the request's method found
        // nothing.
    }
}

/// Splits off the first segment of `path` (which starts with `/`),
/// percent-decoded if it decodes; a lone `/` is the segment `"/"`.
pub(crate) fn first_segment(path: &str) -> (String, &str) {
    if path == "/" {
        return ("/".to_string(), "");
    }
    let path = &path[1..];
    let i = path.find('/').unwrap_or(path.len());
    (path_unescape(&path[..i]), &path[i..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::parse_pattern;
    use std::fmt::Write;

    fn build_tree(pats: &[&str]) -> RoutingNode<()> {
        let mut root = RoutingNode::default();
        for p in pats {
            root.add_pattern(Arc::new(parse_pattern(p).unwrap()), ());
        }
        root
    }

    fn test_tree() -> RoutingNode<()> {
        build_tree(&[
            "/a",
            "/a/b",
            "/a/{x}",
            "/g/h/i",
            "/g/{x}/j",
            "/a/b/{x...}",
            "/a/b/{y}",
            "/a/b/{$}",
        ])
    }

    /// Go's test printout: patterns, then the wildcard child, then
    /// literal children sorted, then the multi child.
    fn print<H>(n: &RoutingNode<H>, out: &mut String, level: usize) {
        let indent = "    ".repeat(level);
        if let Some(p) = n.pattern() {
            writeln!(out, "{indent}{:?}", p.str).unwrap();
        }
        if let Some(c) = &n.empty_child {
            writeln!(out, "{indent}\"\":").unwrap();
            print(c, out, level + 1);
        }
        let mut keys: Vec<&str> = n.children.iter().map(|(k, _)| k).collect();
        keys.sort();
        for k in keys {
            writeln!(out, "{indent}{k:?}:").unwrap();
            print(n.children.find(k).unwrap(), out, level + 1);
        }
        if let Some(c) = &n.multi_child {
            writeln!(out, "{indent}MULTI:").unwrap();
            print(c, out, level + 1);
        }
    }

    // Go's TestRoutingFirstSegment: all 5 rows.
    #[test]
    fn routing_first_segment_rows() {
        let rows: [(&str, &[&str]); 5] = [
            ("/a/b/c", &["a", "b", "c"]),
            ("/a/b/", &["a", "b", "/"]),
            ("/", &["/"]),
            ("/a/%62/c", &["a", "b", "c"]),
            ("/a%2Fb%2fc", &["a/b/c"]),
        ];
        for (input, want) in rows {
            let mut got = Vec::new();
            let mut rest = input;
            while !rest.is_empty() {
                let (seg, r) = first_segment(rest);
                got.push(seg);
                rest = r;
            }
            assert_eq!(got, want, "{input:?}");
        }
    }

    // Go's TestRoutingAddPattern, with Go's printout.
    #[test]
    fn routing_add_pattern() {
        let want = r#""":
    "":
        "a":
            "/a"
            "":
                "/a/{x}"
            "b":
                "/a/b"
                "":
                    "/a/b/{y}"
                "/":
                    "/a/b/{$}"
                MULTI:
                    "/a/b/{x...}"
        "g":
            "":
                "j":
                    "/g/{x}/j"
            "h":
                "i":
                    "/g/h/i"
"#;
        let mut got = String::new();
        print(&test_tree(), &mut got, 0);
        assert_eq!(got, want);
    }

    type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a [&'a str]);

    fn check(tree: &RoutingNode<()>, rows: &[Row<'_>]) {
        for &(method, host, path, want_pat, want_matches) in rows {
            let got = tree.match_request(host, method, path);
            let (pat, matches) = match &got {
                Some((n, m)) => (n.pattern().unwrap().str.as_str(), m.clone()),
                None => ("", Vec::new()),
            };
            assert_eq!(pat, want_pat, "{host}, {method}, {path}");
            assert_eq!(matches, want_matches, "{host}, {method}, {path}: matches");
        }
    }

    // Go's TestRoutingNodeMatch: all 40 rows over its six trees.
    #[test]
    fn routing_node_match_rows() {
        check(
            &test_tree(),
            &[
                ("GET", "", "/a", "/a", &[]),
                ("Get", "", "/b", "", &[]),
                ("Get", "", "/a/b", "/a/b", &[]),
                ("Get", "", "/a/c", "/a/{x}", &["c"]),
                ("Get", "", "/a/b/", "/a/b/{$}", &[]),
                ("Get", "", "/a/b/c", "/a/b/{y}", &["c"]),
                ("Get", "", "/a/b/c/d", "/a/b/{x...}", &["c/d"]),
                ("Get", "", "/g/h/i", "/g/h/i", &[]),
                ("Get", "", "/g/h/j", "/g/{x}/j", &["h"]),
            ],
        );

        let tree = build_tree(&[
            "/item/",
            "POST /item/{user}",
            "GET /item/{user}",
            "/item/{user}",
            "/item/{user}/{id}",
            "/item/{user}/new",
            "/item/{$}",
            "POST alt.com/item/{user}",
            "GET /headwins",
            "HEAD /headwins",
            "/path/{p...}",
        ]);
        check(
            &tree,
            &[
                ("GET", "", "/item/jba", "GET /item/{user}", &["jba"]),
                ("POST", "", "/item/jba", "POST /item/{user}", &["jba"]),
                ("HEAD", "", "/item/jba", "GET /item/{user}", &["jba"]),
                // Methods match case-sensitively.
                ("get", "", "/item/jba", "/item/{user}", &["jba"]),
                (
                    "POST",
                    "",
                    "/item/jba/17",
                    "/item/{user}/{id}",
                    &["jba", "17"],
                ),
                ("GET", "", "/item/jba/new", "/item/{user}/new", &["jba"]),
                ("GET", "", "/item/", "/item/{$}", &[]),
                ("GET", "", "/item/jba/17/line2", "/item/", &[]),
                (
                    "POST",
                    "alt.com",
                    "/item/jba",
                    "POST alt.com/item/{user}",
                    &["jba"],
                ),
                ("GET", "alt.com", "/item/jba", "GET /item/{user}", &["jba"]),
                ("GET", "", "/item", "", &[]),
                ("GET", "", "/headwins", "GET /headwins", &[]),
                ("HEAD", "", "/headwins", "HEAD /headwins", &[]),
                ("GET", "", "/path/to/file", "/path/{p...}", &["to/file"]),
                ("GET", "", "/path/*", "/path/{p...}", &["*"]),
            ],
        );

        let pat1 = "/a/b/{$}";
        check(
            &build_tree(&[pat1]),
            &[
                ("GET", "", "/a/b", "", &[]),
                ("GET", "", "/a/b/", pat1, &[]),
                ("GET", "", "/a/b/c", "", &[]),
                ("GET", "", "/a/b/c/d", "", &[]),
            ],
        );
        let pat2 = "/a/b/{w}";
        check(
            &build_tree(&[pat2]),
            &[
                ("GET", "", "/a/b", "", &[]),
                ("GET", "", "/a/b/", "", &[]),
                ("GET", "", "/a/b/c", pat2, &["c"]),
                ("GET", "", "/a/b/c/d", "", &[]),
            ],
        );
        let pat3 = "/a/b/{w...}";
        check(
            &build_tree(&[pat3]),
            &[
                ("GET", "", "/a/b", "", &[]),
                ("GET", "", "/a/b/", pat3, &[""]),
                ("GET", "", "/a/b/c", pat3, &["c"]),
                ("GET", "", "/a/b/c/d", pat3, &["c/d"]),
            ],
        );
        check(
            &build_tree(&[pat1, pat2, pat3]),
            &[
                ("GET", "", "/a/b", "", &[]),
                ("GET", "", "/a/b/", pat1, &[]),
                ("GET", "", "/a/b/c", pat2, &["c"]),
                ("GET", "", "/a/b/c/d", pat3, &["c/d"]),
            ],
        );
    }

    // Go's TestMatchingMethods: all 7 rows.
    #[test]
    fn matching_methods_rows() {
        let host_tree = build_tree(&["GET a.com/", "PUT b.com/", "POST /foo/{x}"]);
        let post = build_tree(&["POST /"]);
        let get = build_tree(&["GET /"]);
        let any = build_tree(&["/"]);
        let rows: [(&str, &RoutingNode<()>, &str, &str, &str); 7] = [
            ("post", &post, "", "/foo", "POST"),
            ("get", &get, "", "/foo", "GET,HEAD"),
            ("host", &host_tree, "", "/foo", ""),
            ("host", &host_tree, "", "/foo/bar", "POST"),
            ("host2", &host_tree, "a.com", "/foo/bar", "GET,HEAD,POST"),
            ("host3", &host_tree, "b.com", "/bar", "PUT"),
            ("empty", &any, "", "/", ""),
        ];
        for (name, tree, host, path, want) in rows {
            let mut ms = BTreeSet::new();
            tree.matching_methods(host, path, &mut ms);
            let got = ms.into_iter().collect::<Vec<_>>().join(",");
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn mapping_grows_an_index() {
        let pats: Vec<String> = (0..20).map(|i| format!("/p{i}")).collect();
        let refs: Vec<&str> = pats.iter().map(String::as_str).collect();
        let tree = build_tree(&refs);
        for p in &pats {
            let (n, _) = tree.match_request("", "GET", p).unwrap();
            assert_eq!(&n.pattern().unwrap().str, p);
        }
        assert!(tree.match_request("", "GET", "/p20").is_none());
    }
}
