//! Mirrors Go src/vendor/golang.org/x/net/dns/dnsmessage/message.go (go1.27): the DNS wire format, the part the resolver uses.
//!
//! Go's resolver reads answers with `dnsmessage.Parser`, a cursor that
//! walks a message one section at a time and decodes a record's body only
//! when asked. This is that parser, cut down to what the resolver reads:
//! the header, questions, resource headers, and the bodies of A, AAAA,
//! CNAME, NS, PTR, MX, TXT and SRV records (an OPT record is read through
//! its header). Building is cut down further, to the one message a stub
//! resolver sends ([`new_request`]: one question, and Go's EDNS(0) OPT
//! record).
//!
//! The parser never reads outside the message and never loops: a name
//! follows at most 10 compression pointers (Go's limit, which also ends
//! every pointer loop), a name longer than 254 bytes in presentation form
//! is an error, and every record must fit in the message before its body
//! is looked at. It is a little stricter than Go's where Go trusts the
//! record's length: an A body must be 4 bytes, an AAAA body 16, and the
//! fixed fields and inline labels of any body must lie inside its
//! `RDLENGTH`. Errors carry Go's texts (`insufficient data for base length
//! type`, `too many pointers (>10)`, ...); the resolver reports them all
//! as `cannot unmarshal DNS message`, as Go's does.

use std::fmt;

/// A record type (Go's `dnsmessage.Type`).
pub(crate) type Type = u16;

/// An IPv4 address record.
pub(crate) const TYPE_A: Type = 1;
/// A name server record.
pub(crate) const TYPE_NS: Type = 2;
/// A canonical name (alias) record.
pub(crate) const TYPE_CNAME: Type = 5;
/// A pointer (reverse lookup) record.
pub(crate) const TYPE_PTR: Type = 12;
/// A mail exchanger record.
pub(crate) const TYPE_MX: Type = 15;
/// A text record.
pub(crate) const TYPE_TXT: Type = 16;
/// An IPv6 address record.
pub(crate) const TYPE_AAAA: Type = 28;
/// A service location record.
pub(crate) const TYPE_SRV: Type = 33;
/// The EDNS(0) pseudo-record.
pub(crate) const TYPE_OPT: Type = 41;

/// The Internet class (Go's `ClassINET`).
pub(crate) const CLASS_INET: u16 = 1;

/// Response codes the resolver looks at (Go's `RCode*`).
pub(crate) const RCODE_SUCCESS: u16 = 0;
/// The query was malformed.
#[cfg(test)]
pub(crate) const RCODE_FORMAT_ERROR: u16 = 1;
/// The server failed (SERVFAIL).
pub(crate) const RCODE_SERVER_FAILURE: u16 = 2;
/// The name does not exist (NXDOMAIN).
pub(crate) const RCODE_NAME_ERROR: u16 = 3;
/// The server refused the query.
#[cfg(test)]
pub(crate) const RCODE_REFUSED: u16 = 5;

/// The length of a message header.
const HEADER_LEN: usize = 12;

/// The longest name in presentation form, with its final dot (Go's
/// `nonEncodedNameMax`).
const NON_ENCODED_NAME_MAX: usize = 254;

/// How many compression pointers one name may follow (Go's limit).
const MAX_PTRS: usize = 10;

/// Why a message could not be read or built (Go's `dnsmessage` errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MsgError {
    /// Go's `ErrSectionDone`: the section has no more items.
    SectionDone,
    /// Go's `ErrNotStarted`: an earlier section was not read to its end.
    NotStarted,
    /// Go's `errBaseLen`.
    BaseLen,
    /// Go's `errCalcLen`.
    CalcLen,
    /// Go's `errReserved`.
    Reserved,
    /// Go's `errTooManyPtr`.
    TooManyPtr,
    /// Go's `errInvalidPtr`.
    InvalidPtr,
    /// Go's `errInvalidName`.
    InvalidName,
    /// Go's `errResourceLen`.
    ResourceLen,
    /// Go's `errSegTooLong`.
    SegTooLong,
    /// Go's `errNameTooLong`.
    NameTooLong,
    /// Go's `errZeroSegLen`.
    ZeroSegLen,
    /// Go's `errNonCanonicalName`.
    NonCanonicalName,
    /// A body whose length does not fit its type (gort's check).
    BodyLen,
    /// A body read as the wrong type (the caller's mistake).
    WrongType,
}

