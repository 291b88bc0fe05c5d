// swift-tools-version: 6.1
import PackageDescription

/// libFuzzer harnesses for VideoPreflight, kept out of the main package (as swift-protobuf keeps its
/// `FuzzTesting`): one executable per harness, each entering through `LLVMFuzzerTestOneInput`.
///
/// Build:  swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
///              --package-path Fuzz --scratch-path Fuzz/.build
///         (the -Xswiftc flag is needed: swiftc keeps only the last of SwiftPM's two -sanitize= flags,
///         which leaves the Swift code without coverage instrumentation; see FUZZING.md)
/// Run:    scripts/fuzz.sh [SECONDS]   (see FUZZING.md)
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "VideoPreflightFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named so the products resolve whatever the clone's directory is called.
        .package(name: "VideoPreflight", path: ".."),
    ],
    targets: [
        // The probe over a flat, seekable in-memory file (FFmpeg's tools/target_dem_fuzzer.c).
        .executableTarget(name: "FuzzProbe", dependencies: [.product(name: "MediaProbe", package: "VideoPreflight")]),
        // The probe over I/O the input's last bytes shape: short reads, no seeking, a false size
        // (FFmpeg's target_io_dem_fuzzer).
        .executableTarget(name: "FuzzProbeIO", dependencies: [.product(name: "MediaProbe", package: "VideoPreflight")]),
        // The sandbox's streaming multipart/form-data parser, in arbitrary chunkings.
        .executableTarget(name: "FuzzMultipart", dependencies: [.product(name: "FormData", package: "VideoPreflight")]),
        // The TL-Signature header parser and verifier.
        .executableTarget(name: "FuzzSignature", dependencies: [.product(name: "WebhookSignature", package: "VideoPreflight")]),
        // The wire decoders: task, batch, asset, error bodies, list pages, batch results.
        .executableTarget(name: "FuzzWire", dependencies: [.product(name: "AnalyzeWire", package: "VideoPreflight")]),
    ]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
