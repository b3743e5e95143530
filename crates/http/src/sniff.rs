//! Mirrors Go src/net/http/sniff.go (go1.27): `DetectContentType`, guessing a body's media type from its first bytes by the WHATWG MIME Sniffing rules.
//!
//! A server that is not told what it is sending looks at the start of the
//! body and guesses (<https://mimesniff.spec.whatwg.org/>). The guess is made
//! from at most the first 512 bytes and walks an ordered list of
//! signatures; the first one that fits wins. There are five kinds: an HTML
//! tag (case-insensitive, after leading whitespace, closed by a space or
//! `>`), a masked pattern (each byte ANDed with a mask before comparing,
//! optionally after leading whitespace), an exact prefix, the MP4 `ftyp`
//! box, and finally plain text (no control bytes besides whitespace and
//! ESC). Data nothing matches is `application/octet-stream`. Go keeps the
//! list in `net/http/internal`; the list and its order here are the same,
//! so both servers label the same bytes the same way.

/// At most this many bytes of the data are looked at (Go's `sniffLen`).
const SNIFF_LEN: usize = 512;

/// Returns the media type of `data` as the WHATWG MIME Sniffing algorithm
/// decides it from its first 512 bytes (Go's `http.DetectContentType`).
///
/// The answer is always a valid media type; when nothing more specific
/// fits it is `"application/octet-stream"`. Empty data counts as text.
///
/// ```
/// use gort_http::detect_content_type;
/// assert_eq!(detect_content_type(b"  <!doctype html><p>hi"), "text/html; charset=utf-8");
/// assert_eq!(detect_content_type(b"\x89PNG\r\n\x1a\n...."), "image/png");
/// assert_eq!(detect_content_type(b"plain words"), "text/plain; charset=utf-8");
/// assert_eq!(detect_content_type(&[0, 1, 2]), "application/octet-stream");
/// ```
#[doc(alias = "DetectContentType")]
pub fn detect_content_type(data: &[u8]) -> &'static str {
    let data = &data[..data.len().min(SNIFF_LEN)];
    let first_non_ws = data.iter().position(|&b| !is_ws(b)).unwrap_or(data.len());
    SIGNATURES
        .iter()
        .find_map(|sig| sig.matches(data, first_non_ws))
        .unwrap_or("application/octet-stream")
}

/// Whitespace in the spec's sense (its "0xWS" bytes): TAB, LF, FF, CR, SP.
fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// A byte that may end an HTML tag name (the spec's "0xTT"): SP or `>`.
fn is_tag_terminator(b: u8) -> bool {
    matches!(b, b' ' | b'>')
}