impl fmt::Display for MsgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MsgError::SectionDone => "parsing/packing of this section has completed",
            MsgError::NotStarted => "parsing/packing of this type isn't available yet",
            MsgError::BaseLen => "insufficient data for base length type",
            MsgError::CalcLen => "insufficient data for calculated length type",
            MsgError::Reserved => "segment prefix is reserved",
            MsgError::TooManyPtr => "too many pointers (>10)",
            MsgError::InvalidPtr => "invalid pointer",
            MsgError::InvalidName => "invalid dns name",
            MsgError::ResourceLen => "insufficient data for resource body length",
            MsgError::SegTooLong => "segment length too long",
            MsgError::NameTooLong => "name too long",
            MsgError::ZeroSegLen => "zero length segment",
            MsgError::NonCanonicalName => "name is not in canonical format (it must end with a .)",
            MsgError::BodyLen => "resource body length does not match its type",
            MsgError::WrongType => "resource body read as the wrong type",
        })
    }
}

impl std::error::Error for MsgError {}

/// A domain name in presentation form, ending in a dot (Go's
/// `dnsmessage.Name`). The bytes are the wire's: a label may hold any
/// byte but `.`; [`is_domain_name`](crate::dnsclient::is_domain_name)
/// decides later whether the name is usable.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Name(Vec<u8>);

impl Name {
    /// A name from text (Go's `NewName`): at most 255 bytes.
    pub(crate) fn new(s: &str) -> Result<Name, MsgError> {
        if s.len() > 255 {
            return Err(MsgError::CalcLen);
        }
        Ok(Name(s.as_bytes().to_vec()))
    }

    /// Whether the name is empty (Go's `Length == 0`): no name was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether two names are equal without regard to ASCII case (Go's
    /// `equalASCIIName`).
    pub(crate) fn equal_ascii(&self, other: &Name) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// Appends the name's wire form to `msg`, uncompressed (Go's
    /// `Name.pack` without a compression map).
    fn pack(&self, msg: &mut Vec<u8>) -> Result<(), MsgError> {
        let b = &self.0;
        if b.len() > NON_ENCODED_NAME_MAX {
            return Err(MsgError::NameTooLong);
        }
        if b.last() != Some(&b'.') {
            return Err(MsgError::NonCanonicalName);
        }
        if b == b"." {
            msg.push(0);
            return Ok(());
        }
        for label in b[..b.len() - 1].split(|&c| c == b'.') {
            if label.is_empty() {
                return Err(MsgError::ZeroSegLen);
            }
            if label.len() > 63 {
                return Err(MsgError::SegTooLong);
            }
            msg.push(label.len() as u8);
            msg.extend_from_slice(label);
        }
        msg.push(0);
        Ok(())
    }
}

