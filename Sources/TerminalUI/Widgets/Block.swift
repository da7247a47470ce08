/// A frame: border lines on chosen sides and an optional title in the top border. Render it, then render the
/// content into `inner(area)`.
///
/// Edge cases: areas too small for both opposite borders draw what fits; `inner` never has negative size.
/// The title is truncated with the ellipsis to fit between the corners (one space padding each side when room).
/// Thread-safety: a value; safe to send between threads.
public struct Block: Widget {
    /// Text in the top border (or first row when there is no top border); nil or "" for none.
    public var title: String?
    /// Sides with a line.
    public var borders: Borders
    /// Style of the border lines.
    public var borderStyle: Style
    /// Style of the title.
    public var titleStyle: Style
    /// Fills the whole area first when set (e.g. the theme background).
    public var fillStyle: Style?
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// A block; by default all borders, no title, plain styles, Unicode lines.
    public init(title: String? = nil, borders: Borders = .all, borderStyle: Style = .plain,
                titleStyle: Style = .plain, fillStyle: Style? = nil, symbols: Symbols = .unicode) {
        self.title = title
        self.borders = borders
        self.borderStyle = borderStyle
        self.titleStyle = titleStyle
        self.fillStyle = fillStyle
        self.symbols = symbols
    }

    /// The area inside the borders (what the content may use).
    public func inner(_ area: Rect) -> Rect {
        let l = borders.contains(.left) ? 1 : 0, r = borders.contains(.right) ? 1 : 0
        let t = borders.contains(.top) || title?.isEmpty == false ? 1 : 0
        let b = borders.contains(.bottom) ? 1 : 0
        return Rect(x: area.x + l, y: area.y + t, width: area.width - l - r, height: area.height - t - b)
    }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let a = area.intersection(buffer.area)
        guard !a.isEmpty else { return }
        if let f = fillStyle { buffer.fill(area, with: Cell(" ", style: f)) }
        let s = symbols, st = borderStyle
        if borders.contains(.top) {
            for x in area.x..<area.right { buffer.set(x: x, y: area.y, symbol: s.horizontal, style: st) }
        }
        if borders.contains(.bottom) {
            for x in area.x..<area.right { buffer.set(x: x, y: area.bottom - 1, symbol: s.horizontal, style: st) }
        }
        if borders.contains(.left) {
            for y in area.y..<area.bottom { buffer.set(x: area.x, y: y, symbol: s.vertical, style: st) }
        }
        if borders.contains(.right) {
            for y in area.y..<area.bottom { buffer.set(x: area.right - 1, y: y, symbol: s.vertical, style: st) }
        }
        if borders.contains([.top, .left]) { buffer.set(x: area.x, y: area.y, symbol: s.topLeft, style: st) }
        if borders.contains([.top, .right]) { buffer.set(x: area.right - 1, y: area.y, symbol: s.topRight, style: st) }
        if borders.contains([.bottom, .left]) { buffer.set(x: area.x, y: area.bottom - 1, symbol: s.bottomLeft, style: st) }
        if borders.contains([.bottom, .right]) {
            buffer.set(x: area.right - 1, y: area.bottom - 1, symbol: s.bottomRight, style: st)
        }
        if let title, !title.isEmpty {
            let l = borders.contains(.left) ? 1 : 0, r = borders.contains(.right) ? 1 : 0
            let room = area.width - l - r
            guard room > 0 else { return }
            let padded = room >= title.cellWidth + 2 ? " \(title) " : title
            let text = TextFormatting.truncate(padded, width: room, ellipsis: s.ellipsis)
            buffer.write(text, x: area.x + l, y: area.y, style: titleStyle, maxWidth: room)
        }
    }
}
