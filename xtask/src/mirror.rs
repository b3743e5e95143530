//! `cargo xtask mirror`: the mirror map, and the book's include check.
//!
//! Every Rust source file under `crates/{runtime,netpoll,poll,net}/src`
//! opens with a line naming the Go file it follows:
//!
//! ```text
//! //! Mirrors Go src/runtime/proc.go (go1.27): the scheduler: newproc, ...
//! //! Mirrors Go src/runtime/proc.go (runqput, runqget: the per-P run queue) (go1.27).
//! //! Mirrors Go src/net/file_unix.go and file_posix.go (go1.27), with the ...
//! //! Mirrors Go src/net/net.go (go1.27), its package overview: ...
//! ```
//!
//! that is, one or more Go files (joined by "and" or commas; a bare name is
//! in the first file's directory), optionally the part of them in
//! parentheses, then `(go1.27)`, then optionally `, <part>` and `: <what the
//! file holds>` (which may run on over the following `//!` lines of the
//! first paragraph). From those lines this task writes `docs/src/map.md`,
//! the book's appendix, and prints it. It fails, listing every problem, when
//! a file lacks the line, when a Go file it names is missing from Go 1.27's
//! `$(go env GOROOT)/src` (checked only when `go` is on PATH and is a
//! go1.27 release), when an `{{#include}}` or `{{#rustdoc_include}}` of the
//! book names a missing file or anchor or resolves to an empty block
//! (mdBook itself renders those silently as nothing), or when the committed
//! `docs/src/map.md` was stale (it is rewritten; commit the new one).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The crates whose sources mirror Go files, in the order of the map.
const CRATES: &[(&str, &str)] = &[
    ("runtime", "gort-runtime"),
    ("netpoll", "gort-netpoll"),
    ("poll", "gort-poll"),
    ("net", "gort-net"),
    ("http", "gort-http"),
];

/// Where Go's sources are linked to.
const GO_SRC_URL: &str = "https://github.com/golang/go/blob/go1.27/src/";

/// The Go release every first line names.
const GO_RELEASE: &str = "go1.27";

/// The map, relative to the workspace root.
const MAP: &str = "docs/src/map.md";

/// What a file's first line (and the rest of its first paragraph) says.
#[derive(Debug, PartialEq, Eq)]
struct Mirror {
    /// The Go files, relative to Go's `src/` (`runtime/proc.go`).
    go_files: Vec<String>,
    /// The part of the Go file(s) mirrored, if the line names one.
    part: Option<String>,
    /// What the file holds, from the text after the colon.
    summary: String,
}

/// The map's rows for one crate.
struct Section {
    /// The crate's directory under `crates/`.
    dir: &'static str,
    /// The crate's name.
    name: &'static str,
    /// (file relative to the workspace root, its mirror line), by path.
    rows: Vec<(String, Mirror)>,
}

/// The task: check everything, write and print the map.
pub(crate) fn run() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask must sit inside the workspace")?
        .to_path_buf();
    let mut problems = Vec::new();

    // The mirrored files and their first lines.
    let mut sections = Vec::new();
    for (dir, name) in CRATES {
        let src = root.join("crates").join(dir).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files).map_err(|e| format!("cannot list {}: {e}", src.display()))?;
        files.sort();
        let mut rows = Vec::new();
        for file in files {
            let rel = relative(&root, &file);
            let text = match fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!("{rel}: cannot read: {e}"));
                    continue;
                }
            };
            match parse_mirror(&text) {
                Ok(m) => rows.push((rel, m)),
                Err(e) => problems.push(format!("{rel}: {e}")),
            }
        }
        sections.push(Section { dir, name, rows });
    }

    // Every Go file named must exist in Go 1.27.
    match go_src_dir() {
        Ok(go_src) => {
            for section in &sections {
                for (rel, m) in &section.rows {
                    for go in &m.go_files {
                        if !go_src.join(go).is_file() {
                            problems.push(format!(
                                "{rel}: names Go file src/{go}, which {GO_RELEASE} does not have \
                                 (looked in {})",
                                go_src.display()
                            ));
                        }
                    }
                }
            }
        }
        Err(note) => eprintln!("xtask mirror: note: {note}; not checking that the Go files exist"),
    }

    // Every include of the book must resolve to something.
    let book = root.join("docs").join("src");
    let mut pages = Vec::new();
    if let Err(e) = files_with_ext(&book, "md", &mut pages) {
        problems.push(format!("cannot list {}: {e}", book.display()));
    }
    pages.sort();
    for page in &pages {
        let rel = relative(&root, page);
        match fs::read_to_string(page) {
            Ok(text) => problems.extend(
                check_includes(page, &text)
                    .into_iter()
                    .map(|p| format!("{rel}: {p}")),
            ),
            Err(e) => problems.push(format!("{rel}: cannot read: {e}")),
        }
    }

    // The map: print it, and write it if it changed.
    let map = render_map(&sections);
    print!("{map}");
    let map_path = root.join(MAP);
    let old = fs::read_to_string(&map_path).unwrap_or_default();
    if old != map {
        fs::write(&map_path, &map).map_err(|e| format!("cannot write {MAP}: {e}"))?;
        problems.push(format!(
            "{MAP} is stale: run cargo xtask mirror (this run has rewritten it; commit the new one)"
        ));
    }

    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        eprintln!("xtask mirror: {p}");
    }
    Err(format!(
        "mirror: {} problem(s), listed above",
        problems.len()
    ))
}

