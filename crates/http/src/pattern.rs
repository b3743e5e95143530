//! Mirrors Go src/net/http/pattern.go (go1.27): ServeMux patterns: parsing `[METHOD ][HOST]/path` with wildcards, and how two patterns relate.
//!
//! A pattern names an optional method, an optional host and a path made of
//! segments. A segment is a literal, a single wildcard `{name}` matching
//! one path segment, or, only at the end, a multi wildcard `{name...}`
//! matching the rest of the path (a trailing `/` is an anonymous multi) or
//! `{$}` matching just a trailing slash (kept as the literal `"/"`).
//!
//! The ServeMux refuses to register two patterns that some request matches
//! where neither has precedence. Precedence is decided by comparing the
//! method parts and the path parts separately ([`Relationship`]) and then
//! combining them: a pattern that matches a subset of what the other
//! matches wins; equal sets or partial overlaps conflict. A pattern with a
//! host always beats one without, so host only matters when both agree.

use std::collections::HashSet;
use std::fmt;

use crate::method::valid_method;
use crate::servemux::clean_path;
use crate::url::go_quote;

/// One piece of a pattern's path.
///
/// * literal: `wild == false`; `s == "/"` stands for `{$}` (a trailing slash);
/// * single wildcard: `wild`, not `multi`, `s` is its name;
/// * multi wildcard: `wild && multi`, `s` is its name, `""` for a trailing `/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) s: String,
    pub(crate) wild: bool,
    pub(crate) multi: bool,
}

/// A parsed ServeMux pattern.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pattern {
    /// The text it was parsed from.
    pub(crate) str: String,
    pub(crate) method: String,
    pub(crate) host: String,
    /// Never empty: every path has at least one segment.
    pub(crate) segments: Vec<Segment>,
    /// Where it was registered (`file:line`), for conflict messages.
    pub(crate) loc: String,
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.str)
    }
}

/// Why a string is not a pattern. Its text is Go's, `at offset N: ...`
/// except for the empty pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PatternError(pub(crate) String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the requests matched by a pattern `p1` relate to those of `p2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Relationship {
    /// Both match exactly the same requests.
    Equivalent,
    /// `p1` matches all `p2` does, and more.
    MoreGeneral,
    /// `p2` matches all `p1` does, and more.
    MoreSpecific,
    /// No request matches both.
    Disjoint,
    /// Some request matches both, but neither contains the other.
    Overlaps,
}

use Relationship::*;

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Go's spellings, which show up in its "bug:" message.
        f.write_str(match self {
            Equivalent => "equivalent",
            MoreGeneral => "moreGeneral",
            MoreSpecific => "moreSpecific",
            Disjoint => "disjoint",
            Overlaps => "overlaps",
        })
    }
}

impl Relationship {
    /// The relationship seen from the other pattern's side.
    pub(crate) fn inverse(self) -> Relationship {
        match self {
            MoreSpecific => MoreGeneral,
            MoreGeneral => MoreSpecific,
            r => r,
        }
    }

    /// Folds the relationship of one part of two patterns (`self`) with that
    /// of another, disjoint part (`r2`) into the relationship of the whole.
    pub(crate) fn combine(self, r2: Relationship) -> Relationship {
        match self {
            Equivalent => r2,
            Disjoint => Disjoint,
            Overlaps => {
                if r2 == Disjoint {
                    Disjoint
                } else {
                    Overlaps
                }
            }
            MoreGeneral | MoreSpecific => {
                if r2 == Equivalent {
                    self
                } else if r2 == self.inverse() {
                    Overlaps
                } else {
                    r2
                }
            }
        }
    }
}

/// Parses `[METHOD ][HOST]/[PATH]` (Go's `parsePattern`).
///
/// The method, if any, is separated from the rest by spaces or tabs and
/// must be a token; the host runs up to the first `/`. Literal path
/// segments are percent-decoded one by one; wildcard names are identifiers
/// and must be distinct; `{$}` and `{name...}` may only end the path. A
/// pattern with a method other than CONNECT must have a clean path, since
/// the mux cleans every other request's path before matching.
pub(crate) fn parse_pattern(s: &str) -> Result<Pattern, PatternError> {
    if s.is_empty() {
        return Err(PatternError("empty pattern".into()));
    }
    let mut off = 0;
    parse_at(s, &mut off).map_err(|msg| PatternError(format!("at offset {off}: {msg}")))
}

