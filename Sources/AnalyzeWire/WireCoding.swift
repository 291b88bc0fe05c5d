public import Foundation

/// The JSON encoder and decoder matching the platform's wire format.
///
/// Keys are spelled out per type (snake_case), so no key strategy is used; dates are RFC 3339.
public enum WireCoding {
    /// An encoder producing the wire format: sorted keys (stable output), RFC 3339 dates, `/` unescaped.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        return encoder
    }

    /// A decoder for the wire format: RFC 3339 dates with any fraction precision and any offset.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "Not an RFC 3339 date-time: \(text)")
            }
            return date
        }
        return decoder
    }
}
