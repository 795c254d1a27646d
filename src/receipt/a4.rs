//! A4 documents (the monthly report, the 公示栏 wall charts): headings, wrapped
//! paragraphs, tables that continue on the next page, and bar charts, flowed top to
//! bottom over as many pages as needed, with the same embedded CJK font subset as the
//! receipts. Plain data in, PDF bytes out.

use super::{push_rect, push_text_colored, ReceiptError, ReceiptFont};
use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};

pub const WIDTH_MM: f32 = 210.0;
pub const HEIGHT_MM: f32 = 297.0;

fn pt(mm: f32) -> f32 {
    mm * 72.0 / 25.4
}

/// A colour as RGB 0..1.
pub type Rgb = (f32, f32, f32);
pub const BLACK: Rgb = (0.1, 0.1, 0.1);
pub const BLUE: Rgb = (0.043, 0.361, 0.678);
pub const RED: Rgb = (0.643, 0.086, 0.102);
pub const GREEN: Rgb = (0.118, 0.42, 0.204);
pub const GREY: Rgb = (0.35, 0.35, 0.35);
pub const LIGHT: Rgb = (0.91, 0.933, 0.969);

enum Item {
    Text { x: f32, y: f32, size: f32, text: String, color: Rgb },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
}

/// A document being written; `y` runs down from the top margin, in points.
pub struct Doc<'f> {
    font: &'f ReceiptFont,
    title: String,
    pages: Vec<Vec<Item>>,
    y: f32,
    margin: f32,
    footer: String,
}

