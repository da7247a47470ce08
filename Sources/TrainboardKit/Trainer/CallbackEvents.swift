import Dashboard
import NeuralEngine

extension TrainingEvent.Kind {
    /// The dashboard's event kind for a callback's message: by what happened (`CallbackMessage.Kind`), and for plain
    /// notes by how serious they are. No text is parsed.
    public init(_ message: CallbackMessage) {
        switch message.kind {
        case .checkpointSaved: self = .checkpoint
        case .learningRateReduced: self = .plateau
        case .earlyStopping: self = .earlyStop
        case .invalidLoss: self = .nan
        case .note, .weightsRestored:
            switch message.severity {
            case .info: self = .info
            case .warning: self = .warning
            case .error: self = .error
            }
        }
    }
}

extension TrainingEvent {
    /// The event for a callback's message, at `update` optimizer steps and `time` seconds; the epoch is the message's
    /// own (the epoch it is about) or `currentEpoch` when it names none.
    public init(_ message: CallbackMessage, currentEpoch: Int, update: Int, time: Double) {
        self.init(kind: Kind(message), epoch: message.epoch ?? max(0, currentEpoch), update: update, time: time,
                  message: message.text)
    }
}
