// `make bench` runs this in release mode. Each suite prints one table of ratios
// against the anchors its issue names, all measured in the same run.
//
// Usage: TrailmarkBench [suite …]   (suites: codec transport storage ring services fastpath ingest engine; default all)

let suites: [(name: String, run: () async throws -> BenchTable)] = [
    ("codec", CodecBench.run),
    ("transport", TransportBench.run),
    ("storage", StorageBench.run),
    ("ring", RingBench.run),
    ("services", ServicesBench.run),
    ("fastpath", FastPathBench.run),
    ("ingest", IngestBench.run),
    ("engine", EngineBench.run),
]

let requested = Set(CommandLine.arguments.dropFirst())
for suite in suites where requested.isEmpty || requested.contains(suite.name) {
    let table = try await suite.run()
    print(table.render())
}
