// Placeholder so the module builds; its issue replaces this file.
public enum TrailmarkTransportModule {
    public static let name = "TrailmarkTransport"
}
