import Foundation

/// Child processes and /proc readings for the transport benchmark.
enum BenchProcess {
    static func start(_ executable: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Stops a child with SIGKILL and reaps it. (SIGTERM is not enough: a child spawned from
    /// an event-loop thread inherits that thread's blocked-signal mask.)
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits until something accepts connections on 127.0.0.1:`port` (at most 10 s).
    static func waitForPort(_ port: Int) async throws {
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError(message: "nothing listens on port \(port)")
    }

    /// CPU time (user + system) of `pid` in seconds, from /proc/PID/stat.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based) → offsets 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU time (user + system) of this process's reaped children so far, in seconds.
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// This process's resident set size in bytes (/proc/self/statm).
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// One h2load run (after a warm-up of a tenth of the requests) and the server CPU it cost.
struct H2Load {
    let requestsPerSecond: Double
    let cpuMicrosPerRequest: Double
    /// h2load's own CPU per request (it runs on one thread: when it is the busier side, it
    /// bounds requests/s whatever the server costs).
    let clientCPUMicrosPerRequest: Double

    static func run(url: String, extra: [String], requests: Int, serverPID: Int32) async throws -> H2Load {
        _ = try await output(url: url, extra: extra, requests: max(1000, requests / 10))
        let before = BenchProcess.cpuSeconds(serverPID)
        let clientBefore = BenchProcess.childrenCPUSeconds()
        let text = try await output(url: url, extra: extra, requests: requests)
        let cpu = BenchProcess.cpuSeconds(serverPID) - before
        let client = BenchProcess.childrenCPUSeconds() - clientBefore
        guard text.contains("\(requests) succeeded"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("finished in") }),
              let rate = line.split(separator: ",").dropFirst().first?.split(separator: " ").first.flatMap({ Double($0) }) else {
            throw BenchError(message: "h2load against \(url) failed:\n\(text)")
        }
        return H2Load(requestsPerSecond: rate, cpuMicrosPerRequest: cpu * 1e6 / Double(requests),
                      clientCPUMicrosPerRequest: client * 1e6 / Double(requests))
    }

    /// Runs h2load once (1 thread, `connections` × `streams`) and returns what it printed.
    static func output(url: String, extra: [String], requests: Int, connections: Int = 16, streams: Int = 32) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/h2load")
        process.arguments = ["-n", String(requests), "-c", String(connections), "-m", String(streams), "-t", "1"] + extra + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
