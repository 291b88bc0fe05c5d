public import Foundation
public import PlatformRules

/// Checks a reference image (`prompt_v2` media sources) before it is sent: a regular file, one of the
/// platform's formats (recognised by its bytes, not its name), within the size and pixel limits of
/// ``PlatformRules`` (`request.images`). Dimensions come from the format's header; nothing is decoded.
public enum ImageCheck {
    /// What a checked image is.
    public struct Image: Sendable, Hashable {
        /// `jpeg`, `png`, `webp`, `gif` or `bmp`.
        public var format: String
        /// Width in pixels.
        public var width: Int
        /// Height in pixels.
        public var height: Int
        /// The file's bytes.
        public var data: Data
    }

    /// Why an image is refused: a stable `code` and a plain sentence.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// `image_unreadable`, `image_format_unsupported`, `image_too_large` or `image_too_many_pixels`.
        public var code: String
        /// What is wrong, naming the file.
        public var message: String
        public var description: String { "\(code): \(message)" }
    }

    /// Reads and checks the image at `path`.
    public static func check(path: String, rules: PlatformRules = .current) throws(Failure) -> Image {
        let limits = rules.request.images
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Failure(code: "image_unreadable", message: "\(path): \(String(cString: strerror(errno))).")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Failure(code: "image_unreadable", message: "\(path) is not a regular file.")
        }
        guard Int64(info.st_size) <= limits.maxBytes else {
            throw Failure(code: "image_too_large", message: "\(path) is \(info.st_size) bytes; a reference image may be at most \(limits.maxBytes).")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(code: "image_unreadable", message: "\(path) could not be read.")
        }
        guard let (format, width, height) = dimensions(of: data), limits.formats.contains(format) else {
            throw Failure(code: "image_format_unsupported",
                          message: "\(path) is not a \(limits.formats.sorted().joined(separator: ", ")) image (or its header is damaged).")
        }
        guard width > 0, height > 0 else {
            throw Failure(code: "image_format_unsupported", message: "\(path) declares a \(width)x\(height) picture.")
        }
        // Headers declare up to 2^32 - 1 a side: the product is taken with overflow reported, never trapped.
        let (pixels, overflow) = Int64(width).multipliedReportingOverflow(by: Int64(height))
        guard !overflow, pixels <= limits.maxPixels else {
            throw Failure(code: "image_too_many_pixels",
                          message: "\(path) is \(width)x\(height)\(overflow ? "" : " = \(pixels)") pixels; the limit is \(limits.maxPixels).")
        }
        return Image(format: format, width: width, height: height, data: data)
    }

    /// The format and size a header declares, or `nil` for bytes that are none of the five formats.
    static func dimensions(of data: Data) -> (String, Int, Int)? {
        let b = [UInt8](data.prefix(1 << 20))
        func be16(_ i: Int) -> Int { i + 1 < b.count ? Int(b[i]) << 8 | Int(b[i + 1]) : -1 }
        func le16(_ i: Int) -> Int { i + 1 < b.count ? Int(b[i]) | Int(b[i + 1]) << 8 : -1 }
        func be32(_ i: Int) -> Int { i + 3 < b.count ? be16(i) << 16 | be16(i + 2) : -1 }
        func le32(_ i: Int) -> Int { i + 3 < b.count ? le16(i) | le16(i + 2) << 16 : -1 }
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            offset + bytes.count <= b.count && Array(b[offset..<offset + bytes.count]) == bytes
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), starts(Array("IHDR".utf8), at: 12) {
            return ("png", be32(16), be32(20))
        }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return b.count >= 10 ? ("gif", le16(6), le16(8)) : nil }
        if starts(Array("BM".utf8)), b.count >= 26 {
            let height = le32(22)
            // A negative height is a top-down bitmap.
            return ("bmp", le32(18), height >= 1 << 31 ? (1 << 32) - height : height)
        }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) {
            if starts(Array("VP8 ".utf8), at: 12), b.count >= 30 { return ("webp", le16(26) & 0x3FFF, le16(28) & 0x3FFF) }
            if starts(Array("VP8L".utf8), at: 12), b.count >= 25, b[20] == 0x2F {
                let bits = le32(21)
                return ("webp", (bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1)
            }
            if starts(Array("VP8X".utf8), at: 12), b.count >= 30 {
                let width = Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16
                let height = Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16
                return ("webp", width + 1, height + 1)
            }
            return nil
        }
        if starts([0xFF, 0xD8]) {
            // Walk the JPEG segments to the first start-of-frame marker (SOF0–SOF15, not DHT, JPG or DAC).
            var i = 2
            while i + 9 < b.count {
                guard b[i] == 0xFF else { return nil }
                let marker = b[i + 1]
                if marker == 0xFF { i += 1; continue }
                if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
                let length = be16(i + 2)
                guard length >= 2 else { return nil }
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    return ("jpeg", be16(i + 7), be16(i + 5))
                }
                i += 2 + length
            }
            return nil
        }
        return nil
    }
}
