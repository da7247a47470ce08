/// A small grayscale image (e.g. a 28x28 MNIST digit) drawn with half blocks: each cell shows two vertically
/// stacked pixels as `▀` with foreground = upper pixel grey and background = lower pixel grey, so an image of
/// `rows x cols` pixels takes `cols` columns and `ceil(rows / 2)` rows. In ASCII mode each cell is one character of
/// the density ramp `" .:-=+*#%@"` chosen by the mean of its two pixels (0 = space, 255 = `@`).
///
/// `pixels` is row-major, `rows * cols` values (0 = black, 255 = white); missing values count as 0 and extra ones
/// are ignored. With `fit`, an image larger than the area is downsampled by an integer factor (box average) until
/// it fits; otherwise it is clipped. The image is drawn at the area's top-left corner.
///
/// Sizes are capped at `maxSide` (4096) pixels per side; pixels beyond are ignored.
/// Note: the half-block rendering needs colour; on a terminal without colour use ASCII mode.
/// Thread-safety: a value; safe to send between threads.
public struct DigitPreview: Widget {
    /// Grey levels, row-major, `rows * cols` (0 black ... 255 white).
    public var pixels: [UInt8]
    /// Image height in pixels (negative counts as 0; at most `maxSide` are used).
    public var rows: Int
    /// Image width in pixels, the row stride of `pixels` (negative counts as 0; at most `maxSide` are shown).
    public var cols: Int
    /// Downsample to fit the area.
    public var fit: Bool
    /// Style of ASCII-mode characters (Unicode mode sets colours per cell).
    public var asciiStyle: Style
    /// Glyph set; with `.ascii` every symbol written is ASCII.
    public var symbols: Symbols

    /// Largest image side used, in pixels (larger `rows` / `cols` are clamped; keeps index math from overflowing).
    public static let maxSide = 4096

    /// A preview of `rows x cols` pixels (negative sizes count as 0).
    public init(pixels: [UInt8], rows: Int, cols: Int, fit: Bool = true, asciiStyle: Style = .plain,
                symbols: Symbols = .unicode) {
        self.pixels = pixels
        self.rows = rows
        self.cols = cols
        self.fit = fit
        self.asciiStyle = asciiStyle
        self.symbols = symbols
    }

    /// The pixel at `(r, c)`, 0 outside the image or beyond `pixels`.
    @inline(__always)
    func pixel(_ r: Int, _ c: Int) -> Int {
        guard r >= 0, r < clampedRows, c >= 0, c < clampedCols else { return 0 }
        let (rowStart, overflow) = r.multipliedReportingOverflow(by: cols)   // row-major with the real width
        guard !overflow, rowStart < pixels.count - c else { return 0 }
        return Int(pixels[rowStart + c])
    }

    var clampedRows: Int { min(max(0, rows), Self.maxSide) }
    var clampedCols: Int { min(max(0, cols), Self.maxSide) }

    /// The integer downsampling factor (>= 1) used for an area of `width x height` cells.
    public func scale(width: Int, height: Int) -> Int {
        guard fit, width > 0, height > 0 else { return 1 }
        let sx = (clampedCols + width - 1) / width
        let sy = (clampedRows + 2 * height - 1) / (2 * height)
        return max(1, sx, sy)
    }

    /// Draws into `area` of `buffer` (clipped to the buffer); never writes outside it, never traps.
    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let area = area.intersection(buffer.area)
        let rows = clampedRows, cols = clampedCols
        guard !area.isEmpty, rows > 0, cols > 0 else { return }
        let s = scale(width: area.width, height: area.height)
        let outRows = (rows + s - 1) / s, outCols = (cols + s - 1) / s
        func sample(_ r: Int, _ c: Int) -> Int {       // box average of an s x s block
            guard r < outRows else { return 0 }
            var sum = 0
            for dr in 0..<s { for dc in 0..<s { sum += pixel(r * s + dr, c * s + dc) } }
            return sum / (s * s)
        }
        let ramp = symbols.densityRamp
        for cy in 0..<min(area.height, (outRows + 1) / 2) {
            for cx in 0..<min(area.width, outCols) {
                let top = sample(2 * cy, cx), bottom = sample(2 * cy + 1, cx)
                let x = area.x + cx, y = area.y + cy
                if symbols.isUnicode {
                    let fg = Color.rgb(UInt8(top), UInt8(top), UInt8(top))
                    let bg = Color.rgb(UInt8(bottom), UInt8(bottom), UInt8(bottom))
                    buffer.set(x: x, y: y, symbol: symbols.upperHalf, style: Style(foreground: fg, background: bg))
                } else {
                    let mean = (top + bottom) / 2                            // 0...255
                    let idx = (mean * (ramp.count - 1) + 127) / 255
                    buffer.set(x: x, y: y, symbol: ramp[min(ramp.count - 1, idx)], style: asciiStyle)
                }
            }
        }
    }
}
