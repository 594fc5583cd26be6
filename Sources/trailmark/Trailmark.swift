import ArgumentParser

/// The `trailmark` executable: `serve` for now; the services add more subcommands.
@main
struct Trailmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trailmark",
        abstract: "Self-hosted product-analytics event service.",
        subcommands: [ServeCommand.self, KeysCommand.self, TrackCommand.self, IdentifyCommand.self, QueryCommand.self, StatsCommand.self, SourcesCommand.self, UserCommand.self, FunnelCommand.self, ImportCommand.self, ExportCommand.self],
        defaultSubcommand: ServeCommand.self)
}
