// libFuzzer harness: the probe over a flat, seekable in-memory file (after FFmpeg's
// tools/target_dem_fuzzer.c), through the same detection, format allow-list, open, time budget
// and Inspector as a file probe (`MediaProbe.probe(bytes:mode:options:packetLimit:)`), then a
// read of at most 1000 packets.
//
// Input: the file's bytes. A probe may fail with a `ProbeError` (most inputs are not media);
// it must not crash, leak or hang.
@_spi(Fuzzing) import MediaProbe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `FUZZ_VERBOSE=1` prints each probe's outcome (for replaying inputs by hand).
private let verbose = getenv("FUZZ_VERBOSE") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProbe(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // A short budget so a run never hangs: libFuzzer's -timeout is only the backstop.
    let options = ProbeOptions(timeout: .seconds(2))
    do {
        let info = try MediaProbe.probe(bytes: bytes, mode: .flat, options: options, packetLimit: 1_000)
        precondition(info.sizeBytes == Int64(size), "the probe reported \(info.sizeBytes) bytes for \(size)")
        if verbose { print("probe: \(info.container), \(info.video?.codec ?? "no video"), \(info.durationMicroseconds ?? -1) us") }
    } catch {
        if verbose { print("probe: \(error.code.rawValue): \(error.message)") }
    }
    return 0
}
