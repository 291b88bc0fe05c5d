#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator, tuned for an asset upload (`tl assets upload`, and `tl submit` once it has chosen a direct
/// or multipart upload and unloaded FFmpeg).
///
/// By default glibc gives large blocks back to the kernel as soon as they are freed: anything over 128 KiB is
/// its own `mmap`, and a thread arena's free top above 128 KiB is trimmed. An upload reads the file into a fresh
/// buffer per MiB and frees it once sent, so every buffer was new memory: a 200 MB multipart upload took 30,000
/// page faults, about a sixth of `tl`'s CPU. Keeping blocks up to 8 MiB in the heap and trimming only above
/// 64 MiB lets freed buffers be reused; resident memory then stays at what the busiest moment of the upload
/// needed. Not applied before a probe: FFmpeg's freed blocks would then stay resident too (`tl preflight` of a
/// 22 MB video peaked at 63.6 MB instead of 60).
enum MemoryTuning {
    static func forUploads() {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which Swift's Glibc module does not include: look it up.
        // RTLD_DEFAULT is the null handle; the parameter numbers are glibc's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
        _ = mallopt(mmapThreshold, 8 << 20)
        _ = mallopt(trimThreshold, 64 << 20)
        #endif
    }
}