impl fmt::Display for Name {
    /// The name as text (Go's `Name.String`); bytes that are not UTF-8
    /// become U+FFFD, which no valid domain name holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// Reads the name at `off` in `msg`, following compression pointers;
/// returns it and the offset after its inline part (Go's `Name.unpack`).
fn unpack_name(msg: &[u8], off: usize) -> Result<(Name, usize), MsgError> {
    let mut cur = off;
    // Where the next field starts: after the first pointer, if any.
    let mut next = None;
    let mut ptrs = 0;
    let mut name = Vec::new();
    loop {
        let c = *msg.get(cur).ok_or(MsgError::BaseLen)? as usize;
        cur += 1;
        match c & 0xC0 {
            0x00 => {
                if c == 0 {
                    break;
                }
                let end = cur + c;
                if end > msg.len() {
                    return Err(MsgError::CalcLen);
                }
                let label = &msg[cur..end];
                if label.contains(&b'.') {
                    return Err(MsgError::InvalidName);
                }
                if name.len() + label.len() >= NON_ENCODED_NAME_MAX {
                    return Err(MsgError::NameTooLong);
                }
                name.extend_from_slice(label);
                name.push(b'.');
                cur = end;
            }
            0xC0 => {
                let c1 = *msg.get(cur).ok_or(MsgError::InvalidPtr)? as usize;
                cur += 1;
                if ptrs == 0 {
                    next = Some(cur);
                }
                ptrs += 1;
                if ptrs > MAX_PTRS {
                    return Err(MsgError::TooManyPtr);
                }
                cur = ((c ^ 0xC0) << 8) | c1;
            }
            _ => return Err(MsgError::Reserved),
        }
    }
    if name.is_empty() {
        name.push(b'.');
    }
    Ok((Name(name), next.unwrap_or(cur)))
}

/// Skips the name at `off` without following pointers (Go's `skipName`).
fn skip_name(msg: &[u8], off: usize) -> Result<usize, MsgError> {
    let mut cur = off;
    loop {
        let c = *msg.get(cur).ok_or(MsgError::BaseLen)? as usize;
        cur += 1;
        match c & 0xC0 {
            0x00 => {
                if c == 0 {
                    return Ok(cur);
                }
                cur += c;
                if cur > msg.len() {
                    return Err(MsgError::CalcLen);
                }
            }
            0xC0 => return Ok(cur + 1),
            _ => return Err(MsgError::Reserved),
        }
    }
}

fn unpack_u16(msg: &[u8], off: usize) -> Result<(u16, usize), MsgError> {
    match msg.get(off..off + 2) {
        Some(b) => Ok((u16::from_be_bytes([b[0], b[1]]), off + 2)),
        None => Err(MsgError::BaseLen),
    }
}

fn unpack_u32(msg: &[u8], off: usize) -> Result<(u32, usize), MsgError> {
    match msg.get(off..off + 4) {
        Some(b) => Ok((u32::from_be_bytes([b[0], b[1], b[2], b[3]]), off + 4)),
        None => Err(MsgError::BaseLen),
    }
}

/// A message header (Go's `dnsmessage.Header`), flags unpacked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) id: u16,
    pub(crate) response: bool,
    pub(crate) opcode: u8,
    pub(crate) authoritative: bool,
    pub(crate) truncated: bool,
    pub(crate) recursion_desired: bool,
    pub(crate) recursion_available: bool,
    pub(crate) authentic_data: bool,
    pub(crate) checking_disabled: bool,
    pub(crate) rcode: u16,
}

impl Header {
    fn bits(&self) -> u16 {
        let mut b = (u16::from(self.opcode & 0xF) << 11) | (self.rcode & 0xF);
        for (set, bit) in [
            (self.response, 1 << 15),
            (self.authoritative, 1 << 10),
            (self.truncated, 1 << 9),
            (self.recursion_desired, 1 << 8),
            (self.recursion_available, 1 << 7),
            (self.authentic_data, 1 << 5),
            (self.checking_disabled, 1 << 4),
        ] {
            if set {
                b |= bit;
            }
        }
        b
    }

    fn from_bits(id: u16, b: u16) -> Header {
        Header {
            id,
            response: b & (1 << 15) != 0,
            opcode: ((b >> 11) & 0xF) as u8,
            authoritative: b & (1 << 10) != 0,
            truncated: b & (1 << 9) != 0,
            recursion_desired: b & (1 << 8) != 0,
            recursion_available: b & (1 << 7) != 0,
            authentic_data: b & (1 << 5) != 0,
            checking_disabled: b & (1 << 4) != 0,
            rcode: b & 0xF,
        }
    }
}

/// A question (Go's `dnsmessage.Question`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Question {
    pub(crate) name: Name,
    pub(crate) typ: Type,
    pub(crate) class: u16,
}

/// A resource record's header (Go's `dnsmessage.ResourceHeader`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResourceHeader {
    pub(crate) name: Name,
    pub(crate) typ: Type,
    pub(crate) class: u16,
    pub(crate) ttl: u32,
    pub(crate) length: u16,
}

impl ResourceHeader {
    /// The response code extended by an OPT record's upper bits (Go's
    /// `ExtendedRCode`, RFC 6891 6.1.3): only an EDNS version 0 record
    /// extends it.
    pub(crate) fn extended_rcode(&self, rcode: u16) -> u16 {
        if self.ttl & 0x00FF_0000 == 0 {
            (((self.ttl >> 24) as u16) << 4) | rcode
        } else {
            rcode
        }
    }
}

/// An MX record's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MxResource {
    pub(crate) pref: u16,
    pub(crate) mx: Name,
}

