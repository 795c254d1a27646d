//! Receipt content as blocks, and their placement on a roll of fixed width.

use super::{ReceiptError, ReceiptFont};
use qrcode::{Color as QrColor, EcLevel, QrCode};

/// One piece of a receipt, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Centred text, wrapped if needed.
    Center { text: String, size: f32 },
    /// Left-aligned text, wrapped; continuation lines indented by `indent` points.
    Left { text: String, size: f32, indent: f32 },
    /// "label: value" with the value wrapped under itself.
    Field { label: String, value: String, size: f32 },
    /// A thin horizontal rule.
    Rule,
    /// Vertical space in points.
    Gap(f32),
    /// A QR code, `size_mm` wide (modules only; the paper around it is the quiet zone).
    Qr { data: String, size_mm: f32 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Placed {
    /// `baseline` measured from the top of the page, in points.
    Text { x: f32, baseline: f32, size: f32, text: String },
    /// `top` measured from the top of the page, in points.
    Rect { x: f32, top: f32, w: f32, h: f32 },
}

pub struct Placement {
    pub items: Vec<Placed>,
    pub height: f32,
}

const MARGIN: f32 = 12.0; // ~4.2 mm: thermal heads do not print to the edge
const LINE: f32 = 1.35; // line height as a multiple of the font size

/// Closing punctuation that may hang past the right edge rather than start a line.
const HANGING: &str = "。，、；：？！）」』”’》";

/// Splits `text` into lines no wider than `width` points (CJK breaks anywhere; a Latin
/// word and a short bracketed group such as "（15个工作日）" are kept whole where they fit).
/// Closing punctuation never starts a line: on a receipt it hangs in the margin.
pub fn wrap(font: &ReceiptFont, text: &str, size: f32, width: f32) -> Vec<String> {
    wrap_with(font, text, size, width, true)
}

/// [`wrap`] for a table cell: nothing may pass `width` (the next column starts there), so
/// closing punctuation that does not fit takes the character before it to the next line.
pub fn wrap_within(font: &ReceiptFont, text: &str, size: f32, width: f32) -> Vec<String> {
    wrap_with(font, text, size, width, false)
}

/// The pieces a paragraph breaks between: a Latin word, a bracketed group, or one character.
fn pieces(para: &str) -> Vec<String> {
    let chars: Vec<char> = para.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            let mut w = String::new();
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || (chars[i].is_ascii_punctuation() && chars[i] != '('))
            {
                w.push(chars[i]);
                i += 1;
            }
            out.push(w);
            continue;
        }
        if c == '（' || c == '(' {
            let close = if c == '（' { '）' } else { ')' };
            if let Some(j) = chars[i..].iter().position(|&x| x == close).filter(|&j| j <= 16) {
                out.push(chars[i..=i + j].iter().collect());
                i += j + 1;
                continue;
            }
        }
        out.push(c.to_string());
        i += 1;
    }
    out
}