/// The path of `file` relative to the workspace root, with `/` separators.
fn relative(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    files_with_ext(dir, "rs", out)
}

/// Every file under `dir` whose extension is `ext`, recursively.
fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_with_ext(&path, ext, out)?;
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    Ok(())
}

/// `$(go env GOROOT)/src` if `go` is on PATH and is a go1.27 release; else
/// why the existence check is skipped.
fn go_src_dir() -> Result<PathBuf, String> {
    let output = |args: &[&str]| -> Result<String, String> {
        let out = Command::new("go")
            .args(args)
            .output()
            .map_err(|_| "`go` is not on PATH".to_string())?;
        if !out.status.success() {
            return Err(format!("`go {}` failed", args.join(" ")));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let version = output(&["env", "GOVERSION"])?;
    // "go1.27", "go1.27.3", "go1.27rc1"; not "go1.270".
    let is_release = version
        .strip_prefix(GO_RELEASE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', 'r']));
    if !is_release {
        return Err(format!("`go` is {version}, not {GO_RELEASE}"));
    }
    let goroot = output(&["env", "GOROOT"])?;
    let src = Path::new(&goroot).join("src");
    if !src.is_dir() {
        return Err(format!("{} is not a directory", src.display()));
    }
    Ok(src)
}

/// Parses the mirror line of a source file (see the module doc): its first
/// line, and the rest of its first paragraph for the summary.
fn parse_mirror(text: &str) -> Result<Mirror, String> {
    const PREFIX: &str = "//! Mirrors Go ";
    const EXPECTED: &str = "the first line must be `//! Mirrors Go src/<path> (go1.27)...`";
    let first = text.lines().next().unwrap_or("");
    let Some(head_and_rest) = first.strip_prefix(PREFIX) else {
        return Err(format!("{EXPECTED}, found {first:?}"));
    };
    let marker = format!("({GO_RELEASE})");
    let Some(at) = head_and_rest.find(&marker) else {
        return Err(format!("{EXPECTED}, found {first:?} (no {marker})"));
    };
    let head = head_and_rest[..at].trim();

    // "<files> (<part>)" or "<files>".
    let (files, mut part) = match head.strip_suffix(')').and_then(|h| h.split_once(" (")) {
        Some((files, part)) => (files.trim(), Some(part.trim().to_string())),
        None => (head, None),
    };
    let go_files = parse_go_files(files).map_err(|e| format!("{e}, in {first:?}"))?;

    // The rest of the first paragraph, after "(go1.27)".
    let mut rest = head_and_rest[at + marker.len()..].trim().to_string();
    for line in text.lines().skip(1) {
        let Some(more) = line.strip_prefix("//!") else {
            break;
        };
        let more = more.trim();
        if more.is_empty() {
            break;
        }
        rest.push(' ');
        rest.push_str(more);
    }
    // ", <part>: <summary>" or ": <summary>" or "." or "".
    let summary = if let Some(after_comma) = rest.strip_prefix(',') {
        let (p, s) = after_comma.split_once(": ").unwrap_or((after_comma, ""));
        let p = p.trim().trim_end_matches('.').to_string();
        part = Some(match part {
            Some(before) => format!("{before}; {p}"),
            None => p,
        });
        s.trim().to_string()
    } else if let Some(s) = rest.strip_prefix(':') {
        s.trim().to_string()
    } else {
        rest.trim_start_matches('.').trim().to_string()
    };
    Ok(Mirror {
        go_files,
        part,
        summary,
    })
}

/// `src/net/file_unix.go and file_posix.go` → `net/file_unix.go`,
/// `net/file_posix.go`. Names are separated by "and" or commas; the first
/// starts with `src/`; a later bare name is in the first one's directory.
fn parse_go_files(files: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for name in files
        .split(',')
        .flat_map(|s| s.split(" and "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if name.contains(char::is_whitespace) || !(name.ends_with(".go") || name.ends_with(".s")) {
            return Err(format!("{name:?} is not a Go source file name"));
        }
        let path = match (name.strip_prefix("src/"), out.first()) {
            (Some(p), _) => p.to_string(),
            (None, Some(first)) => match first.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/{name}"),
                None => name.to_string(),
            },
            (None, None) => {
                return Err(format!(
                    "the first Go file must start with src/, not {name:?}"
                ));
            }
        };
        if path.split('/').any(|c| c.is_empty() || c == "..") {
            return Err(format!("{name:?} is not a path inside Go's src/"));
        }
        out.push(path);
    }
    if out.is_empty() {
        return Err("no Go file named".to_string());
    }
    Ok(out)
}

/// The map in Markdown: one table per crate.
fn render_map(sections: &[Section]) -> String {
    let mut s = String::new();
    s.push_str("# The mirror map\n\n");
    s.push_str(
        "Every Rust source file of gort's runtime, netpoll, poll and net crates, beside\n\
         the Go file it mirrors, as the file's first line states it\n\
         (`//! Mirrors Go src/<path> (go1.27)...`). Generated by `cargo xtask mirror`,\n\
         which also checks that each named Go file exists in Go 1.27; do not edit by hand.\n",
    );
    for Section { dir, name, rows } in sections {
        let _ = write!(s, "\n## {name} (`crates/{dir}`)\n\n");
        s.push_str("| Rust file | Go file | Part | What it holds |\n");
        s.push_str("|---|---|---|---|\n");
        for (rel, m) in rows {
            let go = m
                .go_files
                .iter()
                .map(|g| format!("[{g}]({GO_SRC_URL}{g})"))
                .collect::<Vec<_>>()
                .join("<br>");
            let part = m.part.as_deref().map(cell).unwrap_or_default();
            let _ = writeln!(s, "| `{rel}` | {go} | {part} | {} |", cell(&m.summary));
        }
    }
    s
}

/// Text made safe for one table cell, with rustdoc's links made plain.
fn cell(text: &str) -> String {
    plain_doc_links(text).replace('|', "\\|")
}

/// Rustdoc's links (`` [`Mutex`] ``, `` [`x`](crate::y) ``, `[text](path)`)
/// as their text: their targets are Rust paths, which mean nothing in the
/// book.
fn plain_doc_links(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        let inner = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let target_end = after
            .strip_prefix('(')
            .and_then(|a| a.find(')'))
            .map(|e| e + 2);
        match target_end {
            Some(end) => {
                out.push_str(&rest[..open]);
                out.push_str(inner);
                rest = &after[end..];
            }
            None if inner.len() > 1 && inner.starts_with('`') && inner.ends_with('`') => {
                out.push_str(&rest[..open]);
                out.push_str(inner);
                rest = after;
            }
            None => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One `{{#include ...}}` or `{{#rustdoc_include ...}}` of a page.
#[derive(Debug, PartialEq, Eq)]
struct Include {
    /// The file, as written (relative to the page's directory).
    path: String,
    /// What part of it.
    what: Selection,
}

/// The part of a file an include takes (mdBook's rules).
#[derive(Debug, PartialEq, Eq)]
enum Selection {
    /// Lines `start..end` (0-based, end exclusive; `None` for open ends).
    Lines(Option<usize>, Option<usize>),
    /// The lines between `ANCHOR: name` and `ANCHOR_END: name`.
    Anchor(String),
}

/// The includes of a page, in order. An include escaped with a backslash
/// (`\{{#include ...}}`) is text, not an include, as in mdBook.
fn includes(text: &str) -> Vec<Include> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("{{#") {
        let start = from + at;
        from = start + 3;
        if text[..start].ends_with('\\') {
            continue;
        }
        let body = &text[start + 3..];
        let Some(end) = body.find("}}") else { break };
        let body = &body[..end];
        let args = match body
            .strip_prefix("include")
            .or_else(|| body.strip_prefix("rustdoc_include"))
        {
            Some(a) if a.starts_with(char::is_whitespace) => a.trim(),
            _ => continue,
        };
        let (path, sel) = args.split_once(':').unwrap_or((args, ""));
        out.push(Include {
            path: path.trim().to_string(),
            what: selection(sel),
        });
    }
    out
}

/// mdBook's reading of what follows the path: `N`, `N:M`, `N:`, `:M`, or
/// an anchor name; nothing is the whole file.
fn selection(sel: &str) -> Selection {
    let mut parts = sel.splitn(2, ':');
    let first = parts.next().unwrap_or("");
    let start = match first.parse::<usize>() {
        Ok(n) => Some(n.saturating_sub(1)),
        Err(_) if first.is_empty() => None,
        Err(_) => return Selection::Anchor(first.to_string()),
    };
    let end = parts.next().map(str::parse::<usize>);
    match (start, end) {
        (Some(s), Some(Ok(e))) => Selection::Lines(Some(s), Some(e)),
        (Some(s), Some(Err(_))) => Selection::Lines(Some(s), None),
        (Some(s), None) => Selection::Lines(Some(s), Some(s + 1)),
        (None, Some(Ok(e))) => Selection::Lines(None, Some(e)),
        (None, _) => Selection::Lines(None, None),
    }
}

/// The anchor name a marker line starts or ends (`marker` is `ANCHOR:` or
/// `ANCHOR_END:`), as mdBook finds it: the word after the marker.
fn marker_name<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let at = line.find(marker)?;
    let rest = line[at + marker.len()..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Whether a line is an anchor marker (mdBook drops those from includes).
fn is_marker(line: &str) -> bool {
    marker_name(line, "ANCHOR:").is_some() || marker_name(line, "ANCHOR_END:").is_some()
}

/// The lines an anchor includes (without marker lines), or why it cannot.
fn anchored_lines<'a>(text: &'a str, anchor: &str) -> Result<Vec<&'a str>, String> {
    let mut starts = text
        .lines()
        .enumerate()
        .filter(|(_, l)| marker_name(l, "ANCHOR:") == Some(anchor));
    let Some((first, _)) = starts.next() else {
        return Err(format!("no `ANCHOR: {anchor}`"));
    };
    if let Some((again, _)) = starts.next() {
        return Err(format!(
            "`ANCHOR: {anchor}` appears twice (lines {} and {})",
            first + 1,
            again + 1
        ));
    }
    let mut out = Vec::new();
    for line in text.lines().skip(first + 1) {
        if marker_name(line, "ANCHOR_END:") == Some(anchor) {
            return Ok(out);
        }
        if !is_marker(line) {
            out.push(line);
        }
    }
    Err(format!("`ANCHOR: {anchor}` has no `ANCHOR_END: {anchor}`"))
}

/// The lines an include takes from `text`, or why it takes none.
fn included_lines<'a>(text: &'a str, what: &Selection) -> Result<Vec<&'a str>, String> {
    match what {
        Selection::Anchor(a) => anchored_lines(text, a),
        Selection::Lines(start, end) => {
            let all: Vec<&str> = text.lines().collect();
            let s = start.unwrap_or(0);
            let e = end.unwrap_or(all.len()).min(all.len());
            // mdBook drops marker lines from ranges and whole files too.
            Ok(all
                .get(s..e.max(s))
                .unwrap_or(&[])
                .iter()
                .copied()
                .filter(|l| !is_marker(l))
                .collect())
        }
    }
}

/// The problems with the includes of one page.
fn check_includes(page: &Path, text: &str) -> Vec<String> {
    let dir = page.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    for inc in includes(text) {
        let shown = match &inc.what {
            Selection::Anchor(a) => format!("{}:{a}", inc.path),
            Selection::Lines(..) => inc.path.clone(),
        };
        let file = dir.join(&inc.path);
        let body = match fs::read_to_string(&file) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!(
                    "{{{{#include {shown}}}}}: cannot read {}: {e}",
                    inc.path
                ));
                continue;
            }
        };
        match included_lines(&body, &inc.what) {
            Ok(lines) if lines.iter().all(|l| l.trim().is_empty()) => {
                problems.push(format!(
                    "{{{{#include {shown}}}}}: the included block is empty"
                ));
            }
            Ok(_) => {}
            Err(e) => problems.push(format!("{{{{#include {shown}}}}}: {e}")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(text: &str) -> Mirror {
        parse_mirror(text).unwrap()
    }

    #[test]
    fn first_line_with_a_summary() {
        let m = mirror(
            "//! Mirrors Go src/net/cgo_unix.go (go1.27): name lookups through the C\n\
             //! library's `getaddrinfo(3)`.\n//!\n//! More.\n",
        );
        assert_eq!(m.go_files, ["net/cgo_unix.go"]);
        assert_eq!(m.part, None);
        assert_eq!(
            m.summary,
            "name lookups through the C library's `getaddrinfo(3)`."
        );
    }

    #[test]
    fn first_line_with_nothing_after_the_release() {
        let m = mirror("//! Mirrors Go src/internal/poll/fd_mutex.go (go1.27).\n//!\n//! Text.\n");
        assert_eq!(m.go_files, ["internal/poll/fd_mutex.go"]);
        assert_eq!((m.part, m.summary.as_str()), (None, ""));
        let m = mirror("//! Mirrors Go src/runtime/stack.go (go1.27)\nuse x;\n");
        assert_eq!(
            (m.go_files, m.summary.as_str()),
            (vec!["runtime/stack.go".into()], "")
        );
    }

    #[test]
    fn first_line_with_a_part_in_parentheses() {
        let m = mirror(
            "//! Mirrors Go src/runtime/proc.go (runqput, runqget, runqgrab, runqsteal: the per-P run queue) (go1.27).\n",
        );
        assert_eq!(m.go_files, ["runtime/proc.go"]);
        assert_eq!(
            m.part.as_deref(),
            Some("runqput, runqget, runqgrab, runqsteal: the per-P run queue")
        );
        assert_eq!(m.summary, "");
    }

    #[test]
    fn first_line_with_a_part_after_a_comma() {
        let m = mirror(
            "//! Mirrors Go src/net/tcpsock_posix.go (go1.27), its `readFrom` and `writeTo`, with `genericReadFrom` of net.go: how a TCP conn copies.\n",
        );
        assert_eq!(m.go_files, ["net/tcpsock_posix.go"]);
        assert_eq!(
            m.part.as_deref(),
            Some("its `readFrom` and `writeTo`, with `genericReadFrom` of net.go")
        );
        assert_eq!(m.summary, "how a TCP conn copies.");
    }

    #[test]
    fn first_line_with_two_files() {
        let m = mirror(
            "//! Mirrors Go src/net/file_unix.go and file_posix.go (go1.27), with the\n\
             //! public entry points of file.go: conns and listeners from descriptors.\n",
        );
        assert_eq!(m.go_files, ["net/file_unix.go", "net/file_posix.go"]);
        assert_eq!(
            m.part.as_deref(),
            Some("with the public entry points of file.go")
        );
        assert_eq!(m.summary, "conns and listeners from descriptors.");
        let m = mirror("//! Mirrors Go src/a/x.go, y.go and src/b/z.s (go1.27): three.\n");
        assert_eq!(m.go_files, ["a/x.go", "a/y.go", "b/z.s"]);
    }

    #[test]
    fn bad_first_lines_are_reported() {
        let e = parse_mirror("//! The scheduler.\n").unwrap_err();
        assert!(e.contains("the first line must be"), "{e}");
        let e = parse_mirror("").unwrap_err();
        assert!(e.contains("the first line must be"), "{e}");
        let e = parse_mirror("//! Mirrors Go src/runtime/proc.go (go1.26): x\n").unwrap_err();
        assert!(e.contains("no (go1.27)"), "{e}");
        let e = parse_mirror("//! Mirrors Go runtime/proc.go (go1.27): x\n").unwrap_err();
        assert!(e.contains("must start with src/"), "{e}");
        let e = parse_mirror("//! Mirrors Go src/runtime/proc (go1.27): x\n").unwrap_err();
        assert!(e.contains("not a Go source file"), "{e}");
        let e = parse_mirror("//! Mirrors Go src/../etc/x.go (go1.27): x\n").unwrap_err();
        assert!(e.contains("inside Go's src/"), "{e}");
    }

    #[test]
    fn includes_are_found_and_parsed() {
        let page = "a {{#include ../x.rs:netpollblock}} b\n\
                    {{#rustdoc_include y.rs:3:9}}\n\
                    \\{{#include escaped.rs:nope}}\n\
                    {{#include whole.rs}} {{#include r.rs:4}} {{#include r.rs::5}} {{#include r.rs:2:}}\n\
                    {{#title Not an include}}\n";
        let got = includes(page);
        let want = [
            ("../x.rs", Selection::Anchor("netpollblock".into())),
            ("y.rs", Selection::Lines(Some(2), Some(9))),
            ("whole.rs", Selection::Lines(None, None)),
            ("r.rs", Selection::Lines(Some(3), Some(4))),
            ("r.rs", Selection::Lines(None, Some(5))),
            ("r.rs", Selection::Lines(Some(1), None)),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, (p, w)) in got.iter().zip(want) {
            assert_eq!((g.path.as_str(), &g.what), (p, &w));
        }
    }

    const SOURCE: &str = "\
fn before() {}
// ANCHOR: outer
fn a() {}
    // ANCHOR: inner
    fn b() {}
    // ANCHOR_END: inner
// ANCHOR_END: outer
// ANCHOR: empty

// ANCHOR_END: empty
// ANCHOR: open
fn c() {}
";

    #[test]
    fn anchors_are_extracted_without_marker_lines() {
        assert_eq!(
            anchored_lines(SOURCE, "outer").unwrap(),
            ["fn a() {}", "    fn b() {}"]
        );
        assert_eq!(anchored_lines(SOURCE, "inner").unwrap(), ["    fn b() {}"]);
        // A name is a whole word: `inner` is not `inn`.
        assert!(
            anchored_lines(SOURCE, "inn")
                .unwrap_err()
                .contains("no `ANCHOR: inn`")
        );
        let e = anchored_lines(SOURCE, "open").unwrap_err();
        assert!(e.contains("has no `ANCHOR_END: open`"), "{e}");
        let twice = "// ANCHOR: x\n// ANCHOR_END: x\n// ANCHOR: x\n";
        assert!(
            anchored_lines(twice, "x")
                .unwrap_err()
                .contains("appears twice")
        );
        assert_eq!(
            marker_name("    // ANCHOR:   fdMutex-2 rest", "ANCHOR:"),
            Some("fdMutex-2")
        );
        assert_eq!(marker_name("// ANCHOR_END: x", "ANCHOR:"), None);
    }

    #[test]
    fn empty_blocks_and_missing_targets_are_problems() {
        let dir = std::env::temp_dir().join(format!("xtask-mirror-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("code.rs"), SOURCE).unwrap();
        fs::write(dir.join("blank.rs"), "\n// ANCHOR: x\n\n").unwrap();
        let page = dir.join("page.md");
        let problems = check_includes(
            &page,
            "{{#include code.rs:outer}} {{#include code.rs:2:3}}\n\
             {{#include code.rs:empty}} {{#include code.rs:missing}}\n\
             {{#include nofile.rs:x}} {{#include blank.rs}} {{#include code.rs:8:10}}\n",
        );
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].contains("code.rs:empty") && problems[0].contains("empty"));
        assert!(problems[1].contains("no `ANCHOR: missing`"));
        assert!(problems[2].contains("cannot read nofile.rs"));
        assert!(problems[3].contains("{{#include blank.rs}}: the included block is empty"));
        // Lines 8 to 10 are the marker lines and a blank one.
        assert!(problems[4].contains("the included block is empty"));
    }

    #[test]
    fn rustdoc_links_become_plain_text() {
        assert_eq!(
            plain_doc_links("as [`RawMutex`] and [`Mutex`](crate::Mutex), [a b](x::y) [not] [`x`"),
            "as `RawMutex` and `Mutex`, a b [not] [`x`"
        );
    }

    #[test]
    fn map_rows_link_to_go_and_escape_pipes() {
        let rows = vec![(
            "crates/net/src/x.rs".to_string(),
            Mirror {
                go_files: vec!["net/a.go".into(), "net/b.go".into()],
                part: Some("a|b".into()),
                summary: "s".into(),
            },
        )];
        let map = render_map(&[Section {
            dir: "net",
            name: "gort-net",
            rows,
        }]);
        assert!(map.contains(
            "| `crates/net/src/x.rs` | [net/a.go](https://github.com/golang/go/blob/go1.27/src/net/a.go)<br>\
             [net/b.go](https://github.com/golang/go/blob/go1.27/src/net/b.go) | a\\|b | s |"
        ), "{map}");
    }
}
