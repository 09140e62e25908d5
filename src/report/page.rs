//! A small markdown writer for report pages: headings, paragraphs, tables and figures,
//! each one call, so that a page reads as its sections rather than as formatting.

/// A markdown page under construction.
#[derive(Debug, Default)]
pub struct Page {
    text: String,
}

impl Page {
    /// A page with a top-level title.
    pub fn new(title: &str) -> Self {
        let mut page = Self::default();
        page.heading(1, title);
        page
    }

    /// A heading of `level` (1-6).
    pub fn heading(&mut self, level: usize, text: &str) -> &mut Self {
        self.block(&format!("{} {text}", "#".repeat(level.clamp(1, 6))))
    }

    /// A paragraph.
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        self.block(text)
    }

    /// A table of `header` and `rows`; cells are escaped so that a `|` stays in its cell. Rows
    /// shorter than the header are padded with empty cells.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> &mut Self {
        let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
        let mut lines = vec![
            line(header.iter().map(|h| escape(h)).collect()),
            format!("|{}", "---|".repeat(header.len())),
        ];
        for row in rows {
            let cells = (0..header.len())
                .map(|i| row.get(i).map_or(String::new(), |c| escape(c)))
                .collect();
            lines.push(line(cells));
        }
        self.block(&lines.join("\n"))
    }

    /// A figure: the image file beside the page.
    pub fn figure(&mut self, alt: &str, file: &str) -> &mut Self {
        self.block(&format!("![{alt}]({file})"))
    }

    /// The page's text, ending in one newline.
    pub fn finish(self) -> String {
        let mut text = self.text;
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    }

    /// Adds `text` as a block after a blank line; empty text adds nothing.
    fn block(&mut self, text: &str) -> &mut Self {
        if text.trim().is_empty() {
            return self;
        }
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(text.trim_end());
        self.text.push('\n');
        self
    }
}

/// A table cell: `|` escaped and line breaks as spaces.
fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_each_block_once_with_blank_lines_between() {
        let mut page = Page::new("Title");
        page.paragraph("Some text.")
            .table(
                &["a", "b"],
                &[vec!["1".into(), "x|y".into()], vec!["2".into()]],
            )
            .figure("loss", "loss.png");
        assert_eq!(
            page.finish(),
            "# Title\n\nSome text.\n\n| a | b |\n|---|---|\n| 1 | x\\|y |\n| 2 |  |\n\n![loss](loss.png)\n"
        );
    }
}
