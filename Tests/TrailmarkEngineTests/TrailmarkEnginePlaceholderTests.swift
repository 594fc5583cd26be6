import Testing
@testable import TrailmarkEngine

@Test func moduleLinks() {
    #expect(TrailmarkEngineModule.name == "TrailmarkEngine")
}
