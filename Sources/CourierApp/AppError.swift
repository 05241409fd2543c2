/// Failures of node start-up and of the CLI's commands: one line for the operator, an exit code.
public struct AppError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    /// 2: bad arguments, configuration or data dir (operations.md §1); 1: a check failed.
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}