fn parse_at(s: &str, off: &mut usize) -> Result<Pattern, String> {
    let (method, mut rest, had_method) = match s.find([' ', '\t']) {
        Some(i) => (&s[..i], s[i + 1..].trim_start_matches([' ', '\t']), true),
        None => ("", s, false),
    };
    if !method.is_empty() && !valid_method(method) {
        return Err(format!("invalid method {}", go_quote(method)));
    }
    let mut p = Pattern {
        str: s.to_string(),
        method: method.to_string(),
        ..Pattern::default()
    };
    if had_method {
        *off = method.len() + 1;
    }
    let Some(slash) = rest.find('/') else {
        return Err("host/path missing /".into());
    };
    p.host = rest[..slash].to_string();
    rest = &rest[slash..];
    if let Some(j) = p.host.find('{') {
        *off += j;
        return Err("host contains '{' (missing initial '/'?)".into());
    }
    *off += slash;

    // Requests other than CONNECT have their paths cleaned before they are
    // matched, so such a pattern with an unclean path would be dead.
    if !method.is_empty() && method != "CONNECT" && rest != clean_path(rest) {
        return Err("non-CONNECT pattern with unclean path can never match".into());
    }

    let mut seen = HashSet::new();
    while !rest.is_empty() {
        // rest starts with '/' here.
        rest = &rest[1..];
        *off = s.len() - rest.len();
        if rest.is_empty() {
            // The path ends in a slash: an unnamed "rest of the path".
            p.segments.push(Segment {
                s: String::new(),
                wild: true,
                multi: true,
            });
            break;
        }
        let end = rest.find('/').unwrap_or(rest.len());
        let seg = &rest[..end];
        rest = &rest[end..];
        let Some(brace) = seg.find('{') else {
            p.segments.push(Segment {
                s: path_unescape(seg),
                ..Segment::default()
            });
            continue;
        };
        if brace != 0 {
            return Err("bad wildcard segment (must start with '{')".into());
        }
        if !seg.ends_with('}') {
            return Err("bad wildcard segment (must end with '}')".into());
        }
        // `seg` is at least "{}" here: it starts with '{' and ends with '}',
        // and a lone "{" does not end with '}'.
        let inner = if seg.len() >= 2 {
            &seg[1..seg.len() - 1]
        } else {
            ""
        };
        if inner == "$" {
            if !rest.is_empty() {
                return Err("{$} not at end".into());
            }
            p.segments.push(Segment {
                s: "/".into(),
                ..Segment::default()
            });
            break;
        }
        let (name, multi) = match inner.strip_suffix("...") {
            Some(n) => (n, true),
            None => (inner, false),
        };
        if multi && !rest.is_empty() {
            return Err("{...} wildcard not at end".into());
        }
        if name.is_empty() {
            return Err("empty wildcard".into());
        }
        if !is_valid_wildcard_name(name) {
            return Err(format!("bad wildcard name {}", go_quote(name)));
        }
        if !seen.insert(name) {
            return Err(format!("duplicate wildcard name {}", go_quote(name)));
        }
        p.segments.push(Segment {
            s: name.to_string(),
            wild: true,
            multi,
        });
    }
    Ok(p)
}

/// `path` percent-decoded, or as it is if it is not validly escaped (Go's
/// `pathUnescape`, a wrapper of `url.PathUnescape`). Pattern literals and
/// request path segments are both decoded by it.
pub(crate) fn path_unescape(path: &str) -> String {
    crate::url::path_unescape(path).unwrap_or_else(|_| path.to_string())
}

/// Whether `s` could name a Go identifier: a letter or `_`, then letters,
/// digits or `_`. (Rust's `is_alphabetic`/`is_numeric` stand in for Go's
/// Unicode letter and decimal-digit classes; they differ only on rare
/// code points.)
fn is_valid_wildcard_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_alphabetic() || c == '_' || (i > 0 && c.is_numeric()))
}

impl Pattern {
    /// The final path segment (a pattern always has one).
    pub(crate) fn last_segment(&self) -> &Segment {
        self.segments
            .last()
            .expect("a pattern has at least one segment")
    }

    /// The names of the wildcards that record a value when matched, in path
    /// order (the anonymous trailing-slash wildcard records none).
    pub(crate) fn wildcard_names(&self) -> impl Iterator<Item = &str> {
        self.segments
            .iter()
            .filter(|s| s.wild && !s.s.is_empty())
            .map(|s| s.s.as_str())
    }

    /// Whether some request matches both patterns with neither taking
    /// precedence (Go's `conflictsWith`). A pattern with a host beats one
    /// without; two different hosts never match the same request; for the
    /// same host, the more specific (method, path) wins, and equivalent or
    /// overlapping pairs conflict.
    pub(crate) fn conflicts_with(&self, p2: &Pattern) -> bool {
        if self.host != p2.host {
            return false;
        }
        matches!(self.compare_paths_and_methods(p2), Equivalent | Overlaps)
    }