/// An SRV record's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SrvResource {
    pub(crate) priority: u16,
    pub(crate) weight: u16,
    pub(crate) port: u16,
    pub(crate) target: Name,
}

/// The four sections, in order (Go's `section`, from the questions on:
/// the header is read by [`Parser::start`]); `Done` is after the
/// additionals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Questions,
    Answers,
    Authorities,
    Additionals,
    Done,
}

/// A cursor over one message (Go's `dnsmessage.Parser`). Cheap to clone:
/// a clone reads on from the same place independently (Go copies the
/// struct the same way in `extractExtendedRCode`).
#[derive(Debug, Clone)]
pub(crate) struct Parser<'a> {
    msg: &'a [u8],
    counts: [u16; 4],
    section: Section,
    off: usize,
    index: usize,
    res_header_valid: bool,
    res_header_off: usize,
    res_header: ResourceHeader,
}

impl<'a> Parser<'a> {
    /// Reads the header of `msg` and readies the questions (Go's
    /// `Parser.Start`).
    pub(crate) fn start(msg: &'a [u8]) -> Result<(Parser<'a>, Header), MsgError> {
        if msg.len() < HEADER_LEN {
            return Err(MsgError::BaseLen);
        }
        let word = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
        let header = Header::from_bits(word(0), word(2));
        let p = Parser {
            msg,
            counts: [word(4), word(6), word(8), word(10)],
            section: Section::Questions,
            off: HEADER_LEN,
            index: 0,
            res_header_valid: false,
            res_header_off: 0,
            res_header: ResourceHeader::default(),
        };
        Ok((p, header))
    }

    fn count(&self, sec: Section) -> usize {
        match sec {
            Section::Questions => self.counts[0] as usize,
            Section::Answers => self.counts[1] as usize,
            Section::Authorities => self.counts[2] as usize,
            Section::Additionals => self.counts[3] as usize,
            _ => 0,
        }
    }

    /// Go's `checkAdvance`: whether `sec` has another item.
    fn check_advance(&mut self, sec: Section) -> Result<(), MsgError> {
        if self.section < sec {
            return Err(MsgError::NotStarted);
        }
        if self.section > sec {
            return Err(MsgError::SectionDone);
        }
        self.res_header_valid = false;
        if self.index == self.count(sec) {
            self.index = 0;
            self.section = next_section(self.section);
            return Err(MsgError::SectionDone);
        }
        Ok(())
    }

    /// The next question (Go's `Parser.Question`).
    pub(crate) fn question(&mut self) -> Result<Question, MsgError> {
        self.check_advance(Section::Questions)?;
        let (name, off) = unpack_name(self.msg, self.off)?;
        let (typ, off) = unpack_u16(self.msg, off)?;
        let (class, off) = unpack_u16(self.msg, off)?;
        self.off = off;
        self.index += 1;
        Ok(Question { name, typ, class })
    }

    /// Skips the remaining questions (Go's `Parser.SkipAllQuestions`).
    pub(crate) fn skip_all_questions(&mut self) -> Result<(), MsgError> {
        loop {
            match self.skip_question() {
                Err(MsgError::SectionDone) => return Ok(()),
                Err(e) => return Err(e),
                Ok(()) => {}
            }
        }
    }

    /// Skips one question (Go's `Parser.SkipQuestion`).
    pub(crate) fn skip_question(&mut self) -> Result<(), MsgError> {
        self.check_advance(Section::Questions)?;
        let off = skip_name(self.msg, self.off)?;
        if off + 4 > self.msg.len() {
            return Err(MsgError::BaseLen);
        }
        self.off = off + 4;
        self.index += 1;
        Ok(())
    }

    /// Reads the header of the next record of `sec` (Go's
    /// `Parser.resourceHeader`); the body must fit in the message.
    fn resource_header(&mut self, sec: Section) -> Result<ResourceHeader, MsgError> {
        if self.res_header_valid {
            // Read again from the same header (Go resets the offset).
            self.off = self.res_header_off;
        }
        self.check_advance(sec)?;
        let (name, off) = unpack_name(self.msg, self.off)?;
        let (typ, off) = unpack_u16(self.msg, off)?;
        let (class, off) = unpack_u16(self.msg, off)?;
        let (ttl, off) = unpack_u32(self.msg, off)?;
        let (length, off) = unpack_u16(self.msg, off)?;
        if off + length as usize > self.msg.len() {
            return Err(MsgError::ResourceLen);
        }
        self.res_header = ResourceHeader {
            name,
            typ,
            class,
            ttl,
            length,
        };
        self.res_header_valid = true;
        self.res_header_off = self.off;
        self.off = off;
        Ok(self.res_header.clone())
    }

