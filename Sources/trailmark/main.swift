// Placeholder entry point until the server lands (issue: server end to end).
import TrailmarkWire

print("trailmark: the server is not built yet; see README.md")