    pub(crate) fn compare_paths_and_methods(&self, p2: &Pattern) -> Relationship {
        let mrel = self.compare_methods(p2);
        if mrel == Disjoint {
            return Disjoint;
        }
        mrel.combine(self.compare_paths(p2))
    }

    /// Compares the method parts: no method matches every method, `GET`
    /// matches GET and HEAD, any other method only itself.
    pub(crate) fn compare_methods(&self, p2: &Pattern) -> Relationship {
        let (m1, m2) = (self.method.as_str(), p2.method.as_str());
        if m1 == m2 {
            Equivalent
        } else if m1.is_empty() {
            MoreGeneral
        } else if m2.is_empty() {
            MoreSpecific
        } else if m1 == "GET" && m2 == "HEAD" {
            MoreGeneral
        } else if m1 == "HEAD" && m2 == "GET" {
            MoreSpecific
        } else {
            Disjoint
        }
    }

    /// Compares the path parts, segment by segment.
    pub(crate) fn compare_paths(&self, p2: &Pattern) -> Relationship {
        let (s1, s2) = (&self.segments, &p2.segments);
        let (multi1, multi2) = (self.last_segment().multi, p2.last_segment().multi);
        // Without a multi at the end a pattern matches paths of exactly its
        // own length.
        if s1.len() != s2.len() && !multi1 && !multi2 {
            return Disjoint;
        }
        let mut rel = Equivalent;
        for (a, b) in s1.iter().zip(s2) {
            rel = rel.combine(compare_segments(a, b));
            if rel == Disjoint {
                return rel;
            }
        }
        if s1.len() == s2.len() {
            return rel;
        }
        // The shorter one's last segment, a multi, was compared with a
        // segment of the longer one and must also cover the longer one's
        // remaining segments, which makes it the more general there.
        if s1.len() < s2.len() && multi1 {
            return rel.combine(MoreGeneral);
        }
        if s2.len() < s1.len() && multi2 {
            return rel.combine(MoreSpecific);
        }
        Disjoint
    }
}

fn compare_segments(s1: &Segment, s2: &Segment) -> Relationship {
    match (s1.multi, s2.multi) {
        (true, true) => return Equivalent,
        (true, false) => return MoreGeneral,
        (false, true) => return MoreSpecific,
        _ => {}
    }
    match (s1.wild, s2.wild) {
        (true, true) => Equivalent,
        // A single wildcard never matches the trailing slash of `{$}`.
        (true, false) if s2.s == "/" => Disjoint,
        (true, false) => MoreGeneral,
        (false, true) if s1.s == "/" => Disjoint,
        (false, true) => MoreSpecific,
        (false, false) if s1.s == s2.s => Equivalent,
        (false, false) => Disjoint,
    }
}

/// Explains, in Go's words, why two conflicting patterns conflict (Go's
/// `describeConflict`). Panics if they do not.
pub(crate) fn describe_conflict(p1: &Pattern, p2: &Pattern) -> String {
    let mrel = p1.compare_methods(p2);
    let prel = p1.compare_paths(p2);
    let rel = mrel.combine(prel);
    if rel == Equivalent {
        return format!("{p1} matches the same requests as {p2}");
    }
    if rel != Overlaps {
        panic!("describeConflict called with non-conflicting patterns");
    }
    if prel == Overlaps {
        return format!(
            "{p1} and {p2} both match some paths, like {}.\n\
             But neither is more specific than the other.\n\
             {p1} matches {}, but {p2} doesn't.\n\
             {p2} matches {}, but {p1} doesn't.",
            go_quote(common_path(p1, p2)),
            go_quote(difference_path(p1, p2)),
            go_quote(difference_path(p2, p1)),
        );
    }
    if mrel == MoreGeneral && prel == MoreSpecific {
        return format!(
            "{p1} matches more methods than {p2}, but has a more specific path pattern"
        );
    }
    if mrel == MoreSpecific && prel == MoreGeneral {
        return format!(
            "{p1} matches fewer methods than {p2}, but has a more general path pattern"
        );
    }
    format!(
        "bug: unexpected way for two patterns {p1} and {p2} to conflict: methods {mrel}, paths {prel}"
    )
}

/// Appends one path segment that `s` matches.
fn write_segment(b: &mut String, s: &Segment) {
    b.push('/');
    if !s.multi && s.s != "/" {
        b.push_str(&s.s);
    }
}

fn write_matching_path(b: &mut String, segs: &[Segment]) {
    for s in segs {
        write_segment(b, s);
    }
}

