import CFuzzDriver
import TrailmarkWire

/// libFuzzer entry point. Input: one selector byte choosing the message type
/// (`WireMessageCatalog.all[selector % count]`), then the message body. Every input must
/// either be rejected with a `WireError` or decode to a value whose canonical re-encoding
/// decodes and re-encodes to the same bytes; anything else (a trap, a sanitizer report,
/// an unstable round trip) is a finding. Findings go to `FuzzTesting/Regressions/`, which
/// `FuzzRegressionTests` replays in `make test`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireDecoders(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let catalog = WireMessageCatalog.all
    let entry = catalog[Int(input[0]) % catalog.count]
    let body = UnsafeRawBufferPointer(rebasing: input[1...])
    // A finding must stop the fuzzer so that it saves the input; a trap is how libFuzzer sees it.
    precondition(WireMessageCatalog.decodeReencodeIsStable(body, as: entry.type), "unstable round trip for \(entry.name)")
    return 0
}

/// The executable's entry point. SwiftPM links executables with `main` aliased to
/// `FuzzWireDecoders_main`; with `-parse-as-library` there is no Swift `main`, so this
/// defines the alias target and runs libFuzzer's driver (flags: see `make fuzz`).
@_cdecl("FuzzWireDecoders_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        fuzzWireDecoders(UnsafeRawPointer(data), size)
    }
}
