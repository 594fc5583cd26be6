import Testing
@testable import TrailmarkTransport

@Test func moduleLinks() {
    #expect(TrailmarkTransportModule.name == "TrailmarkTransport")
}
