// Placeholder so the module builds; its issue replaces this file.
public enum TrailmarkStorageModule {
    public static let name = "TrailmarkStorage"
}
