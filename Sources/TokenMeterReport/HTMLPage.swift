import TokenMeterCore

/// The one HTML page shell and stylesheet of the report and the dashboard: inline CSS, no scripts, nothing fetched.
public enum HTMLPage {
    /// The stylesheet of every page.
    public static let stylesheet = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1200px}
        h1{font-size:22px}h2{font-size:17px;margin-top:28px}
        table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
        th:first-child,td:first-child,.left{text-align:left}
        .chart{display:block;margin:8px 0 18px 0;background:#fff}
        .chart-title{font-size:15px;font-weight:600}.tick{font-size:11px;fill:#444}.axis-label{font-size:12px;fill:#222}
        .legend{font-size:12px}.assumption{font-size:11px;fill:#555}.grid{stroke:#e4e4e4}.frame{fill:none;stroke:#888}
        .note{color:#555;font-size:13px}nav{margin-bottom:12px}
        """

    /// Escapes text for HTML.
    public static func escape(_ text: String) -> String { SVGChart.escapeXML(text) }

    /// A whole document: `nav` (links, already HTML) above `body` (HTML).
    public static func document(title: String, nav: String = "", body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <meta name="generator" content="tokenmeter \(escape(ToolInfo.version))">
        <style>
        \(stylesheet)
        </style></head><body>
        \(nav)\(body)</body></html>

        """
    }

    /// A table: `header` as text, each row's cells as HTML, the first `leftColumns` columns aligned left (numbers right).
    public static func table(id: String, header: [String], rows: [(cells: [String], attributes: String)], leftColumns: Int = 1) -> String {
        func cell(_ tag: String, _ i: Int, _ content: String) -> String {
            "<\(tag)\(i > 0 && i < leftColumns ? " class=\"left\"" : "")>\(content)</\(tag)>"
        }
        var html = "<table id=\"\(id)\"><tr>" + header.enumerated().map { cell("th", $0.offset, escape($0.element)) }.joined() + "</tr>"
        for row in rows {
            html += "<tr\(row.attributes.isEmpty ? "" : " " + row.attributes)>" + row.cells.enumerated().map { cell("td", $0.offset, $0.element) }.joined()
                + "</tr>"
        }
        return html + "</table>"
    }
}
