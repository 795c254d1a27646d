//! Receipts as PDF: an 80 mm roll page with the number, the materials to bring and a QR
//! code, Chinese text embedded as a subset of a CJK font so it prints anywhere.
//!
//! This module lays out and renders; it knows nothing of printers or the store. The page
//! height is computed from the content (a roll printer cuts where the page ends).

pub mod a4;
pub mod case;
pub mod handover;
pub mod layout;
pub mod privacy;
pub mod report;
pub mod ticket;
pub mod wallchart;

use printpdf::{
    Color, FontId, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Polygon, PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};
use std::path::{Path, PathBuf};

pub use layout::{Block, Receipt};

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("receipt font {path}: cannot read the file ({reason}); install fonts-wqy-microhei or set [receipt] font-path in station.toml")]
    FontMissing { path: PathBuf, reason: String },
    #[error("receipt font {path} (face {index}) could not be parsed as a font; set [receipt] font-path/font-index in station.toml")]
    FontUnreadable { path: PathBuf, index: u32 },
    #[error("receipt font {path} has no Chinese characters: receipts would print without text; choose a CJK font")]
    FontNotChinese { path: PathBuf },
    #[error("QR code: {0}")]
    Qr(String),
}

/// A parsed CJK font, loaded once and reused for every receipt.
pub struct ReceiptFont {
    font: ParsedFont,
    units_per_em: f32,
}

impl ReceiptFont {
    pub fn load(path: &Path, index: u32) -> Result<ReceiptFont, ReceiptError> {
        let bytes = std::fs::read(path)
            .map_err(|e| ReceiptError::FontMissing { path: path.to_path_buf(), reason: e.to_string() })?;
        let mut warnings = Vec::new();
        let font = ParsedFont::from_bytes(&bytes, index as usize, &mut warnings)
            .ok_or(ReceiptError::FontUnreadable { path: path.to_path_buf(), index })?;
        // A Latin-only font renders Chinese as nothing at all: refuse it loudly.
        if "号事项材料".chars().any(|c| font.lookup_glyph_index(c as u32).is_none()) {
            return Err(ReceiptError::FontNotChinese { path: path.to_path_buf() });
        }
        let units_per_em = font.pdf_font_metrics.units_per_em.max(1) as f32;
        Ok(ReceiptFont { font, units_per_em })
    }

    pub fn has_glyph(&self, c: char) -> bool {
        c == ' ' || self.font.lookup_glyph_index(c as u32).is_some()
    }

    /// Width of `text` in points at `size` points.
    pub fn width_pt(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| match self.font.lookup_glyph_index(c as u32) {
                Some(g) => self.font.get_horizontal_advance(g) as f32 / self.units_per_em * size,
                None => size * 0.5,
            })
            .sum()
    }
}

const PAGE_WIDTH_MM: f32 = 80.0;

fn mm_to_pt(mm: f32) -> f32 {
    mm * 72.0 / 25.4
}

/// Renders a laid-out receipt to PDF bytes.
pub fn render(font: &ReceiptFont, receipt: &Receipt) -> Result<Vec<u8>, ReceiptError> {
    let placed = layout::place(font, receipt, mm_to_pt(PAGE_WIDTH_MM))?;
    let mut doc = PdfDocument::new(&receipt.title);
    let font_id = doc.add_font(&font.font);
    let height_pt = placed.height;
    let mut ops = Vec::new();
    for item in &placed.items {
        match item {
            layout::Placed::Text { x, baseline, size, text } => {
                push_text(&mut ops, &font_id, *x, height_pt - *baseline, *size, text);
            }
            layout::Placed::Rect { x, top, w, h } => {
                push_rect(&mut ops, *x, height_pt - *top - *h, *w, *h, (0.0, 0.0, 0.0));
            }
        }
    }
    let page = PdfPage::new(Mm(PAGE_WIDTH_MM), Mm(height_pt * 25.4 / 72.0), ops);
    let opts = PdfSaveOptions { subset_fonts: true, ..Default::default() };
    let mut warnings = Vec::new();
    Ok(doc.with_pages(vec![page]).save(&opts, &mut warnings))
}

fn push_text(ops: &mut Vec<Op>, font: &FontId, x: f32, y: f32, size: f32, text: &str) {
    push_text_colored(ops, font, x, y, size, text, (0.0, 0.0, 0.0));
}

fn push_text_colored(ops: &mut Vec<Op>, font: &FontId, x: f32, y: f32, size: f32, text: &str, c: (f32, f32, f32)) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: c.0, g: c.1, b: c.2, icc_profile: None }) });
    ops.push(Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(y) } });
    ops.push(Op::SetFont { font: PdfFontHandle::External(font.clone()), size: Pt(size) });
    ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_string())] });
    ops.push(Op::EndTextSection);
}

fn push_rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, c: (f32, f32, f32)) {
    let p = |x: f32, y: f32| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false };
    ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: c.0, g: c.1, b: c.2, icc_profile: None }) });
    ops.push(Op::DrawPolygon {
        polygon: Polygon {
            rings: vec![PolygonRing { points: vec![p(x, y), p(x + w, y), p(x + w, y + h), p(x, y + h)] }],
            mode: PaintMode::Fill,
            winding_order: WindingOrder::NonZero,
        },
    });
}