/// One entry of the signature table.
enum Sig {
    /// An HTML tag opening, matched after leading whitespace; ASCII letters
    /// in the pattern match either case, and a tag terminator must follow.
    Html(&'static [u8]),
    /// `data[i] & mask[i] == pat[i]` for every byte of the pattern, at the
    /// start or (with `skip_ws`) after leading whitespace.
    Masked {
        mask: &'static [u8],
        pat: &'static [u8],
        skip_ws: bool,
        ct: &'static str,
    },
    /// The data starts with exactly these bytes.
    Exact(&'static [u8], &'static str),
    /// An ISO base media file whose `ftyp` box names an `mp4` brand.
    Mp4,
    /// No binary control bytes after leading whitespace: plain text.
    Text,
}

const HTML: &str = "text/html; charset=utf-8";

/// Masked signature whose mask is all 0xFF over the pattern.
const fn exact_masked(pat: &'static [u8], ct: &'static str) -> Sig {
    const ONES: &[u8] = &[0xFF; 16];
    let (mask, _) = ONES.split_at(pat.len());
    Sig::Masked {
        mask,
        pat,
        skip_ws: false,
        ct,
    }
}

/// The spec's tables in the spec's order (HTML and XML, PDF and
/// PostScript, byte order marks, images, audio and video, fonts, archives,
/// then text last), as Go orders them.
static SIGNATURES: &[Sig] = &[
    Sig::Html(b"<!DOCTYPE HTML"),
    Sig::Html(b"<HTML"),
    Sig::Html(b"<HEAD"),
    Sig::Html(b"<SCRIPT"),
    Sig::Html(b"<IFRAME"),
    Sig::Html(b"<H1"),
    Sig::Html(b"<DIV"),
    Sig::Html(b"<FONT"),
    Sig::Html(b"<TABLE"),
    Sig::Html(b"<A"),
    Sig::Html(b"<STYLE"),
    Sig::Html(b"<TITLE"),
    Sig::Html(b"<B"),
    Sig::Html(b"<BODY"),
    Sig::Html(b"<BR"),
    Sig::Html(b"<P"),
    Sig::Html(b"<!--"),
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\xFF\xFF",
        pat: b"<?xml",
        skip_ws: true,
        ct: "text/xml; charset=utf-8",
    },
    Sig::Exact(b"%PDF-", "application/pdf"),
    Sig::Exact(b"%!PS-Adobe-", "application/postscript"),
    // Byte order marks; the UTF-16 ones look at four bytes, the last two
    // masked away, so at least four bytes are needed.
    Sig::Masked {
        mask: b"\xFF\xFF\x00\x00",
        pat: b"\xFE\xFF\x00\x00",
        skip_ws: false,
        ct: "text/plain; charset=utf-16be",
    },
    Sig::Masked {
        mask: b"\xFF\xFF\x00\x00",
        pat: b"\xFF\xFE\x00\x00",
        skip_ws: false,
        ct: "text/plain; charset=utf-16le",
    },
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\x00",
        pat: b"\xEF\xBB\xBF\x00",
        skip_ws: false,
        ct: "text/plain; charset=utf-8",
    },
    // Images. Icons and cursors are `image/x-icon`, the name the current
    // spec gives (older drafts said `image/vnd.microsoft.icon`).
    Sig::Exact(b"\x00\x00\x01\x00", "image/x-icon"),
    Sig::Exact(b"\x00\x00\x02\x00", "image/x-icon"),
    Sig::Exact(b"BM", "image/bmp"),
    Sig::Exact(b"GIF87a", "image/gif"),
    Sig::Exact(b"GIF89a", "image/gif"),
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF",
        pat: b"RIFF\x00\x00\x00\x00WEBPVP",
        skip_ws: false,
        ct: "image/webp",
    },
    Sig::Exact(b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
    Sig::Exact(b"\xFF\xD8\xFF", "image/jpeg"),
    // Audio and video, in the order the spec's audio/video matcher uses.
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        pat: b"FORM\x00\x00\x00\x00AIFF",
        skip_ws: false,
        ct: "audio/aiff",
    },
    exact_masked(b"ID3", "audio/mpeg"),
    exact_masked(b"OggS\x00", "application/ogg"),
    exact_masked(b"MThd\x00\x00\x00\x06", "audio/midi"),
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        pat: b"RIFF\x00\x00\x00\x00AVI ",
        skip_ws: false,
        ct: "video/avi",
    },
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        pat: b"RIFF\x00\x00\x00\x00WAVE",
        skip_ws: false,
        ct: "audio/wave",
    },
    Sig::Mp4,
    Sig::Exact(b"\x1A\x45\xDF\xA3", "video/webm"),
    // Fonts. Embedded OpenType: any 34 bytes, then "LP".
    Sig::Masked {
        mask: &EOT_MASK,
        pat: &EOT_PAT,
        skip_ws: false,
        ct: "application/vnd.ms-fontobject",
    },
    Sig::Exact(b"\x00\x01\x00\x00", "font/ttf"),
    Sig::Exact(b"OTTO", "font/otf"),
    Sig::Exact(b"ttcf", "font/collection"),
    Sig::Exact(b"wOFF", "font/woff"),
    Sig::Exact(b"wOF2", "font/woff2"),
    // Archives. RAR follows RAR Labs' own signatures (v1.5-4.0 and v5+),
    // not the spec's table, which has them wrong (whatwg/mimesniff#63).
    Sig::Exact(b"\x1F\x8B\x08", "application/x-gzip"),
    Sig::Exact(b"PK\x03\x04", "application/zip"),
    Sig::Exact(b"Rar!\x1A\x07\x00", "application/x-rar-compressed"),
    Sig::Exact(b"Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),
    Sig::Exact(b"\x00asm", "application/wasm"),
    Sig::Text,
];

