// libFuzzer harness: the probe over misbehaving in-memory I/O (after FFmpeg's
// target_io_dem_fuzzer), through the same detection, format allow-list, open, time budget and
// Inspector as a file probe, then a read of at most 1000 packets.
//
// Input: the file's bytes followed by a 16-byte trailer that shapes the I/O (inputs of 16 bytes
// or fewer are read whole, not seekable):
//   bytes 0-3   little-endian buffer size for the AVIOContext (low 20 bits; 0: 32 KiB)
//   byte  4     flags: bit 0 seekable, bit 1 the size query answers bytes 8-15 (a false size;
//               negative: unknown), bit 2 seeks do not move the data (a source that lies)
//   bytes 5-6   little-endian most bytes per read (short reads; 0: as many as asked)
//   byte  7     unused
//   bytes 8-15  little-endian declared size
@_spi(Fuzzing) import MediaProbe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let trailerSize = 16

/// `FUZZ_VERBOSE=1` prints each probe's outcome (for replaying inputs by hand).
private let verbose = getenv("FUZZ_VERBOSE") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProbeIO(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var mode = MemoryInputMode(seekable: false)
    var body = input[...]
    if size > trailerSize {
        let trailer = Array(input[(size - trailerSize)...])
        body = input[..<(size - trailerSize)]
        func little(_ range: Range<Int>) -> UInt64 {
            trailer[range].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        let buffer = Int(little(0..<4) & 0xF_FFFF)
        let flags = trailer[4]
        mode = MemoryInputMode(
            seekable: flags & 1 != 0,
            declaredSize: flags & 2 != 0 ? Int64(bitPattern: little(8..<16)) : nil,
            maxReadBytes: Int(little(5..<7)),
            bufferSize: buffer == 0 ? 32_768 : buffer,
            seeksMoveData: flags & 4 == 0)
    }
    guard !body.isEmpty else { return 0 }
    let options = ProbeOptions(timeout: .seconds(2))
    do {
        let info = try MediaProbe.probe(bytes: Array(body), mode: mode, options: options, packetLimit: 1_000)
        precondition(info.sizeBytes == Int64(body.count), "the probe reported \(info.sizeBytes) bytes for \(body.count)")
        if verbose { print("probe \(mode): \(info.container), \(info.video?.codec ?? "no video"), \(info.durationMicroseconds ?? -1) us") }
    } catch {
        if verbose { print("probe \(mode): \(error.code.rawValue): \(error.message)") }
    }
    return 0
}