    /// Skips the next record of `sec`, read or not (Go's
    /// `Parser.skipResource`).
    fn skip_resource(&mut self, sec: Section) -> Result<(), MsgError> {
        if self.res_header_valid && self.section == sec {
            self.off += self.res_header.length as usize;
            self.res_header_valid = false;
            self.index += 1;
            return Ok(());
        }
        self.check_advance(sec)?;
        let off = skip_name(self.msg, self.off)?;
        // Type, class and TTL (8 bytes), then the body's length.
        let (length, off) = unpack_u16(self.msg, off + 8)?;
        let length = length as usize;
        if off + length > self.msg.len() {
            return Err(MsgError::ResourceLen);
        }
        self.off = off + length;
        self.index += 1;
        Ok(())
    }

    /// The next answer's header (Go's `Parser.AnswerHeader`).
    pub(crate) fn answer_header(&mut self) -> Result<ResourceHeader, MsgError> {
        self.resource_header(Section::Answers)
    }

    /// Skips the next answer (Go's `Parser.SkipAnswer`).
    pub(crate) fn skip_answer(&mut self) -> Result<(), MsgError> {
        self.skip_resource(Section::Answers)
    }

    /// Skips every answer left (Go's `Parser.SkipAllAnswers`).
    pub(crate) fn skip_all_answers(&mut self) -> Result<(), MsgError> {
        self.skip_all(Section::Answers)
    }

    /// Skips every authority left (Go's `Parser.SkipAllAuthorities`).
    pub(crate) fn skip_all_authorities(&mut self) -> Result<(), MsgError> {
        self.skip_all(Section::Authorities)
    }

    fn skip_all(&mut self, sec: Section) -> Result<(), MsgError> {
        loop {
            match self.skip_resource(sec) {
                Err(MsgError::SectionDone) => return Ok(()),
                Err(e) => return Err(e),
                Ok(()) => {}
            }
        }
    }

    /// The next additional record's header (Go's `Parser.AdditionalHeader`).
    pub(crate) fn additional_header(&mut self) -> Result<ResourceHeader, MsgError> {
        self.resource_header(Section::Additionals)
    }

    /// Skips the next additional record (Go's `Parser.SkipAdditional`).
    pub(crate) fn skip_additional(&mut self) -> Result<(), MsgError> {
        self.skip_resource(Section::Additionals)
    }

