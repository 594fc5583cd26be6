import Foundation
import Testing
import TrailmarkSDK
import TrailmarkWire

/// The `trailmark` client verbs, run as a user would against a real server.
@Suite(.serialized) struct CLITests {
    /// Runs `trailmark ARGS` with `TRAILMARK_HOST`/`TRAILMARK_KEY` set; returns (status, stdout, stderr).
    func cli(_ server: TestServer, key: String, _ arguments: [String], stdin: String? = nil) throws -> (Int32, String, String) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: server.binary)
        child.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TRAILMARK_HOST"] = server.host
        environment["TRAILMARK_KEY"] = key
        child.environment = environment
        let out = Pipe(), err = Pipe()
        child.standardOutput = out
        child.standardError = err
        let input = Pipe()
        if stdin != nil { child.standardInput = input }
        try child.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return (child.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test func trackQueryFunnelExportImport() async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        for (anon, steps) in [("a1", ["visit", "signup", "buy"]), ("a2", ["visit", "signup"]), ("a3", ["visit"])] {
            for step in steps {
                let (status, _, stderr) = try cli(server, key: key, ["track", step, "--anonymous-id", anon, "--property", "plan=pro",
                                                                      "--url", "https://x.example/?utm_source=google&utm_medium=cpc"])
                #expect(status == 0, "\(stderr)")
            }
        }
        let (idStatus, _, _) = try cli(server, key: key, ["identify", "--anonymous-id", "a1", "--user-id", "u1"])
        #expect(idStatus == 0)
        _ = try await server.waitForEvents(key: key, count: 6)

        let (qStatus, qOut, _) = try cli(server, key: key, ["query", "--event", "visit", "--format", "csv"])
        #expect(qStatus == 0)
        #expect(qOut.split(separator: "\n").count == 4)  // header + 3 rows
        #expect(qOut.hasPrefix("timestamp,event,user"))

        let (sStatus, sOut, _) = try cli(server, key: key, ["stats", "--metric", "uniques", "--event", "visit", "--unit", "anonymous", "--format", "json"])
        #expect(sStatus == 0)
        #expect(sOut.contains("\"value\":3"))

        let (fStatus, fOut, fErr) = try cli(server, key: key, ["funnel", "--step", "visit", "--step", "signup", "--step", "buy", "--unit", "anonymous", "--window", "7d"])
        #expect(fStatus == 0, "\(fErr)")
        #expect(fOut.contains("█"))
        #expect(fOut.contains("33.3%"))  // 1 of 3 reached buy
        #expect(fOut.contains("completed by 1"))

        let body = "{\"from\": \"-1d\", \"to\": 1, \"steps\": [\"visit\"]}"
        let (badStatus, _, badErr) = try cli(server, key: key, ["funnel", "--json", "-"], stdin: body)
        #expect(badStatus != 0)
        #expect(badErr.contains("from"))

        let (eStatus, exported, _) = try cli(server, key: key, ["export"])
        #expect(eStatus == 0)
        let lines = exported.split(separator: "\n")
        #expect(lines.filter { !$0.contains("\"type\":\"identify\"") }.count == 6)
        #expect(lines.filter { $0.contains("\"type\":\"identify\"") }.count == 1)

        // Re-importing the export stores nothing new (event ids are kept).
        let file = server.data + "/export.jsonl"
        try Data(exported.utf8).write(to: URL(fileURLWithPath: file))
        let (iStatus, iOut, iErr) = try cli(server, key: key, ["import", file, "--format", "json"])
        #expect(iStatus == 0, "\(iErr)")
        #expect(iOut.contains("\"events\":0"), "\(iOut)")
        #expect(iOut.contains("\"duplicates\":6"))
        #expect(iOut.contains("\"identifies\":1"))
    }

    @Test func badInputNamesTheField() async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        let file = server.data + "/bad.jsonl"
        try Data("{\"event\": \"ok\", \"anonymous_id\": \"a\"}\n{\"event\": 5}\n".utf8).write(to: URL(fileURLWithPath: file))
        let (status, _, stderr) = try cli(server, key: key, ["import", file])
        #expect(status != 0)
        #expect(stderr.contains("bad.jsonl:2"))
        let (tStatus, _, tErr) = try cli(server, key: "sk_live_aaaaaaaa_wrong", ["track", "x", "--anonymous-id", "a"])
        #expect(tStatus == 1)
        #expect(tErr.contains("UNAUTHENTICATED"))
    }
}
