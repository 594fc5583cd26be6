// Placeholder so the module builds; its issue replaces this file.
public enum TrailmarkEngineModule {
    public static let name = "TrailmarkEngine"
}