    /// The body of the record whose header was just read, of type `typ`,
    /// handed to `f` with its bounds; moves past the record.
    fn body<T>(
        &mut self,
        typ: Type,
        f: impl FnOnce(&'a [u8], usize, usize) -> Result<T, MsgError>,
    ) -> Result<T, MsgError> {
        if !self.res_header_valid || self.res_header.typ != typ {
            return Err(MsgError::WrongType);
        }
        let start = self.off;
        let end = start + self.res_header.length as usize;
        let v = f(self.msg, start, end)?;
        self.off = end;
        self.res_header_valid = false;
        self.index += 1;
        Ok(v)
    }

    /// The A record just read (Go's `Parser.AResource`).
    pub(crate) fn a_resource(&mut self) -> Result<[u8; 4], MsgError> {
        self.body(TYPE_A, |msg, start, end| {
            <[u8; 4]>::try_from(&msg[start..end]).map_err(|_| MsgError::BodyLen)
        })
    }

    /// The AAAA record just read (Go's `Parser.AAAAResource`).
    pub(crate) fn aaaa_resource(&mut self) -> Result<[u8; 16], MsgError> {
        self.body(TYPE_AAAA, |msg, start, end| {
            <[u8; 16]>::try_from(&msg[start..end]).map_err(|_| MsgError::BodyLen)
        })
    }

    /// A body that is one name (CNAME, NS, PTR).
    fn name_body(&mut self, typ: Type) -> Result<Name, MsgError> {
        self.body(typ, |msg, start, end| {
            let (n, off) = unpack_name(msg, start)?;
            if off > end {
                return Err(MsgError::BodyLen);
            }
            Ok(n)
        })
    }

    /// The CNAME record just read (Go's `Parser.CNAMEResource`).
    pub(crate) fn cname_resource(&mut self) -> Result<Name, MsgError> {
        self.name_body(TYPE_CNAME)
    }

    /// The NS record just read (Go's `Parser.NSResource`).
    pub(crate) fn ns_resource(&mut self) -> Result<Name, MsgError> {
        self.name_body(TYPE_NS)
    }

    /// The PTR record just read (Go's `Parser.PTRResource`).
    pub(crate) fn ptr_resource(&mut self) -> Result<Name, MsgError> {
        self.name_body(TYPE_PTR)
    }

    /// The MX record just read (Go's `Parser.MXResource`).
    pub(crate) fn mx_resource(&mut self) -> Result<MxResource, MsgError> {
        self.body(TYPE_MX, |msg, start, end| {
            let (pref, off) = unpack_u16(&msg[..end], start)?;
            let (mx, off) = unpack_name(msg, off)?;
            if off > end {
                return Err(MsgError::BodyLen);
            }
            Ok(MxResource { pref, mx })
        })
    }

    /// The SRV record just read (Go's `Parser.SRVResource`).
    pub(crate) fn srv_resource(&mut self) -> Result<SrvResource, MsgError> {
        self.body(TYPE_SRV, |msg, start, end| {
            let (priority, off) = unpack_u16(&msg[..end], start)?;
            let (weight, off) = unpack_u16(&msg[..end], off)?;
            let (port, off) = unpack_u16(&msg[..end], off)?;
            let (target, off) = unpack_name(msg, off)?;
            if off > end {
                return Err(MsgError::BodyLen);
            }
            Ok(SrvResource {
                priority,
                weight,
                port,
                target,
            })
        })
    }

    /// The TXT record just read: its character-strings (Go's
    /// `Parser.TXTResource`).
    pub(crate) fn txt_resource(&mut self) -> Result<Vec<Vec<u8>>, MsgError> {
        self.body(TYPE_TXT, |msg, start, end| {
            let mut txts = Vec::new();
            let mut off = start;
            while off < end {
                let l = msg[off] as usize;
                off += 1;
                if off + l > end {
                    return Err(MsgError::CalcLen);
                }
                txts.push(msg[off..off + l].to_vec());
                off += l;
            }
            Ok(txts)
        })
    }
}

fn next_section(s: Section) -> Section {
    match s {
        Section::Questions => Section::Answers,
        Section::Answers => Section::Authorities,
        Section::Authorities => Section::Additionals,
        Section::Additionals | Section::Done => Section::Done,
    }
}

/// The largest UDP answer the resolver asks for in its OPT record (Go's
/// `maxDNSPacketSize`, from DNS flag day 2020).
pub(crate) const MAX_DNS_PACKET_SIZE: usize = 1232;

/// Builds a query for `q` with ID `id`, recursion desired, the AD bit if
/// `ad`, and an EDNS(0) OPT record offering [`MAX_DNS_PACKET_SIZE`] if
/// `edns0` (Go's `newRequest`). Returns the UDP form and the TCP form
/// (the same, after a two-byte length).
pub(crate) fn new_request(
    id: u16,
    q: &Question,
    ad: bool,
    edns0: bool,
) -> Result<(Vec<u8>, Vec<u8>), MsgError> {
    let mut b = vec![0, 0];
    let h = Header {
        id,
        recursion_desired: true,
        authentic_data: ad,
        ..Header::default()
    };
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&h.bits().to_be_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&u16::from(edns0).to_be_bytes());
    q.name.pack(&mut b)?;
    b.extend_from_slice(&q.typ.to_be_bytes());
    b.extend_from_slice(&q.class.to_be_bytes());
    if edns0 {
        // The root name, type OPT, the UDP size as the class, a TTL of 0
        // (extended RCODE 0, version 0, DO clear), no options.
        b.push(0);
        b.extend_from_slice(&TYPE_OPT.to_be_bytes());
        b.extend_from_slice(&(MAX_DNS_PACKET_SIZE as u16).to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    }
    let l = (b.len() - 2) as u16;
    b[..2].copy_from_slice(&l.to_be_bytes());
    Ok((b[2..].to_vec(), b))
}

/// Builds a message from parts, for tests and the fake servers: `answers`
/// are `(name, type, rdata)`; names are written uncompressed.
#[cfg(test)]
pub(crate) fn build_message(
    h: Header,
    questions: &[Question],
    answers: &[(&str, Type, Vec<u8>)],
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&h.id.to_be_bytes());
    b.extend_from_slice(&h.bits().to_be_bytes());
    b.extend_from_slice(&(questions.len() as u16).to_be_bytes());
    b.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    for q in questions {
        q.name.pack(&mut b).unwrap();
        b.extend_from_slice(&q.typ.to_be_bytes());
        b.extend_from_slice(&q.class.to_be_bytes());
    }
    for (name, typ, rdata) in answers {
        Name::new(name).unwrap().pack(&mut b).unwrap();
        b.extend_from_slice(&typ.to_be_bytes());
        b.extend_from_slice(&CLASS_INET.to_be_bytes());
        b.extend_from_slice(&300u32.to_be_bytes());
        b.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        b.extend_from_slice(rdata);
    }
    b
}

