//! Mirrors Go src/net/http/routing_index.go (go1.27): an index of registered patterns that narrows down which ones a new pattern might conflict with.
//!
//! Checking a new pattern against every registered one is quadratic over a
//! registration run. The index keeps, for each (segment position, literal)
//! and each (position, wildcard), the patterns that have it there; two
//! patterns without a multi wildcard can only conflict if at every
//! position where one has a literal the other has the same literal or a
//! wildcard. So it suffices to look at the patterns listed under one of
//! the new pattern's literal positions (the shortest list) plus the
//! wildcards at that position. Patterns ending in a multi wildcard are few
//! in practice and are always checked. The index may over-report; the
//! caller runs the exact test, [`Pattern::conflicts_with`], on each.

use std::collections::HashMap;
use std::sync::Arc;

use crate::pattern::Pattern;

/// A list of registered patterns the index hands out.
type Candidates<'a> = &'a [Arc<Pattern>];

/// The index (Go's `routingIndex`).
#[derive(Debug, Default)]
pub(crate) struct RoutingIndex {
    /// (position, literal) to the patterns with that literal there;
    /// `""` as the literal stands for a single wildcard. Only patterns
    /// without a multi wildcard are listed.
    segments: HashMap<(usize, String), Vec<Arc<Pattern>>>,
    /// Every pattern ending in a multi wildcard or a trailing slash.
    multis: Vec<Arc<Pattern>>,
}

impl RoutingIndex {
    /// Records a registered pattern.
    pub(crate) fn add_pattern(&mut self, pat: Arc<Pattern>) {
        if pat.last_segment().multi {
            self.multis.push(pat);
            return;
        }
        for (pos, seg) in pat.segments.iter().enumerate() {
            let key = if seg.wild {
                String::new()
            } else {
                seg.s.clone()
            };
            self.segments
                .entry((pos, key))
                .or_default()
                .push(Arc::clone(&pat));
        }
    }

    fn list(&self, pos: usize, s: &str) -> &[Arc<Pattern>] {
        // A (usize, String) key cannot be looked up by &str without
        // allocating; patterns are registered rarely, so that is fine.
        self.segments
            .get(&(pos, s.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// Calls `f` on every registered pattern that might conflict with
    /// `pat` (and maybe on some that cannot, and maybe more than once),
    /// stopping at the first error `f` returns.
    pub(crate) fn possibly_conflicting_patterns<E>(
        &self,
        pat: &Pattern,
        mut f: impl FnMut(&Arc<Pattern>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut apply = |pats: &[Arc<Pattern>]| pats.iter().try_for_each(&mut f);

        // Multi patterns are not indexed; any of them may match.
        apply(&self.multis)?;

        let last = pat.last_segment();
        if !last.wild && last.s == "/" {
            // A `{$}` pattern only matches paths ending in a slash, which no
            // ordinary pattern matches; and another `{$}` pattern must have
            // it at the same position to meet it.
            return apply(self.list(pat.segments.len() - 1, "/"));
        }

        // Otherwise pick the literal position with the fewest candidates:
        // those with that literal there, and those with a wildcard there.
        let mut best: Option<(Candidates<'_>, Candidates<'_>)> = None;
        for (i, seg) in pat.segments.iter().enumerate() {
            if seg.multi {
                break;
            }
            if !seg.wild {
                let lits = self.list(i, &seg.s);
                let wilds = self.list(i, "");
                if best.is_none_or(|(l, w)| lits.len() + wilds.len() < l.len() + w.len()) {
                    best = Some((lits, wilds));
                }
            }
        }
        if let Some((lits, wilds)) = best {
            apply(lits)?;
            return apply(wilds);
        }

        // All wildcards: every indexed pattern is a candidate.
        for pats in self.segments.values() {
            apply(pats)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::parse_pattern;

    /// Go's generatePatterns: every combination of a method, a host, up to
    /// `max_segs` inner segments and a final segment, each wildcard renamed
    /// to be unique within its pattern.
    fn generate_patterns(max_segs: usize) -> Vec<Arc<Pattern>> {
        let methods = ["", "GET ", "HEAD ", "POST "];
        let hosts = ["", "h1", "h2"];
        let segs = ["/a", "/b", "/{x}"];
        let finals = ["/a", "/b", "/{f}", "/{m...}", "/{$}"];

        // Every run of 0..=max_segs inner segments, shortest first.
        let mut middles = vec![String::new()];
        let mut all_middles = vec![String::new()];
        for _ in 0..max_segs {
            middles = middles
                .iter()
                .flat_map(|m| segs.iter().map(move |s| format!("{m}{s}")))
                .collect();
            all_middles.extend(middles.iter().cloned());
        }

        let mut pats = Vec::new();
        for m in methods {
            for h in hosts {
                for mid in &all_middles {
                    for f in finals {
                        let raw = format!("{m}{h}{mid}{f}");
                        let mut unique = String::new();
                        let mut rest = raw.as_str();
                        let mut n = 0;
                        while let Some(i) = rest.find("{x}") {
                            unique.push_str(&rest[..i]);
                            unique.push_str(&format!("{{x{n}}}"));
                            n += 1;
                            rest = &rest[i + 3..];
                        }
                        unique.push_str(rest);
                        pats.push(Arc::new(parse_pattern(&unique).unwrap()));
                    }
                }
            }
        }
        pats
    }

    fn index_conflicts(pat: &Pattern, idx: &RoutingIndex) -> Vec<String> {
        let mut s = Vec::new();
        idx.possibly_conflicting_patterns(pat, |p| {
            if pat.conflicts_with(p) {
                s.push(p.str.clone());
            }
            Ok::<(), ()>(())
        })
        .unwrap();
        s.sort();
        s.dedup();
        s
    }

    fn true_conflicts(pat: &Pattern, pats: &[Arc<Pattern>]) -> Vec<String> {
        let mut s: Vec<String> = pats
            .iter()
            .filter(|p| pat.conflicts_with(p))
            .map(|p| p.str.clone())
            .collect();
        s.sort();
        s
    }

    // Go's TestIndex, whole: all 2,400 generated patterns (up to three
    // inner segments), each checked against the exhaustive answer. The
    // quadratic reference check takes a fraction of a second even in a
    // debug build, so no bound is needed.
    #[test]
    fn index_finds_every_conflict() {
        let patterns = generate_patterns(3);
        assert_eq!(patterns.len(), 4 * 3 * (1 + 3 + 9 + 27) * 5);
        let mut idx = RoutingIndex::default();
        for (i, pat) in patterns.iter().enumerate() {
            let got = index_conflicts(pat, &idx);
            let want = true_conflicts(pat, &patterns[..i]);
            assert_eq!(got, want, "{:?}", pat.str);
            idx.add_pattern(Arc::clone(pat));
        }
    }

    #[test]
    fn stops_at_the_first_error() {
        let mut idx = RoutingIndex::default();
        for p in ["/a/", "/b/", "/{x}/"] {
            idx.add_pattern(Arc::new(parse_pattern(p).unwrap()));
        }
        let mut calls = 0;
        let r = idx.possibly_conflicting_patterns(&parse_pattern("/c").unwrap(), |_| {
            calls += 1;
            Err("stop")
        });
        assert_eq!((r, calls), (Err("stop"), 1));
    }
}
