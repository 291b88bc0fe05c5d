/// The facts of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1 and Annex E) that a
/// probe reports and that FFmpeg otherwise learns only by decoding a frame: the cropped size,
/// chroma format and bit depth (hence the pixel format), the sample aspect ratio, the video
/// signal (range and transfer characteristic) and whether the stream can hold fields at all.
///
/// Read from the first SPS of an `avcC` record (MP4/MOV sample description, Matroska
/// CodecPrivate). Parsing stops after the colour description; any value outside the ranges the
/// standard allows makes the whole parse fail (`nil`), and the probe then takes FFmpeg's own path.
struct H264SequenceParameters {
    var profile: Int
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    var chromaFormat: Int
    var bitDepthLuma: Int
    var bitDepthChroma: Int
    /// `frame_mbs_only_flag`: when set, every picture is a progressive frame.
    var frameMacroblocksOnly: Bool
    /// Width and height after the cropping window, as the decoder reports them.
    var width: Int
    var height: Int
    /// The cropping offsets in luma samples.
    var cropLeft: Int
    var cropTop: Int
    /// Sample aspect ratio from the VUI; `nil` when not stated (FFmpeg: 0/1).
    var sampleAspectRatio: Ratio?
    /// `video_full_range_flag`, when the VUI has a video signal type.
    var fullRange: Bool?
    /// Colour description (H.273 code points), when the VUI has one.
    var colourPrimaries: Int?
    var transferCharacteristics: Int?
    var matrixCoefficients: Int?

    /// Table E-1: sample aspect ratios for `aspect_ratio_idc` 1–16 (index 0 is unspecified).
    private static let aspectRatios: [(Int, Int)] = [
        (0, 1), (1, 1), (12, 11), (10, 11), (16, 11), (40, 33), (24, 11), (20, 11), (32, 11),
        (80, 33), (18, 11), (15, 11), (64, 33), (160, 99), (4, 3), (3, 2), (2, 1),
    ]

    /// Parses the first SPS of an `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15 §5.3.3.1).
    init?(avcC record: UnsafeBufferPointer<UInt8>) {
        // configurationVersion 1, profile, compatibility, level, lengthSizeMinusOne, numOfSPS.
        guard record.count >= 8, record[0] == 1, record[5] & 0x1F >= 1 else { return nil }
        let length = Int(record[6]) << 8 | Int(record[7])
        guard length >= 4, 8 + length <= record.count else { return nil }
        self.init(nal: UnsafeBufferPointer(rebasing: record[8..<(8 + length)]))
    }

    /// Parses one SPS NAL unit (header byte included, emulation prevention bytes in place).
    init?(nal: UnsafeBufferPointer<UInt8>) {
        guard let first = nal.first, first & 0x1F == 7, first & 0x80 == 0 else { return nil }
        var bits = BitReader(UnsafeBufferPointer(rebasing: nal.dropFirst()), emulationPrevention: true)
        guard let parsed = Self.parse(&bits) else { return nil }
        self = parsed
    }

    private init(profile: Int) {
        self.profile = profile
        chromaFormat = 1
        bitDepthLuma = 8
        bitDepthChroma = 8
        frameMacroblocksOnly = true
        width = 0
        height = 0
        cropLeft = 0
        cropTop = 0
    }

    private static func parse(_ bits: inout BitReader) -> Self? {
        guard let profile = bits.read(8), bits.read(8) != nil, bits.read(8) != nil,
              let id = bits.unsigned(), id <= 31 else { return nil }
        var sps = Self(profile: profile)
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            guard let chroma = bits.unsigned(), chroma <= 3 else { return nil }
            sps.chromaFormat = chroma
            if chroma == 3 {
                // separate_colour_plane_flag: each plane coded as monochrome; leave it to FFmpeg.
                guard let separate = bits.flag(), !separate else { return nil }
            }
            guard let luma = bits.unsigned(), luma <= 6, let chromaDepth = bits.unsigned(), chromaDepth <= 6,
                  bits.flag() != nil, let scaling = bits.flag() else { return nil }
            sps.bitDepthLuma = luma + 8
            sps.bitDepthChroma = chromaDepth + 8
            if scaling {
                for list in 0..<(chroma == 3 ? 12 : 8) {
                    guard let present = bits.flag() else { return nil }
                    if present, !skipScalingList(&bits, size: list < 6 ? 16 : 64) { return nil }
                }
            }
        }
        guard let log2MaxFrameNum = bits.unsigned(), log2MaxFrameNum <= 12,
              let pocType = bits.unsigned(), pocType <= 2 else { return nil }
        if pocType == 0 {
            guard let log2MaxPoc = bits.unsigned(), log2MaxPoc <= 12 else { return nil }
        } else if pocType == 1 {
            guard bits.flag() != nil, bits.signed() != nil, bits.signed() != nil,
                  let cycle = bits.unsigned(), cycle <= 255 else { return nil }
            for _ in 0..<cycle where bits.signed() == nil { return nil }
        }
        guard bits.unsigned() != nil, bits.flag() != nil,
              let widthInMbs = bits.unsigned(), widthInMbs < 1024,
              let heightInMapUnits = bits.unsigned(), heightInMapUnits < 1024,
              let frameMbsOnly = bits.flag() else { return nil }
        sps.frameMacroblocksOnly = frameMbsOnly
        if !frameMbsOnly, bits.flag() == nil { return nil }
        guard bits.flag() != nil, let cropping = bits.flag() else { return nil }
        let lumaWidth = (widthInMbs + 1) * 16
        let lumaHeight = (heightInMapUnits + 1) * 16 * (frameMbsOnly ? 1 : 2)
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if cropping {
            guard let l = bits.unsigned(), let r = bits.unsigned(), let t = bits.unsigned(), let b = bits.unsigned(),
                  max(l, r, t, b) < 4096 else { return nil }
            let stepX = sps.chromaFormat == 1 || sps.chromaFormat == 2 ? 2 : 1
            let stepY = (frameMbsOnly ? 1 : 2) * (sps.chromaFormat == 1 ? 2 : 1)
            crop = (l * stepX, r * stepX, t * stepY, b * stepY)
        }
        guard crop.left + crop.right < lumaWidth, crop.top + crop.bottom < lumaHeight else { return nil }
        sps.width = lumaWidth - crop.left - crop.right
        sps.height = lumaHeight - crop.top - crop.bottom
        sps.cropLeft = crop.left
        sps.cropTop = crop.top

