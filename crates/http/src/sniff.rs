//! Mirrors Go src/net/http/sniff.go (go1.27): PLACEHOLDER until the port lands.

/// Go's `DetectContentType` (placeholder: text or binary only).
pub fn detect_content_type(data: &[u8]) -> &'static str {
    let data = &data[..data.len().min(512)];
    if data.iter().any(|&b| b < 0x09 || (0x0e..0x1b).contains(&b)) {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}
