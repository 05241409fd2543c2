import Foundation

/// What the figures depend on besides the code: printed with them so runs can be compared.
enum MachineInfo {
    /// "2 CPUs, load 0.12 0.30 0.25": a busy machine (say, a compiler running) lowers every figure.
    static func summary() -> String {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        var text = "\(cpus) CPU\(cpus == 1 ? "" : "s")"
        // /proc/loadavg is Linux-only; elsewhere the load is simply not shown.
        if let load = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
            text += ", load average \(load.split(separator: " ").prefix(3).joined(separator: " "))"
        }
        return text
    }
}