/// A path both patterns match; they must overlap.
pub(crate) fn common_path(p1: &Pattern, p2: &Pattern) -> String {
    let mut b = String::new();
    let n = p1.segments.len().min(p2.segments.len());
    for (s1, s2) in p1.segments.iter().zip(&p2.segments) {
        // Where one side is a wildcard, the other side's segment fits both.
        write_segment(&mut b, if s1.wild { s2 } else { s1 });
    }
    // At most one of these has anything left.
    write_matching_path(&mut b, &p1.segments[n..]);
    write_matching_path(&mut b, &p2.segments[n..]);
    b
}

/// A path `p1` matches and `p2` does not; there must be one.
pub(crate) fn difference_path(p1: &Pattern, p2: &Pattern) -> String {
    let mut b = String::new();
    let n = p1.segments.len().min(p2.segments.len());
    for (s1, s2) in p1.segments.iter().zip(&p2.segments) {
        if s1.multi && s2.multi {
            // The rest matches alike, so the difference came earlier.
            b.push('/');
            return b;
        }
        if s1.multi {
            // A trailing slash is outside p2 here, unless p2 is at `{$}`;
            // then any non-empty segment is, named after s1 if possible.
            b.push('/');
            if s2.s == "/" {
                b.push_str(if s1.s.is_empty() { "x" } else { &s1.s });
            }
            return b;
        }
        if s1.wild && !s2.wild && !s2.multi && s1.s == s2.s {
            // The wildcard's name would hit p2's literal; change it.
            b.push('/');
            b.push_str(&s2.s);
            b.push('x');
        } else if s1.wild && !s2.wild && !s2.multi {
            write_segment(&mut b, s1);
        } else {
            // s2 is a multi or a wildcard, or both are the same literal
            // (they overlap, so literals cannot differ): s1 itself fits.
            if !s1.wild && !s2.wild && !s2.multi && s1.s != s2.s {
                panic!("literals differ: {:?} and {:?}", s1.s, s2.s);
            }
            write_segment(&mut b, s1);
        }
    }
    write_matching_path(&mut b, &p1.segments[n..]);
    write_matching_path(&mut b, &p2.segments[n..]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn must_parse(s: &str) -> Pattern {
        parse_pattern(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn lit(s: &str) -> Segment {
        Segment {
            s: s.into(),
            wild: false,
            multi: false,
        }
    }
    fn wild(s: &str) -> Segment {
        Segment {
            s: s.into(),
            wild: true,
            multi: false,
        }
    }
    fn multi(s: &str) -> Segment {
        Segment {
            s: s.into(),
            wild: true,
            multi: true,
        }
    }

    // Go's TestParsePattern: all 20 rows.
    #[test]
    fn parse_pattern_rows() {
        let rows: Vec<(&str, &str, &str, Vec<Segment>)> = vec![
            ("/", "", "", vec![multi("")]),
            ("/a", "", "", vec![lit("a")]),
            ("/a/", "", "", vec![lit("a"), multi("")]),
            (
                "/path/to/something",
                "",
                "",
                vec![lit("path"), lit("to"), lit("something")],
            ),
            (
                "/{w1}/lit/{w2}",
                "",
                "",
                vec![wild("w1"), lit("lit"), wild("w2")],
            ),
            (
                "/{w1}/lit/{w2}/",
                "",
                "",
                vec![wild("w1"), lit("lit"), wild("w2"), multi("")],
            ),
            ("example.com/", "", "example.com", vec![multi("")]),
            ("GET /", "GET", "", vec![multi("")]),
            (
                "POST example.com/foo/{w}",
                "POST",
                "example.com",
                vec![lit("foo"), wild("w")],
            ),
            ("/{$}", "", "", vec![lit("/")]),
            (
                "DELETE example.com/a/{foo12}/{$}",
                "DELETE",
                "example.com",
                vec![lit("a"), wild("foo12"), lit("/")],
            ),
            ("/foo/{$}", "", "", vec![lit("foo"), lit("/")]),
            (
                "/{a}/foo/{rest...}",
                "",
                "",
                vec![wild("a"), lit("foo"), multi("rest")],
            ),
            ("//", "", "", vec![lit(""), multi("")]),
            (
                "/foo///./../bar",
                "",
                "",
                vec![
                    lit("foo"),
                    lit(""),
                    lit(""),
                    lit("."),
                    lit(".."),
                    lit("bar"),
                ],
            ),
            (
                "a.com/foo//",
                "",
                "a.com",
                vec![lit("foo"), lit(""), multi("")],
            ),
            ("/%61%62/%7b/%", "", "", vec![lit("ab"), lit("{"), lit("%")]),
            ("GET\t  /", "GET", "", vec![multi("")]),
            (
                "POST \t  example.com/foo/{w}",
                "POST",
                "example.com",
                vec![lit("foo"), wild("w")],
            ),
            (
                "DELETE    \texample.com/a/{foo12}/{$}",
                "DELETE",
                "example.com",
                vec![lit("a"), wild("foo12"), lit("/")],
            ),
        ];
        assert_eq!(rows.len(), 20);
        for (input, method, host, segments) in rows {
            let got = must_parse(input);
            assert_eq!(
                (got.method.as_str(), got.host.as_str(), &got.segments),
                (method, host, &segments),
                "{input:?}"
            );
            assert_eq!(got.to_string(), input);
        }
    }

    // Go's TestParsePatternError: all 21 rows, plus the full texts.
    #[test]
    fn parse_pattern_error_rows() {
        let rows = [
            ("", "empty pattern"),
            ("A=B /", "at offset 0: invalid method"),
            (" ", "at offset 1: host/path missing /"),
            ("/{w}x", "at offset 1: bad wildcard segment"),
            ("/x{w}", "at offset 1: bad wildcard segment"),
            ("/{wx", "at offset 1: bad wildcard segment"),
            ("/a/{/}/c", "at offset 3: bad wildcard segment"),
            ("/a/{%61}/c", "at offset 3: bad wildcard name"),
            ("/{a$}", "at offset 1: bad wildcard name"),
            ("/{}", "at offset 1: empty wildcard"),
            ("POST a.com/x/{}/y", "at offset 13: empty wildcard"),
            ("/{...}", "at offset 1: empty wildcard"),
            ("/{$...}", "at offset 1: bad wildcard"),
            ("/{$}/", "at offset 1: {$} not at end"),
            ("/{$}/x", "at offset 1: {$} not at end"),
            ("/abc/{$}/x", "at offset 5: {$} not at end"),
            ("/{a...}/", "at offset 1: {...} wildcard not at end"),
            ("/{a...}/x", "at offset 1: {...} wildcard not at end"),
            (
                "{a}/b",
                "at offset 0: host contains '{' (missing initial '/'?)",
            ),
            ("/a/{x}/b/{x...}", "at offset 9: duplicate wildcard name"),
            (
                "GET //",
                "at offset 4: non-CONNECT pattern with unclean path",
            ),
        ];
        for (input, want) in rows {
            let err = parse_pattern(input).expect_err(input).to_string();
            assert!(
                err.contains(want),
                "{input:?}: got {err:?}, want it to contain {want:?}"
            );
        }
        // Go's exact texts (%q quoting).
        assert_eq!(
            parse_pattern("A=B /").unwrap_err().0,
            "at offset 0: invalid method \"A=B\""
        );
        assert_eq!(
            parse_pattern("/{w}x").unwrap_err().0,
            "at offset 1: bad wildcard segment (must end with '}')"
        );
        assert_eq!(
            parse_pattern("/a/{x}/b/{x...}").unwrap_err().0,
            "at offset 9: duplicate wildcard name \"x\""
        );
        assert_eq!(
            parse_pattern("/{x").unwrap_err().0,
            "at offset 1: bad wildcard segment (must end with '}')"
        );
    }

    // Go's TestCompareMethods: all 8 rows, both ways round.
    #[test]
    fn compare_methods_rows() {
        let rows = [
            ("/", "/", Equivalent),
            ("GET /", "GET /", Equivalent),
            ("HEAD /", "HEAD /", Equivalent),
            ("POST /", "POST /", Equivalent),
            ("GET /", "POST /", Disjoint),
            ("GET /", "/", MoreSpecific),
            ("HEAD /", "/", MoreSpecific),
            ("GET /", "HEAD /", MoreGeneral),
        ];
        for (a, b, want) in rows {
            let (p1, p2) = (must_parse(a), must_parse(b));
            assert_eq!(p1.compare_methods(&p2), want, "{a} vs {b}");
            assert_eq!(p2.compare_methods(&p1), want.inverse(), "{b} vs {a}");
        }
    }

    // Go's TestComparePaths: all 104 rows, both ways round, and each
    // pattern against itself.
    #[test]
    fn compare_paths_rows() {
        let rows = [
            ("/a", "/a", Equivalent),
            ("/a", "/b", Disjoint),
            ("/a", "/", MoreSpecific),
            ("/a", "/{$}", Disjoint),
            ("/a", "/{x}", MoreSpecific),
            ("/a", "/{x...}", MoreSpecific),
            ("/b/a", "/b/a", Equivalent),
            ("/b/a", "/b/b", Disjoint),
            ("/b/a", "/b/", MoreSpecific),
            ("/b/a", "/b/{$}", Disjoint),
            ("/b/a", "/b/{x}", MoreSpecific),
            ("/b/a", "/b/{x...}", MoreSpecific),
            ("/{z}/a", "/{z}/a", Equivalent),
            ("/{z}/a", "/{z}/b", Disjoint),
            ("/{z}/a", "/{z}/", MoreSpecific),
            ("/{z}/a", "/{z}/{$}", Disjoint),
            ("/{z}/a", "/{z}/{x}", MoreSpecific),
            ("/{z}/a", "/{z}/{x...}", MoreSpecific),
            ("/{z}", "/a", MoreGeneral),
            ("/{z}", "/a/b", Disjoint),
            ("/{z}", "/{$}", Disjoint),
            ("/{z}", "/{x}", Equivalent),
            ("/{z}", "/", MoreSpecific),
            ("/{z}", "/{x...}", MoreSpecific),
            ("/b/{z}", "/b/a", MoreGeneral),
            ("/b/{z}", "/b/a/b", Disjoint),
            ("/b/{z}", "/b/{$}", Disjoint),
            ("/b/{z}", "/b/{x}", Equivalent),
            ("/b/{z}", "/b/", MoreSpecific),
            ("/b/{z}", "/b/{x...}", MoreSpecific),
            ("/", "/a", MoreGeneral),
            ("/", "/a/b", MoreGeneral),
            ("/", "/{$}", MoreGeneral),
            ("/", "/{x}", MoreGeneral),
            ("/", "/", Equivalent),
            ("/", "/{x...}", Equivalent),
            ("/b/", "/b/a", MoreGeneral),
            ("/b/", "/b/a/b", MoreGeneral),
            ("/b/", "/b/{$}", MoreGeneral),
            ("/b/", "/b/{x}", MoreGeneral),
            ("/b/", "/b/", Equivalent),
            ("/b/", "/b/{x...}", Equivalent),
            ("/{z}/", "/{z}/a", MoreGeneral),
            ("/{z}/", "/{z}/a/b", MoreGeneral),
            ("/{z}/", "/{z}/{$}", MoreGeneral),
            ("/{z}/", "/{z}/{x}", MoreGeneral),
            ("/{z}/", "/{z}/", Equivalent),
            ("/{z}/", "/a/", MoreGeneral),
            ("/{z}/", "/{z}/{x...}", Equivalent),
            ("/{z}/", "/a/{x...}", MoreGeneral),
            ("/a/{z}/", "/{z}/a/", Overlaps),
            ("/a/{z}/b/", "/{x}/c/{y...}", Overlaps),
            ("/{m...}", "/a", MoreGeneral),
            ("/{m...}", "/a/b", MoreGeneral),
            ("/{m...}", "/{$}", MoreGeneral),
            ("/{m...}", "/{x}", MoreGeneral),
            ("/{m...}", "/", Equivalent),
            ("/{m...}", "/{x...}", Equivalent),
            ("/b/{m...}", "/b/a", MoreGeneral),
            ("/b/{m...}", "/b/a/b", MoreGeneral),
            ("/b/{m...}", "/b/{$}", MoreGeneral),
            ("/b/{m...}", "/b/{x}", MoreGeneral),
            ("/b/{m...}", "/b/", Equivalent),
            ("/b/{m...}", "/b/{x...}", Equivalent),
            ("/b/{m...}", "/a/{x...}", Disjoint),
            ("/{z}/{m...}", "/{z}/a", MoreGeneral),
            ("/{z}/{m...}", "/{z}/a/b", MoreGeneral),
            ("/{z}/{m...}", "/{z}/{$}", MoreGeneral),
            ("/{z}/{m...}", "/{z}/{x}", MoreGeneral),
            ("/{z}/{m...}", "/{w}/", Equivalent),
            ("/{z}/{m...}", "/a/", MoreGeneral),
            ("/{z}/{m...}", "/{z}/{x...}", Equivalent),
            ("/{z}/{m...}", "/a/{x...}", MoreGeneral),
            ("/a/{m...}", "/a/b/{y...}", MoreGeneral),
            ("/a/{m...}", "/a/{x}/{y...}", MoreGeneral),
            ("/a/{z}/{m...}", "/a/b/{y...}", MoreGeneral),
            ("/a/{z}/{m...}", "/{z}/a/", Overlaps),
            ("/a/{z}/{m...}", "/{z}/b/{y...}", Overlaps),
            ("/a/{z}/b/{m...}", "/{x}/c/{y...}", Overlaps),
            ("/a/{z}/a/{m...}", "/{x}/b", Disjoint),
            ("/{$}", "/a", Disjoint),
            ("/{$}", "/a/b", Disjoint),
            ("/{$}", "/{$}", Equivalent),
            ("/{$}", "/{x}", Disjoint),
            ("/{$}", "/", MoreSpecific),
            ("/{$}", "/{x...}", MoreSpecific),
            ("/b/{$}", "/b", Disjoint),
            ("/b/{$}", "/b/a", Disjoint),
            ("/b/{$}", "/b/a/b", Disjoint),
            ("/b/{$}", "/b/{$}", Equivalent),
            ("/b/{$}", "/b/{x}", Disjoint),
            ("/b/{$}", "/b/", MoreSpecific),
            ("/b/{$}", "/b/{x...}", MoreSpecific),
            ("/b/{$}", "/b/c/{x...}", Disjoint),
            ("/b/{x}/a/{$}", "/{x}/c/{y...}", Overlaps),
            ("/{x}/b/{$}", "/a/{x}/{y}", Disjoint),
            ("/{x}/b/{$}", "/a/{x}/c", Disjoint),
            ("/{z}/{$}", "/{z}/a", Disjoint),
            ("/{z}/{$}", "/{z}/a/b", Disjoint),
            ("/{z}/{$}", "/{z}/{$}", Equivalent),
            ("/{z}/{$}", "/{z}/{x}", Disjoint),
            ("/{z}/{$}", "/{z}/", MoreSpecific),
            ("/{z}/{$}", "/a/", Overlaps),
            ("/{z}/{$}", "/a/{x...}", Overlaps),
            ("/{z}/{$}", "/{z}/{x...}", MoreSpecific),
            ("/a/{z}/{$}", "/{z}/a/", Overlaps),
        ];
        assert_eq!(rows.len(), 106);
        for (a, b, want) in rows {
            let (p1, p2) = (must_parse(a), must_parse(b));
            assert_eq!(p1.compare_paths(&p1), Equivalent, "{a} vs itself");
            assert_eq!(p2.compare_paths(&p2), Equivalent, "{b} vs itself");
            assert_eq!(p1.compare_paths(&p2), want, "{a} vs {b}");
            assert_eq!(p2.compare_paths(&p1), want.inverse(), "{b} vs {a}");
        }
    }

    // Go's TestConflictsWith: all 21 rows, both ways round.
    #[test]
    fn conflicts_with_rows() {
        let rows = [
            ("/a", "/a", true),
            ("/a", "/ab", false),
            ("/a/b/cd", "/a/b/cd", true),
            ("/a/b/cd", "/a/b/c", false),
            ("/a/b/c", "/a/c/c", false),
            ("/{x}", "/{y}", true),
            ("/{x}", "/a", false),
            ("/{x}/{y}", "/{x}/a", false),
            ("/{x}/{y}", "/{x}/a/b", false),
            ("/{x}", "/a/{y}", false),
            ("/{x}/{y}", "/{x}/a/", false),
            ("/{x}", "/a/{y...}", false),
            ("/{x}/a/{y}", "/{x}/a/{y...}", false),
            ("/{x}/{y}", "/{x}/a/{$}", false),
            ("/{x}/{y}/{$}", "/{x}/a/{$}", false),
            ("/a/{x}", "/{x}/b", true),
            ("/", "GET /", false),
            ("/", "GET /foo", false),
            ("GET /", "GET /foo", false),
            ("GET /", "/foo", true),
            ("GET /foo", "HEAD /", true),
        ];
        for (a, b, want) in rows {
            let (p1, p2) = (must_parse(a), must_parse(b));
            assert_eq!(p1.conflicts_with(&p2), want, "{a:?} conflicts with {b:?}");
            assert_eq!(p2.conflicts_with(&p1), want, "{b:?} conflicts with {a:?}");
        }
    }

    // Go's TestDescribeConflict: all 6 rows, and one full text.
    #[test]
    fn describe_conflict_rows() {
        let rows = [
            ("/a/{x}", "/a/{y}", "the same requests"),
            ("/", "/{m...}", "the same requests"),
            ("/a/{x}", "/{y}/b", "both match some paths"),
            (
                "/a",
                "GET /{x}",
                "matches more methods than GET /{x}, but has a more specific path pattern",
            ),
            (
                "GET /a",
                "HEAD /",
                "matches more methods than HEAD /, but has a more specific path pattern",
            ),
            (
                "POST /",
                "/a",
                "matches fewer methods than /a, but has a more general path pattern",
            ),
        ];
        for (a, b, want) in rows {
            let got = describe_conflict(&must_parse(a), &must_parse(b));
            assert!(
                got.contains(want),
                "{a} vs. {b}:\ngot:\n{got}\nwhich does not contain {want:?}"
            );
        }
        assert_eq!(
            describe_conflict(&must_parse("/a/{x}"), &must_parse("/{y}/b")),
            "/a/{x} and /{y}/b both match some paths, like \"/a/b\".\n\
             But neither is more specific than the other.\n\
             /a/{x} matches \"/a/x\", but /{y}/b doesn't.\n\
             /{y}/b matches \"/y/b\", but /a/{x} doesn't."
        );
    }

    // Go's TestCommonPath: all 10 rows.
    #[test]
    fn common_path_rows() {
        let rows = [
            ("/a/{x}", "/{x}/a", "/a/a"),
            ("/a/{z}/", "/{z}/a/", "/a/a/"),
            ("/a/{z}/{m...}", "/{z}/a/", "/a/a/"),
            ("/{z}/{$}", "/a/", "/a/"),
            ("/{z}/{$}", "/a/{x...}", "/a/"),
            ("/a/{z}/{$}", "/{z}/a/", "/a/a/"),
            ("/a/{x}/b/{y...}", "/{x}/c/{y...}", "/a/c/b/"),
            ("/a/{x}/b/", "/{x}/c/{y...}", "/a/c/b/"),
            ("/a/{x}/b/{$}", "/{x}/c/{y...}", "/a/c/b/"),
            ("/a/{z}/{x...}", "/{z}/b/{y...}", "/a/b/"),
        ];
        for (a, b, want) in rows {
            let (p1, p2) = (must_parse(a), must_parse(b));
            assert_eq!(p1.compare_paths(&p2), Overlaps, "{a} vs {b}");
            assert_eq!(common_path(&p1, &p2), want, "{a} vs {b}");
        }
    }

    // Go's TestDifferencePath: all 25 rows.
    #[test]
    fn difference_path_rows() {
        let rows = [
            ("/a/{x}", "/{x}/a", "/a/x"),
            ("/{x}/a", "/a/{x}", "/x/a"),
            ("/a/{z}/", "/{z}/a/", "/a/z/"),
            ("/{z}/a/", "/a/{z}/", "/z/a/"),
            ("/{a}/a/", "/a/{z}/", "/ax/a/"),
            ("/a/{z}/{x...}", "/{z}/b/{y...}", "/a/z/"),
            ("/{z}/b/{y...}", "/a/{z}/{x...}", "/z/b/"),
            ("/a/b/", "/a/b/c", "/a/b/"),
            ("/a/b/{x...}", "/a/b/c", "/a/b/"),
            ("/a/b/{x...}", "/a/b/c/d", "/a/b/"),
            ("/a/b/{x...}", "/a/b/c/d/", "/a/b/"),
            ("/a/{z}/{m...}", "/{z}/a/", "/a/z/"),
            ("/{z}/a/", "/a/{z}/{m...}", "/z/a/"),
            ("/{z}/{$}", "/a/", "/z/"),
            ("/a/", "/{z}/{$}", "/a/x"),
            ("/{z}/{$}", "/a/{x...}", "/z/"),
            ("/a/{foo...}", "/{z}/{$}", "/a/foo"),
            ("/a/{z}/{$}", "/{z}/a/", "/a/z/"),
            ("/{z}/a/", "/a/{z}/{$}", "/z/a/x"),
            ("/a/{x}/b/{y...}", "/{x}/c/{y...}", "/a/x/b/"),
            ("/{x}/c/{y...}", "/a/{x}/b/{y...}", "/x/c/"),
            ("/a/{c}/b/", "/{x}/c/{y...}", "/a/cx/b/"),
            ("/{x}/c/{y...}", "/a/{c}/b/", "/x/c/"),
            ("/a/{x}/b/{$}", "/{x}/c/{y...}", "/a/x/b/"),
            ("/{x}/c/{y...}", "/a/{x}/b/{$}", "/x/c/"),
        ];
        for (a, b, want) in rows {
            let (p1, p2) = (must_parse(a), must_parse(b));
            let rel = p1.compare_paths(&p2);
            assert!(
                rel == Overlaps || rel == MoreGeneral,
                "{a} vs {b} are {rel}"
            );
            assert_eq!(difference_path(&p1, &p2), want, "{a} vs {b}");
        }
    }

    #[test]
    fn combine_is_symmetric_under_inverse() {
        let all = [Equivalent, MoreGeneral, MoreSpecific, Disjoint, Overlaps];
        for a in all {
            for b in all {
                assert_eq!(
                    a.combine(b).inverse(),
                    a.inverse().combine(b.inverse()),
                    "{a} {b}"
                );
            }
        }
    }
}