/// Walks every part of `msg` as the resolver could, for the fuzz target:
/// the header, each question, each record of each section and, for the
/// types the resolver reads, its body. Returns how many records were
/// read, or the first error.
#[doc(hidden)]
pub fn parse_message_for_fuzzing(msg: &[u8]) -> Result<usize, String> {
    let (mut p, _) = Parser::start(msg).map_err(|e| e.to_string())?;
    loop {
        match p.question() {
            Ok(_) => {}
            Err(MsgError::SectionDone) => break,
            Err(e) => return Err(e.to_string()),
        }
    }
    let mut n = 0;
    for sec in [Section::Answers, Section::Authorities, Section::Additionals] {
        loop {
            let h = match p.resource_header(sec) {
                Ok(h) => h,
                Err(MsgError::SectionDone) => break,
                Err(e) => return Err(e.to_string()),
            };
            let r = match h.typ {
                TYPE_A => p.a_resource().map(|_| ()),
                TYPE_AAAA => p.aaaa_resource().map(|_| ()),
                TYPE_CNAME => p.cname_resource().map(|_| ()),
                TYPE_NS => p.ns_resource().map(|_| ()),
                TYPE_PTR => p.ptr_resource().map(|_| ()),
                TYPE_MX => p.mx_resource().map(|_| ()),
                TYPE_SRV => p.srv_resource().map(|_| ()),
                TYPE_TXT => p.txt_resource().map(|_| ()),
                _ => p.skip_resource(sec),
            };
            r.map_err(|e| e.to_string())?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, typ: Type) -> Question {
        Question {
            name: Name::new(name).unwrap(),
            typ,
            class: CLASS_INET,
        }
    }

    #[test]
    fn test_request_round_trip() {
        let (udp, tcp) = new_request(0xBEEF, &q("example.com.", TYPE_A), false, true).unwrap();
        assert_eq!(&tcp[2..], &udp[..]);
        assert_eq!(u16::from_be_bytes([tcp[0], tcp[1]]) as usize, udp.len());
        let (mut p, h) = Parser::start(&udp).unwrap();
        assert_eq!(h.id, 0xBEEF);
        assert!(h.recursion_desired && !h.response);
        assert_eq!(p.question().unwrap(), q("example.com.", TYPE_A));
        assert_eq!(p.question(), Err(MsgError::SectionDone));
        assert_eq!(p.answer_header(), Err(MsgError::SectionDone));
        p.skip_all_authorities().unwrap();
        let opt = p.additional_header().unwrap();
        assert_eq!(opt.typ, TYPE_OPT);
        assert_eq!(opt.class as usize, MAX_DNS_PACKET_SIZE);
        assert_eq!(opt.extended_rcode(3), 3);
    }

    #[test]
    fn test_records() {
        let h = Header {
            id: 1,
            response: true,
            ..Header::default()
        };
        let mut mx = 10u16.to_be_bytes().to_vec();
        mx.extend_from_slice(b"\x02mx\x07example\x00");
        let msg = build_message(
            h,
            &[q("example.", TYPE_MX)],
            &[
                ("example.", TYPE_MX, mx),
                ("example.", TYPE_A, vec![1, 2, 3, 4]),
                ("example.", TYPE_TXT, b"\x02hi\x00\x03you".to_vec()),
            ],
        );
        let (mut p, _) = Parser::start(&msg).unwrap();
        p.skip_all_questions().unwrap();
        assert_eq!(p.answer_header().unwrap().typ, TYPE_MX);
        let m = p.mx_resource().unwrap();
        assert_eq!((m.pref, m.mx.to_string().as_str()), (10, "mx.example."));
        assert_eq!(p.answer_header().unwrap().typ, TYPE_A);
        assert_eq!(p.mx_resource(), Err(MsgError::WrongType));
        assert_eq!(p.a_resource().unwrap(), [1, 2, 3, 4]);
        p.answer_header().unwrap();
        assert_eq!(
            p.txt_resource().unwrap(),
            [b"hi".to_vec(), vec![], b"you".to_vec()]
        );
        assert_eq!(p.answer_header(), Err(MsgError::SectionDone));
        assert_eq!(parse_message_for_fuzzing(&msg), Ok(3));
    }

    #[test]
    fn test_compression_loop() {
        // A question whose name points at itself, and one pointing at
        // the other in turn.
        let mut msg = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        let (mut p, _) = Parser::start(&msg).unwrap();
        assert_eq!(p.question(), Err(MsgError::TooManyPtr));
        let mut msg = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&[1, b'a', 0xC0, 12, 0, 1, 0, 1]);
        let (mut p, _) = Parser::start(&msg).unwrap();
        assert_eq!(p.question(), Err(MsgError::TooManyPtr));
        // A pointer past the end, and a reserved label prefix.
        let mut msg = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&[0xC0, 200, 0, 1, 0, 1]);
        let (mut p, _) = Parser::start(&msg).unwrap();
        assert_eq!(p.question(), Err(MsgError::BaseLen));
        msg[12] = 0x40;
        let (mut p, _) = Parser::start(&msg).unwrap();
        assert_eq!(p.question(), Err(MsgError::Reserved));
    }

    #[test]
    fn test_lying_counts() {
        let h = Header {
            id: 1,
            response: true,
            ..Header::default()
        };
        let mut msg = build_message(h, &[q("x.", TYPE_A)], &[("x.", TYPE_A, vec![1, 2, 3, 4])]);
        // Claim 5 answers: the second is missing.
        msg[7] = 5;
        let (mut p, _) = Parser::start(&msg).unwrap();
        p.skip_all_questions().unwrap();
        p.answer_header().unwrap();
        p.a_resource().unwrap();
        assert_eq!(p.answer_header(), Err(MsgError::BaseLen));
        // An RDLENGTH past the end.
        let n = msg.len();
        msg[n - 5] = 9;
        let (mut p, _) = Parser::start(&msg).unwrap();
        p.skip_all_questions().unwrap();
        assert_eq!(p.answer_header(), Err(MsgError::ResourceLen));
        assert_eq!(p.skip_answer(), Err(MsgError::ResourceLen));
        // An A record of 3 bytes.
        let msg = build_message(h, &[], &[("x.", TYPE_A, vec![1, 2, 3])]);
        let (mut p, _) = Parser::start(&msg).unwrap();
        p.skip_all_questions().unwrap();
        p.answer_header().unwrap();
        assert_eq!(p.a_resource(), Err(MsgError::BodyLen));
        assert!(Parser::start(&msg[..11]).is_err());
    }

    #[test]
    fn test_name_pack_errors() {
        let mut b = Vec::new();
        assert_eq!(
            Name::new("a").unwrap().pack(&mut b),
            Err(MsgError::NonCanonicalName)
        );
        assert_eq!(
            Name::new("a..").unwrap().pack(&mut b),
            Err(MsgError::ZeroSegLen)
        );
        let long = format!("{}.", "a".repeat(64));
        assert_eq!(
            Name::new(&long).unwrap().pack(&mut b),
            Err(MsgError::SegTooLong)
        );
        assert!(Name::new(&"a".repeat(256)).is_err());
    }
}
