// swift-tools-version: 6.1
import PackageDescription

/// One list of settings for every target: Swift 6 mode is the tools-version default;
/// these upcoming features keep imports explicit and existentials spelled out.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "VideoPreflight",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MediaProbe", targets: ["MediaProbe"]),
        .library(name: "Preflight", targets: ["Preflight"]),
        .executable(name: "tl", targets: ["tl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [
                .apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev"]),
                .brew(["ffmpeg"]),
            ]
        ),
        .target(
            name: "MediaProbe",
            dependencies: ["CFFmpeg", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "Preflight", dependencies: ["MediaProbe"]),
        .executableTarget(
            name: "tl",
            dependencies: [
                "MediaProbe", "Preflight",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "ProbeBench", dependencies: ["MediaProbe", "Preflight"]),
        .testTarget(name: "MediaProbeTests", dependencies: ["MediaProbe"]),
        .testTarget(name: "PreflightTests", dependencies: ["Preflight", "MediaProbe"]),
        .testTarget(name: "tlTests", dependencies: ["tl"], exclude: ["Golden"]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
