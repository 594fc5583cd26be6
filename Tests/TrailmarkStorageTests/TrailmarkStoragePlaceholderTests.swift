import Testing
@testable import TrailmarkStorage

@Test func moduleLinks() {
    #expect(TrailmarkStorageModule.name == "TrailmarkStorage")
}
