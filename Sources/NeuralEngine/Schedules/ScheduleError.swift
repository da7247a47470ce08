/// Why a schedule specification or parameter was rejected. Each case names the schedule kind and the offending key
/// or value; `description` is a one-line message for the command line.
public enum ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The specification is empty.
    case empty
    /// The kind before ':' is not one of `exp`, `step`, `time`, `sgdr`.
    case unknownKind(String)
    /// A parameter is not of the form `key=value`.
    case malformedParameter(kind: String, text: String)
    /// A key the kind does not take.
    case unknownKey(kind: String, key: String, allowed: [String])
    /// A key given twice.
    case duplicateKey(kind: String, key: String)
    /// A required key is missing.
    case missingKey(kind: String, key: String)
    /// A value that does not parse or is out of range.
    case badValue(kind: String, key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .empty:
            return "empty learning-rate schedule (expected e.g. exp:k=0.1, step:drop=0.5,every=10, time:k=0.01, sgdr:t0=10,tmult=2,min=0)"
        case .unknownKind(let k):
            return "unknown learning-rate schedule '\(k)' (expected exp, step, time or sgdr)"
        case .malformedParameter(let kind, let t):
            return "\(kind) schedule: parameter '\(t)' is not key=value"
        case .unknownKey(let kind, let key, let allowed):
            return "\(kind) schedule: unknown key '\(key)' (allowed: \(allowed.joined(separator: ", ")))"
        case .duplicateKey(let kind, let key):
            return "\(kind) schedule: key '\(key)' given twice"
        case .missingKey(let kind, let key):
            return "\(kind) schedule: missing key '\(key)'"
        case .badValue(let kind, let key, let value, let expected):
            return "\(kind) schedule: \(key)=\(value) is invalid (expected \(expected))"
        }
    }
}