/// 34 ignored bytes, then `LP` compared in full.
static EOT_MASK: [u8; 36] = {
    let mut m = [0u8; 36];
    m[34] = 0xFF;
    m[35] = 0xFF;
    m
};
static EOT_PAT: [u8; 36] = {
    let mut p = [0u8; 36];
    p[34] = b'L';
    p[35] = b'P';
    p
};

impl Sig {
    /// The media type if `data` fits this signature.
    fn matches(&self, data: &[u8], first_non_ws: usize) -> Option<&'static str> {
        match *self {
            Sig::Html(tag) => {
                let rest = &data[first_non_ws..];
                // The tag and one terminating byte after it.
                let (head, after) = (rest.get(..tag.len())?, rest.get(tag.len())?);
                let same = tag.iter().zip(head).all(|(&t, &d)| {
                    // Folding `d` to upper case only where the pattern has a
                    // letter keeps `<!--` and the like byte-exact.
                    let d = if t.is_ascii_uppercase() { d & 0xDF } else { d };
                    t == d
                });
                (same && is_tag_terminator(*after)).then_some(HTML)
            }
            Sig::Masked {
                mask,
                pat,
                skip_ws,
                ct,
            } => {
                let d = if skip_ws { &data[first_non_ws..] } else { data };
                if mask.len() != pat.len() || d.len() < pat.len() {
                    return None;
                }
                let fits = pat.iter().zip(mask).zip(d).all(|((&p, &m), &b)| b & m == p);
                fits.then_some(ct)
            }
            Sig::Exact(prefix, ct) => data.starts_with(prefix).then_some(ct),
            Sig::Mp4 => mp4_matches(data).then_some("video/mp4"),
            Sig::Text => {
                let binary = data[first_non_ws..]
                    .iter()
                    .any(|&b| matches!(b, 0x00..=0x08 | 0x0B | 0x0E..=0x1A | 0x1C..=0x1F));
                (!binary).then_some("text/plain; charset=utf-8")
            }
        }
    }
}

