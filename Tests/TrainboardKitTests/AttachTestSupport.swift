import AttachProtocol
import Foundation
@testable import TrainboardKit

extension AttachConnection {
    /// Test helper: the messages read until `stop` says so, the connection closes (`closed` is then its reason), or
    /// `timeout` seconds pass.
    func readMessages(timeout: Double, until stop: (RunMessage) -> Bool) -> (messages: [RunMessage], closed: String?) {
        var out: [RunMessage] = []
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            switch next(timeout: 0.1) {
            case .message(let m):
                out.append(m)
                if stop(m) { return (out, nil) }
            case .closed(let why): return (out, why)
            default: continue
            }
        }
        return (out, nil)
    }
}
