/// The facts of a VP9 key frame's uncompressed header (VP9 bitstream specification §6.2,
/// `color_config` and `frame_size`) from which FFmpeg's VP9 decoder derives the pixel format:
/// profile, bit depth, colour space, subsampling and the coded size. A VP9 stream states them
/// nowhere else FFmpeg reads, so FFmpeg's stream analysis decodes the first frame for them.
///
/// `nil` for anything but a key frame that starts the packet (a superframe's first frame does),
/// and for values the specification reserves.
struct VP9FrameHeader {
    var profile: Int
    var bitDepth: Int
    /// `color_space` (0–7; 7 is RGB).
    var colorSpace: Int
    var fullRange: Bool
    var subsamplingX: Bool
    var subsamplingY: Bool
    var width: Int
    var height: Int

    init?(frame: UnsafeBufferPointer<UInt8>) {
        var bits = BitReader(frame, emulationPrevention: false)
        guard bits.read(2) == 2, let low = bits.read(1), let high = bits.read(1) else { return nil }
        profile = high << 1 | low
        if profile == 3, bits.read(1) != 0 { return nil }
        // show_existing_frame, frame_type (0 = key frame), show_frame, error_resilient_mode.
        guard bits.read(1) == 0, bits.read(1) == 0, bits.read(1) != nil, bits.read(1) != nil,
              bits.read(8) == 0x49, bits.read(8) == 0x83, bits.read(8) == 0x42 else { return nil }
        if profile >= 2 {
            guard let twelve = bits.read(1) else { return nil }
            bitDepth = twelve == 1 ? 12 : 10
        } else {
            bitDepth = 8
        }
        guard let space = bits.read(3) else { return nil }
        colorSpace = space
        if space != 7 {
            guard let range = bits.flag() else { return nil }
            fullRange = range
            if profile == 1 || profile == 3 {
                guard let x = bits.flag(), let y = bits.flag(), bits.read(1) == 0 else { return nil }
                subsamplingX = x
                subsamplingY = y
            } else {
                subsamplingX = true
                subsamplingY = true
            }
        } else {
            // RGB is allowed only in profiles 1 and 3.
            guard profile == 1 || profile == 3, bits.read(1) == 0 else { return nil }
            fullRange = true
            subsamplingX = false
            subsamplingY = false
        }
        guard let w = bits.read(16), let h = bits.read(16) else { return nil }
        width = w + 1
        height = h + 1
    }
}
