import Foundation
/// Lints a JSON Schema used as `response_format.json_schema` against what the platform supports.
///
/// - Errors (the platform answers 422): `minLength`, `maxLength`, `additionalProperties`, `uniqueItems`,
///   `maxItems`, `minItems` above 1, and `$ref` anywhere but into the root `$defs`.
/// - Warnings (accepted, but not honoured): `oneOf`, `allOf`, `not`, `if`/`then`/`else`, `patternProperties`,
///   `contains`, `prefixItems`, and numeric range keywords on anything but `integer`.
///
/// Each issue carries the JSON Pointer (RFC 6901) of the offending keyword. The walk follows the schema's
/// structure, so a *property named* `maxLength` is not mistaken for the keyword.
public enum SchemaLint {
    /// Keywords the platform rejects with 422 wherever they appear.
    public static let rejectedKeywords: Set<String> = [
        "minLength", "maxLength", "additionalProperties", "uniqueItems", "maxItems",
    ]
    /// Keywords the platform accepts but ignores.
    public static let ignoredKeywords: Set<String> = [
        "oneOf", "allOf", "not", "if", "then", "else", "patternProperties", "contains", "prefixItems",
    ]
    /// Numeric range keywords, honoured on integers only.
    public static let numericRangeKeywords: Set<String> = [
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    ]

    /// The issues of `schema`, in document order (keys sorted), with `field` naming where the schema sits.
    public static func issues(in schema: JSONValue, field: String = "response_format.json_schema") -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let root = schema
        walk(schema, pointer: "", root: root, field: field, into: &issues)
        return issues
    }

    /// Only the errors of `schema` (what the platform would answer 422 for).
    public static func errors(in schema: JSONValue) -> [ValidationIssue] {
        issues(in: schema).filter { $0.severity == .error }
    }

    /// Escapes one reference token of a JSON Pointer (`~` → `~0`, `/` → `~1`).
    public static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private static func walk(
        _ schema: JSONValue, pointer: String, root: JSONValue, field: String, into issues: inout [ValidationIssue]
    ) {
        guard let object = schema.objectValue else { return }
        func add(_ severity: ValidationIssue.Severity, _ keyword: String, _ code: String, _ message: String) {
            issues.append(ValidationIssue(
                severity: severity, field: field, code: code, message: message,
                pointer: pointer + "/" + escape(keyword)))
        }
        let types: Set<String> = {
            if let single = object["type"]?.stringValue { return [single] }
            return Set(object["type"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }()

        for key in object.keys.sorted() {
            let value = object[key]!
            if rejectedKeywords.contains(key) {
                add(.error, key, "schema_keyword_unsupported",
                    "The platform rejects \"\(key)\" (422); remove it and check the constraint after decoding.")
            } else if key == "minItems" {
                if let count = value.numberValue, count > 1 {
                    add(.error, key, "schema_keyword_unsupported",
                        "The platform accepts minItems 0 or 1 only (422 for \(Int(count))).")
                }
            } else if ignoredKeywords.contains(key) {
                add(.warning, key, "schema_keyword_ignored",
                    "The platform does not honour \"\(key)\"; use anyOf for alternatives.")
            } else if numericRangeKeywords.contains(key), !types.contains("integer") {
                add(.warning, key, "schema_keyword_ignored",
                    "\"\(key)\" is honoured on integers only.")
            } else if key == "$ref", let reference = value.stringValue {
                if !isRootDefsReference(reference, root: root) {
                    add(.error, key, "schema_ref_unsupported",
                        "$ref must point into the root $defs (\"#/$defs/Name\"); \"\(reference)\" does not.")
                }
            }
        }

        // Sub-schemas, by the keywords that hold them.
        for key in ["properties", "$defs", "definitions", "patternProperties"] {
            if let members = object[key]?.objectValue {
                for name in members.keys.sorted() {
                    walk(members[name]!, pointer: pointer + "/\(key)/" + escape(name), root: root, field: field, into: &issues)
                }
            }
        }
        for key in ["items", "additionalProperties", "not", "if", "then", "else", "contains"] {
            if let sub = object[key], sub.objectValue != nil {
                walk(sub, pointer: pointer + "/" + key, root: root, field: field, into: &issues)
            }
        }
        for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
            if let list = object[key]?.arrayValue {
                for (index, sub) in list.enumerated() {
                    walk(sub, pointer: pointer + "/\(key)/\(index)", root: root, field: field, into: &issues)
                }
            }
        }
    }

    private static func isRootDefsReference(_ reference: String, root: JSONValue) -> Bool {
        let prefix = "#/$defs/"
        guard reference.hasPrefix(prefix) else { return false }
        let name = String(reference.dropFirst(prefix.count))
        guard !name.isEmpty, !name.contains("/") else { return false }
        let unescaped = name.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        return root["$defs"]?[unescaped] != nil
    }
}