fn wrap_with(font: &ReceiptFont, text: &str, size: f32, width: f32, hang: bool) -> Vec<String> {
    let fits = |s: &str| font.width_pt(s, size) <= width;
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut queue: std::collections::VecDeque<String> = pieces(para).into();
        while let Some(piece) = queue.pop_front() {
            let candidate = format!("{line}{piece}");
            if fits(&candidate) || line.is_empty() && fits(&piece) {
                line = candidate;
                continue;
            }
            let first = piece.chars().next().unwrap_or(' ');
            if piece.chars().count() == 1 && HANGING.contains(first) && !line.is_empty() {
                if hang {
                    // Closing punctuation never starts a line (禁则): it hangs in the margin.
                    line = candidate;
                } else {
                    // It takes the character before it along instead (and any closing
                    // punctuation between them: "…）、" moves as "存）、").
                    let mut kept: Vec<char> = line.chars().collect();
                    let mut carry = vec![];
                    while kept.last().is_some_and(|c| HANGING.contains(*c)) {
                        carry.extend(kept.pop());
                    }
                    carry.extend(kept.pop());
                    if !kept.is_empty() {
                        lines.push(kept.into_iter().collect());
                        line = carry.into_iter().rev().collect::<String>() + &piece;
                    } else {
                        line = candidate;
                    }
                }
                continue;
            }
            if fits(&piece) {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if piece != " " {
                    line = piece;
                }
                continue;
            }
            if piece.chars().count() > 1 {
                // A piece wider than a line (a long word or group) goes by characters.
                for c in piece.chars().rev() {
                    queue.push_front(c.to_string());
                }
                continue;
            }
            // One character wider than the line: it has a line of its own.
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

/// Characters the font lacks are replaced, so nothing prints as an empty box.
fn printable(font: &ReceiptFont, s: &str) -> String {
    s.chars().map(|c| if font.has_glyph(c) { c } else { '?' }).collect()
}

pub fn place(font: &ReceiptFont, receipt: &Receipt, page_width: f32) -> Result<Placement, ReceiptError> {
    let inner = page_width - 2.0 * MARGIN;
    let mut items = Vec::new();
    let mut y = MARGIN;
    for block in &receipt.blocks {
        match block {
            Block::Center { text, size } => {
                for l in wrap(font, &printable(font, text), *size, inner) {
                    let w = font.width_pt(&l, *size);
                    y += size * LINE;
                    items.push(Placed::Text {
                        x: MARGIN + (inner - w).max(0.0) / 2.0,
                        baseline: y - size * 0.3,
                        size: *size,
                        text: l,
                    });
                }
            }
            Block::Left { text, size, indent } => {
                let text = printable(font, text);
                let first = wrap(font, &text, *size, inner);
                // Re-wrap continuation lines at the narrower width.
                let mut lines = Vec::new();
                if let Some((head, _)) = first.split_first() {
                    lines.push((0.0, head.clone()));
                    let rest: String = text.chars().skip(head.chars().count()).collect();
                    let rest = rest.trim_start().to_string();
                    if !rest.is_empty() {
                        for l in wrap(font, &rest, *size, inner - indent) {
                            lines.push((*indent, l));
                        }
                    }
                }
                for (dx, l) in lines {
                    y += size * LINE;
                    items.push(Placed::Text { x: MARGIN + dx, baseline: y - size * 0.3, size: *size, text: l });
                }
            }
            Block::Field { label, value, size } => {
                let label = printable(font, label);
                let lw = font.width_pt(&label, *size);
                let lines = wrap(font, &printable(font, value), *size, inner - lw);
                for (i, l) in lines.into_iter().enumerate() {
                    y += size * LINE;
                    if i == 0 {
                        items.push(Placed::Text {
                            x: MARGIN,
                            baseline: y - size * 0.3,
                            size: *size,
                            text: label.clone(),
                        });
                    }
                    items.push(Placed::Text { x: MARGIN + lw, baseline: y - size * 0.3, size: *size, text: l });
                }
            }
            Block::Rule => {
                y += 5.0;
                items.push(Placed::Rect { x: MARGIN, top: y, w: inner, h: 0.6 });
                y += 5.0;
            }
            Block::Gap(g) => y += g,
            Block::Qr { data, size_mm } => {
                let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
                    .map_err(|e| ReceiptError::Qr(e.to_string()))?;
                let n = code.width();
                let colors = code.to_colors();
                let side = size_mm * 72.0 / 25.4;
                let module = side / n as f32;
                let x0 = MARGIN + (inner - side) / 2.0;
                y += 4.0 * module; // quiet zone above
                for row in 0..n {
                    let mut col = 0;
                    while col < n {
                        if colors[row * n + col] == QrColor::Dark {
                            let start = col;
                            while col < n && colors[row * n + col] == QrColor::Dark {
                                col += 1;
                            }
                            // A hair of overlap so no white seam shows between rows.
                            items.push(Placed::Rect {
                                x: x0 + start as f32 * module,
                                top: y + row as f32 * module,
                                w: (col - start) as f32 * module,
                                h: module + 0.05,
                            });
                        } else {
                            col += 1;
                        }
                    }
                }
                y += side + 4.0 * module;
            }
        }
    }
    Ok(Placement { items, height: y + MARGIN * 1.5 })
}
