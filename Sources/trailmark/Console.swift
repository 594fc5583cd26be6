import Foundation

/// Writes a line to standard output at once (no stdio buffering), so a supervisor or a
/// pipe sees the listening address and the development keys as soon as they exist.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
