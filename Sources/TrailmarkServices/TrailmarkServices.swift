// Placeholder so the module builds; its issue replaces this file.
public enum TrailmarkServicesModule {
    public static let name = "TrailmarkServices"
}
