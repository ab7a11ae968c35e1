// The libFuzzer entry point: every input goes through WALFuzzHarness, which
// replays and opens the directory image it describes and checks the
// recovery invariants. A violation aborts, so libFuzzer saves the input.

#if canImport(Glibc)
import Glibc
#endif
import WALTestSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try WALFuzzHarness.run(bytes)
    } catch {
        let message = "WAL fuzz invariant violated: \(error.description)\n"
        let bytes = Array(message.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }
    return 0
}