        guard let vui = bits.flag() else { return nil }
        guard vui else { return sps }
        guard let aspectPresent = bits.flag() else { return nil }
        if aspectPresent {
            guard let idc = bits.read(8) else { return nil }
            if idc == 255 {
                guard let num = bits.read(16), let den = bits.read(16) else { return nil }
                sps.sampleAspectRatio = Ratio(num, den)
            } else if idc < aspectRatios.count {
                sps.sampleAspectRatio = Ratio(aspectRatios[idc].0, aspectRatios[idc].1)
            } else {
                return nil
            }
        }
        guard let overscan = bits.flag() else { return nil }
        if overscan, bits.flag() == nil { return nil }
        guard let signal = bits.flag() else { return nil }
        if signal {
            guard bits.read(3) != nil, let full = bits.flag(), let colour = bits.flag() else { return nil }
            sps.fullRange = full
            if colour {
                guard let primaries = bits.read(8), let transfer = bits.read(8), let matrix = bits.read(8) else { return nil }
                sps.colourPrimaries = primaries
                sps.transferCharacteristics = transfer
                sps.matrixCoefficients = matrix
            }
        }
        return sps
    }

    /// Skips one `scaling_list()` (§7.3.2.1.1.1): deltas until the list ends or repeats.
    private static func skipScalingList(_ bits: inout BitReader, size: Int) -> Bool {
        var last = 8, next = 8
        for _ in 0..<size where next != 0 {
            guard let delta = bits.signed(), (-128...127).contains(delta) else { return false }
            next = (last + delta + 256) % 256
            if next != 0 { last = next }
        }
        return true
    }
}

/// Reads bits MSB first, with Exp-Golomb codes (H.264 §9.1); every read returns `nil` past the
/// end. For an H.264 NAL unit's payload it drops emulation prevention bytes (`00 00 03`).
struct BitReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let emulationPrevention: Bool
    private var byteIndex = 0
    private var bitIndex = 0
    private var zeros = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, emulationPrevention: Bool) {
        self.bytes = bytes
        self.emulationPrevention = emulationPrevention
    }

    private mutating func bit() -> Int? {
        if bitIndex == 0 {
            // At a byte boundary: a 0x03 after two zero bytes is not payload.
            if emulationPrevention, zeros >= 2, byteIndex < bytes.count, bytes[byteIndex] == 3 {
                byteIndex += 1
                zeros = 0
            }
            guard byteIndex < bytes.count else { return nil }
        }
        let byte = bytes[byteIndex]
        let value = Int(byte >> (7 - UInt8(bitIndex))) & 1
        bitIndex += 1
        if bitIndex == 8 {
            bitIndex = 0
            byteIndex += 1
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return value
    }

    mutating func read(_ count: Int) -> Int? {
        var value = 0
        for _ in 0..<count {
            guard let b = bit() else { return nil }
            value = value << 1 | b
        }
        return value
    }

    mutating func flag() -> Bool? { bit().map { $0 == 1 } }

    /// `ue(v)`; codes longer than 31 bits are refused.
    mutating func unsigned() -> Int? {
        var leadingZeros = 0
        while true {
            guard let b = bit() else { return nil }
            if b == 1 { break }
            leadingZeros += 1
            if leadingZeros > 31 { return nil }
        }
        guard let rest = read(leadingZeros) else { return nil }
        return (1 << leadingZeros) - 1 + rest
    }

    /// `se(v)`.
    mutating func signed() -> Int? {
        guard let k = unsigned() else { return nil }
        return k & 1 == 1 ? (k + 1) / 2 : -(k / 2)
    }
}