impl<'f> Doc<'f> {
    pub fn new(font: &'f ReceiptFont, title: &str, footer: &str) -> Doc<'f> {
        Doc {
            font,
            title: title.to_string(),
            pages: vec![Vec::new()],
            y: pt(18.0),
            margin: pt(18.0),
            footer: footer.to_string(),
        }
    }

    fn width(&self) -> f32 {
        pt(WIDTH_MM) - 2.0 * self.margin
    }

    fn bottom(&self) -> f32 {
        pt(HEIGHT_MM) - pt(20.0)
    }

    fn push(&mut self, item: Item) {
        if let Some(p) = self.pages.last_mut() {
            p.push(item);
        }
    }

    /// Starts a new page unless `needed` points still fit on this one.
    pub fn need(&mut self, needed: f32) {
        if self.y + needed > self.bottom() {
            self.pages.push(Vec::new());
            self.y = self.margin;
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.margin;
    }

    pub fn gap(&mut self, points: f32) {
        self.y += points;
    }

    fn text_at(&mut self, x: f32, size: f32, text: &str, color: Rgb) {
        let baseline = self.y + size;
        self.push(Item::Text { x, y: baseline, size, text: text.to_string(), color });
    }

    /// A centred line (a heading).
    pub fn center(&mut self, text: &str, size: f32, color: Rgb) {
        self.need(size * 1.5);
        let w = self.font.width_pt(text, size);
        let x = self.margin + (self.width() - w).max(0.0) / 2.0;
        self.text_at(x, size, text, color);
        self.y += size * 1.5;
    }

    pub fn heading(&mut self, text: &str) {
        self.gap(6.0);
        // Keep a heading with what follows it (a chart is about 160 points).
        self.need(170.0);
        self.text_at(self.margin, 15.0, text, BLUE);
        self.y += 15.0 * 1.6;
    }

    /// A paragraph wrapped to the page width.
    pub fn para(&mut self, text: &str, size: f32, color: Rgb) {
        for line in super::layout::wrap_within(self.font, text, size, self.width()) {
            self.need(size * 1.45);
            self.text_at(self.margin, size, &line, color);
            self.y += size * 1.45;
        }
    }

    /// A table; `widths` are fractions of the page width. The header repeats on every
    /// page the table reaches; cells wrap within their column.
    pub fn table(&mut self, headers: &[&str], widths: &[f32], rows: &[Vec<String>], size: f32) {
        let total = self.width();
        let cols: Vec<f32> = widths.iter().map(|w| w * total).collect();
        let pad = 3.0;
        let draw_header = |doc: &mut Doc| {
            let wrapped: Vec<Vec<String>> = headers
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    super::layout::wrap_within(doc.font, h, size, cols.get(i).copied().unwrap_or(50.0) - 2.0 * pad)
                })
                .collect();
            let lines = wrapped.iter().map(|c| c.len()).max().unwrap_or(1).max(1);
            let h = lines as f32 * size * 1.3 + 4.0;
            doc.need(h * 2.0);
            let (x0, y0) = (doc.margin, doc.y);
            doc.push(Item::Rect { x: x0, y: y0, w: total, h, color: LIGHT });
            let mut x = x0;
            for (i, head) in wrapped.iter().enumerate() {
                for (j, line) in head.iter().enumerate() {
                    doc.push(Item::Text {
                        x: x + pad,
                        y: y0 + 2.0 + size + j as f32 * size * 1.3,
                        size,
                        text: line.clone(),
                        color: BLACK,
                    });
                }
                x += cols.get(i).copied().unwrap_or(0.0);
            }
            doc.y += h;
        };
        draw_header(self);
        for row in rows {
            let wrapped: Vec<Vec<String>> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    super::layout::wrap_within(self.font, cell, size, cols.get(i).copied().unwrap_or(50.0) - 2.0 * pad)
                })
                .collect();
            let lines = wrapped.iter().map(|c| c.len()).max().unwrap_or(1).max(1);
            let h = lines as f32 * size * 1.35 + 4.0;
            if self.y + h > self.bottom() {
                self.new_page();
                draw_header(self);
            }
            let (mut x, y0) = (self.margin, self.y);
            for (i, cell) in wrapped.iter().enumerate() {
                for (j, line) in cell.iter().enumerate() {
                    self.push(Item::Text {
                        x: x + pad,
                        y: y0 + 2.0 + size + j as f32 * size * 1.35,
                        size,
                        text: line.clone(),
                        color: BLACK,
                    });
                }
                x += cols.get(i).copied().unwrap_or(0.0);
            }
            self.y += h;
            self.push(Item::Rect { x: self.margin, y: self.y - 0.5, w: total, h: 0.5, color: (0.8, 0.8, 0.8) });
        }
        self.gap(6.0);
    }

    /// A bar chart: one bar per label, the value written above it.
    pub fn bars(&mut self, title: &str, labels: &[String], values: &[f64], color: Rgb) {
        self.bars_each(title, labels, values, &vec![color; labels.len()]);
    }

    /// A bar chart whose bars have their own colours (好差评: the good ones green, 差评 red).
    pub fn bars_each(&mut self, title: &str, labels: &[String], values: &[f64], colors: &[Rgb]) {
        let chart_h = pt(45.0);
        let label_h = 12.0;
        self.need(chart_h + label_h + 30.0);
        self.text_at(self.margin, 11.0, title, GREY);
        self.y += 18.0;
        let max = values.iter().cloned().fold(0.0_f64, f64::max).max(1e-9);
        let n = labels.len().max(1) as f32;
        let slot = self.width() / n;
        let bar_w = (slot * 0.7).clamp(1.0, 48.0);
        let base = self.y + chart_h;
        self.push(Item::Rect { x: self.margin, y: base, w: self.width(), h: 0.8, color: GREY });
        for (i, (label, v)) in labels.iter().zip(values).enumerate() {
            let h = (*v / max) as f32 * (chart_h - 12.0);
            let x = self.margin + i as f32 * slot + (slot - bar_w) / 2.0;
            if h > 0.0 {
                let color = colors.get(i).copied().unwrap_or(GREY);
                self.push(Item::Rect { x, y: base - h, w: bar_w, h, color });
            }
            let value = if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") };
            let vs = 7.0;
            let vw = self.font.width_pt(&value, vs);
            self.push(Item::Text { x: x + (bar_w - vw) / 2.0, y: base - h - 2.0, size: vs, text: value, color: BLACK });
            let ls = if n > 16.0 { 6.0 } else { 7.5 };
            let lw = self.font.width_pt(label, ls);
            self.push(Item::Text {
                x: self.margin + i as f32 * slot + (slot - lw) / 2.0,
                y: base + ls + 3.0,
                size: ls,
                text: label.clone(),
                color: BLACK,
            });
        }
        self.y = base + label_h + 10.0;
    }

    /// A block of text lines with a QR code of `qr` (`qr_mm` wide) at its right, kept on
    /// one page, then a thin rule: one entry of a list a scanner reads one by one.
    pub fn qr_block(&mut self, lines: &[(String, f32, Rgb)], qr: &str, qr_mm: f32) -> Result<(), ReceiptError> {
        let code = qrcode::QrCode::with_error_correction_level(qr.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| ReceiptError::Qr(e.to_string()))?;
        let n = code.width();
        let colors = code.to_colors();
        let side = pt(qr_mm);
        let module = side / n as f32;
        // Every line wrapped beside the code, none cut.
        let text_w = self.width() - side - pt(6.0);
        let wrapped: Vec<(String, f32, Rgb)> = lines
            .iter()
            .flat_map(|(text, size, color)| {
                super::layout::wrap_within(self.font, text, *size, text_w).into_iter().map(move |l| (l, *size, *color))
            })
            .collect();
        let text_h: f32 = wrapped.iter().map(|(_, size, _)| size * 1.45).sum();
        let h = text_h.max(side + 8.0 * module);
        self.need(h + 8.0);
        let top = self.y;
        for (text, size, color) in &wrapped {
            self.text_at(self.margin, *size, text, *color);
            self.y += size * 1.45;
        }
        // The code with its quiet zone (four modules) inside the block.
        let x0 = self.margin + self.width() - side;
        let y0 = top + 4.0 * module;
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    let (x, y) = (x0 + start as f32 * module, y0 + row as f32 * module);
                    self.push(Item::Rect { x, y, w: (col - start) as f32 * module, h: module, color: (0.0, 0.0, 0.0) });
                } else {
                    col += 1;
                }
            }
        }
        self.y = top + h + 4.0;
        self.push(Item::Rect { x: self.margin, y: self.y, w: self.width(), h: 0.5, color: GREY });
        self.y += 4.0;
        Ok(())
    }

    /// The finished PDF: each page with the footer and its number.
    pub fn render(mut self) -> Result<Vec<u8>, ReceiptError> {
        let count = self.pages.len();
        let footer = self.footer.clone();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = format!("{footer}    第 {} 页 / 共 {count} 页", i + 1);
            page.push(Item::Text { x: pt(18.0), y: pt(HEIGHT_MM) - pt(10.0), size: 8.0, text, color: GREY });
        }
        let mut doc = PdfDocument::new(&self.title);
        let font_id = doc.add_font(&self.font.font);
        let h = pt(HEIGHT_MM);
        let pages = self
            .pages
            .iter()
            .map(|items| {
                let mut ops = Vec::new();
                for item in items {
                    match item {
                        Item::Text { x, y, size, text, color } => {
                            push_text_colored(&mut ops, &font_id, *x, h - *y, *size, text, *color)
                        }
                        Item::Rect { x, y, w, h: rh, color } => push_rect(&mut ops, *x, h - *y - *rh, *w, *rh, *color),
                    }
                }
                PdfPage::new(Mm(WIDTH_MM), Mm(HEIGHT_MM), ops)
            })
            .collect();
        let opts = PdfSaveOptions { subset_fonts: true, ..Default::default() };
        let mut warnings = Vec::new();
        Ok(doc.with_pages(pages).save(&opts, &mut warnings))
    }
}