/// The spec's "signature for MP4" (section 6.2.1): the first box is a
/// `ftyp` box that fits in the data, and one of its brands (the major brand
/// or a compatible one, skipping the minor version) starts with `mp4`.
fn mp4_matches(data: &[u8]) -> bool {
    if data.len() < 12 {
        return false;
    }
    let box_size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    if data.len() < box_size || !box_size.is_multiple_of(4) {
        return false;
    }
    if &data[4..8] != b"ftyp" {
        return false;
    }
    // Brands sit every four bytes from offset 8; offset 12 holds the
    // major brand's version number, not a brand.
    (8..box_size)
        .step_by(4)
        .filter(|&at| at != 12)
        .any(|at| &data[at..at + 3] == b"mp4")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `sniffTests` (sniff_test.go), every row, by its description.
    const SNIFF_TESTS: &[(&str, &[u8], &str)] = &[
        // Some nonsense.
        ("Empty", b"", "text/plain; charset=utf-8"),
        ("Binary", &[1, 2, 3], "application/octet-stream"),
        (
            "HTML document #1",
            b"<HtMl><bOdY>blah blah blah</body></html>",
            "text/html; charset=utf-8",
        ),
        ("HTML document #2", b"<HTML></HTML>", "text/html; charset=utf-8"),
        (
            "HTML document #3 (leading whitespace)",
            b"   <!DOCTYPE HTML>...",
            "text/html; charset=utf-8",
        ),
        (
            "HTML document #4 (leading CRLF)",
            b"\r\n<html>...",
            "text/html; charset=utf-8",
        ),
        (
            "Plain text",
            "This is not HTML. It has \u{2603} though.".as_bytes(),
            "text/plain; charset=utf-8",
        ),
        ("XML", b"\n<?xml!", "text/xml; charset=utf-8"),
        // Image types.
        ("Windows icon", b"\x00\x00\x01\x00", "image/x-icon"),
        ("Windows cursor", b"\x00\x00\x02\x00", "image/x-icon"),
        ("BMP image", b"BM...", "image/bmp"),
        ("GIF 87a", b"GIF87a", "image/gif"),
        ("GIF 89a", b"GIF89a...", "image/gif"),
        ("WEBP image", b"RIFF\x00\x00\x00\x00WEBPVP", "image/webp"),
        ("PNG image", b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
        ("JPEG image", b"\xFF\xD8\xFF", "image/jpeg"),
        // Audio types.
        ("MIDI audio", b"MThd\x00\x00\x00\x06\x00\x01", "audio/midi"),
        (
            "MP3 audio/MPEG audio",
            b"ID3\x03\x00\x00\x00\x00\x0f",
            "audio/mpeg",
        ),
        (
            "WAV audio #1",
            b"RIFFb\xb8\x00\x00WAVEfmt \x12\x00\x00\x00\x06",
            "audio/wave",
        ),
        (
            "WAV audio #2",
            b"RIFF,\x00\x00\x00WAVEfmt \x12\x00\x00\x00\x06",
            "audio/wave",
        ),
        (
            "AIFF audio #1",
            b"FORM\x00\x00\x00\x00AIFFCOMM\x00\x00\x00\x12\x00\x01\x00\x00\x57\x55\x00\x10\x40\x0d\xf3\x34",
            "audio/aiff",
        ),
        (
            "OGG audio",
            b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x7e\x46\x00\x00\x00\x00\x00\x00\x1f\xf6\xb4\xfc\x01\x1e\x01\x76\x6f\x72",
            "application/ogg",
        ),
        ("Must not match OGG", b"owow\x00", "application/octet-stream"),
        ("Must not match OGG", b"oooS\x00", "application/octet-stream"),
        ("Must not match OGG", b"oggS\x00", "application/octet-stream"),
        // Video types.
        (
            "MP4 video",
            b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom<\x06t\xbfmdat",
            "video/mp4",
        ),
        // Go's literal "À" is two UTF-8 bytes.
        ("AVI video #1", b"RIFF,O\n\x00AVI LIST\xc3\x80", "video/avi"),
        ("AVI video #2", b"RIFF,\n\x00\x00AVI LIST\xc3\x80", "video/avi"),
        // Font types (Go leaves an MS.FontObject row commented out).
        (
            "TTF sample  I",
            b"\x00\x01\x00\x00\x00\x17\x01\x00\x00\x04\x01\x60\x4f",
            "font/ttf",
        ),
        (
            "TTF sample II",
            b"\x00\x01\x00\x00\x00\x0e\x00\x80\x00\x03\x00\x60\x46",
            "font/ttf",
        ),
        (
            "OTTO sample  I",
            b"\x4f\x54\x54\x4f\x00\x0e\x00\x80\x00\x03\x00\x60\x42\x41\x53\x45",
            "font/otf",
        ),
        (
            "woff sample  I",
            b"\x77\x4f\x46\x46\x00\x01\x00\x00\x00\x00\x30\x54\x00\x0d\x00\x00",
            "font/woff",
        ),
        (
            "woff2 sample",
            b"\x77\x4f\x46\x32\x00\x01\x00\x00\x00",
            "font/woff2",
        ),
        ("wasm sample", b"\x00\x61\x73\x6d\x01\x00", "application/wasm"),
        // Archive types.
        (
            "RAR v1.5-v4.0",
            b"Rar!\x1A\x07\x00",
            "application/x-rar-compressed",
        ),
        (
            "RAR v5+",
            b"Rar!\x1A\x07\x01\x00",
            "application/x-rar-compressed",
        ),
        (
            "Incorrect RAR v1.5-v4.0",
            b"Rar \x1A\x07\x00",
            "application/octet-stream",
        ),
        (
            "Incorrect RAR v5+",
            b"Rar \x1A\x07\x01\x00",
            "application/octet-stream",
        ),
    ];

    #[test]
    fn detect_content_type_matches_go_table() {
        assert_eq!(SNIFF_TESTS.len(), 38);
        let mut bad = Vec::new();
        for &(desc, data, want) in SNIFF_TESTS {
            let got = detect_content_type(data);
            if got != want {
                bad.push(format!("{desc}: got {got:?}, want {want:?}"));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn only_the_first_512_bytes_count() {
        let mut data = vec![b'a'; 512];
        data.push(0x01);
        assert_eq!(detect_content_type(&data), "text/plain; charset=utf-8");
        data[511] = 0x01;
        assert_eq!(detect_content_type(&data), "application/octet-stream");
        // An HTML tag needs its terminator inside the window too.
        let mut html = vec![b' '; 512 - 5];
        html.extend_from_slice(b"<html>");
        assert_eq!(detect_content_type(&html), "text/plain; charset=utf-8");
    }

    #[test]
    fn signature_kinds_edge_cases() {
        // Tag without a terminator, or a longer tag name, is not HTML.
        assert_eq!(detect_content_type(b"<html"), "text/plain; charset=utf-8");
        assert_eq!(detect_content_type(b"<br/>"), "text/plain; charset=utf-8");
        assert_eq!(detect_content_type(b"<bR>"), HTML);
        assert_eq!(detect_content_type(b"\t<!-- c -->"), HTML);
        // `!` is not case-folded.
        assert_eq!(detect_content_type(b"<\x01-- "), "application/octet-stream");
        // The UTF-16 byte order marks need four bytes.
        assert_eq!(
            detect_content_type(b"\xFE\xFF\x00"),
            "application/octet-stream"
        );
        assert_eq!(
            detect_content_type(b"\xFE\xFFab"),
            "text/plain; charset=utf-16be"
        );
        assert_eq!(
            detect_content_type(b"\xFF\xFEab"),
            "text/plain; charset=utf-16le"
        );
        assert_eq!(
            detect_content_type(b"\xEF\xBB\xBFa"),
            "text/plain; charset=utf-8"
        );
        // Embedded OpenType: anything for 34 bytes, then "LP".
        let mut eot = vec![0x07u8; 34];
        eot.extend_from_slice(b"LP");
        assert_eq!(detect_content_type(&eot), "application/vnd.ms-fontobject");
        // MP4: box size must fit and be a multiple of four; the minor
        // version at offset 12 is not a brand.
        assert_eq!(
            detect_content_type(b"\x00\x00\x00\x10ftypisommp41"),
            "application/octet-stream"
        );
        assert_eq!(
            detect_content_type(b"\x00\x00\x00\x14ftypisomXXXXmp41"),
            "video/mp4"
        );
        assert_eq!(
            detect_content_type(b"\x00\x00\x00\x20ftypmp41\x00\x00"),
            "application/octet-stream"
        );
        assert_eq!(
            detect_content_type(b"\x00\x00\x00\x0eftypmp41\x00\x00"),
            "application/octet-stream"
        );
        // A zero box size is harmless.
        assert_eq!(
            detect_content_type(b"\x00\x00\x00\x00ftypmp41\x00\x00"),
            "application/octet-stream"
        );
        // ESC (0x1B) and whitespace controls are text.
        assert_eq!(
            detect_content_type(b"\x1b[1mbold\x0c"),
            "text/plain; charset=utf-8"
        );
    }
}
