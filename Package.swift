// swift-tools-version: 6.1
import PackageDescription

/// One list of settings for every target: Swift 6 mode is the tools-version default;
/// these upcoming features keep imports explicit and existentials spelled out.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

#if os(Linux)
/// Headers only on Linux: FFmpeg's libraries are loaded on demand by CFFmpegLoader (dlopen), and
/// pkg-config's `-lavformat` would make every `tl` command map libavcodec and its hundred-odd
/// dependencies at start-up. Debian, Ubuntu, Arch and Alpine keep the headers on the default path.
let ffmpegPkgConfig: String? = nil
#else
let ffmpegPkgConfig: String? = "libavformat"
#endif

/// `VP_FFMPEG_ONLY=1` declares only the FFmpeg-facing part of the package (CFFmpeg, CFFmpegLoader,
/// MediaProbe, PlatformRules, Preflight, their two test suites, and swift-log): the FFmpeg matrix
/// (scripts/ffmpeg-matrix.sh) builds and tests exactly that against other FFmpeg releases in a
/// chroot, in about a minute instead of the ten that the server, HTTP and database dependencies take.
let ffmpegOnly = Context.environment["VP_FFMPEG_ONLY"] == "1"

let package = Package(
    name: "VideoPreflight",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MediaProbe", targets: ["MediaProbe"]),
        .library(name: "PlatformRules", targets: ["PlatformRules"]),
        .library(name: "Preflight", targets: ["Preflight"]),
        .library(name: "AnalyzeWire", targets: ["AnalyzeWire"]),
        .library(name: "AnalyzeAPI", targets: ["AnalyzeAPI"]),
        .library(name: "FormData", targets: ["FormData"]),
        .library(name: "WebhookSignature", targets: ["WebhookSignature"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .library(name: "Submission", targets: ["Submission"]),
        .library(name: "Webhooks", targets: ["Webhooks"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .executable(name: "tl", targets: ["tl"]),
        .executable(name: "TasksBench", targets: ["TasksBench"]),
        .executable(name: "SubmitBench", targets: ["SubmitBench"]),
        .executable(name: "IngestBench", targets: ["IngestBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Already in the graph through Hummingbird; named so the sandbox can import HTTPTypes explicitly.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Already in the graph through Hummingbird; named so the sandbox can add a channel handler on HTTPTypes parts.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        // The ingest journal: SQLite (embedded default) and PostgreSQL (a fleet of workers).
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        // Metrics: the libraries emit through swift-metrics; `tl ingest run --metrics-port` serves them as Prometheus text.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Already in the graph through PostgresNIO and AsyncHTTPClient; named for the journal's TLS settings.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: ffmpegPkgConfig,
            providers: [
                .apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev"]),
                .brew(["ffmpeg"]),
            ]
        ),
        // FFmpeg's libraries are loaded when the first probe needs them (dlopen on Linux) and can be
        // unloaded again; on macOS they are linked as usual.
        .target(
            name: "CFFmpegLoader",
            dependencies: ["CFFmpeg"],
            linkerSettings: [
                .linkedLibrary("dl", .when(platforms: [.linux])),
                .linkedLibrary("avformat", .when(platforms: [.macOS])),
                .linkedLibrary("avcodec", .when(platforms: [.macOS])),
                .linkedLibrary("avutil", .when(platforms: [.macOS])),
            ]
        ),
        .target(
            name: "MediaProbe",
            dependencies: ["CFFmpeg", "CFFmpegLoader", .product(name: "Logging", package: "swift-log")]
        ),
        // The platform's rules as data, read by everything below: no dependencies, no I/O.
        .target(name: "PlatformRules"),
        .target(name: "Preflight", dependencies: ["MediaProbe", "PlatformRules"]),
        // The wire types and their coding, with no HTTP stack: what the fuzz harnesses decode, and what a
        // program reading stored results or webhook payloads needs. AnalyzeAPI re-exports it.
        .target(name: "AnalyzeWire"),
        .target(
            name: "AnalyzeAPI",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "AnalyzeWire", "PlatformRules",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Submission",
            dependencies: ["Preflight", "MediaProbe", "AnalyzeAPI", "PlatformRules", .product(name: "Logging", package: "swift-log")]
        ),
        // Webhook signatures (TL-Signature), signed and verified for any server: HMAC-SHA256 through
        // swift-crypto, compared in constant time. Webhooks re-exports it.
        .target(name: "WebhookSignature", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The streaming multipart/form-data reader the sandbox's direct uploads use.
        .target(name: "FormData"),
        // A bounded Hummingbird receiver for users' own servers and `tl webhooks listen`.
        .target(name: "Webhooks", dependencies: [
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            "WebhookSignature",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]),
        // Durable, exactly-once ingest of whole libraries: the journal (SQLite or PostgreSQL) and the engine.
        .target(
            name: "Ingest",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "MediaProbe", "Preflight", "AnalyzeAPI", "Submission", "PlatformRules",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Sandbox",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "AnalyzeAPI", "FormData", "PlatformRules", "WebhookSignature",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "tl",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "MediaProbe", "Preflight", "AnalyzeAPI", "Submission", "Sandbox", "PlatformRules", "Webhooks", "Ingest",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "ProbeBench", dependencies: ["MediaProbe", "Preflight"]),
        .executableTarget(name: "SubmitBench", dependencies: ["Submission", "AnalyzeAPI"]),
        .executableTarget(name: "IngestBench", dependencies: ["Ingest"]),
        .executableTarget(
            name: "TasksBench",
            dependencies: ["AnalyzeAPI", "Sandbox", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "MediaProbeTests", dependencies: ["MediaProbe"]),
        .testTarget(name: "PreflightTests", dependencies: ["Preflight", "MediaProbe", "PlatformRules"]),
        .testTarget(
            name: "AnalyzeAPITests",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "AnalyzeAPI", "Sandbox", "PlatformRules",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "Sandbox", "AnalyzeAPI", "PlatformRules",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SubmissionTests",
            dependencies: [.product(name: "NIOConcurrencyHelpers", package: "swift-nio"), "Submission", "AnalyzeAPI", "Preflight", "MediaProbe", "Sandbox"]
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest", "Sandbox", "AnalyzeAPI", "Submission", "Preflight", "MediaProbe", "PlatformRules",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "tlTests",
            dependencies: [.product(name: "NIOConcurrencyHelpers", package: "swift-nio"), "tl", "Ingest", "Submission", .product(name: "Logging", package: "swift-log")],
            exclude: ["Golden"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "FormDataTests", dependencies: ["FormData"]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}

if ffmpegOnly {
    let kept: Set<String> = [
        "CFFmpeg", "CFFmpegLoader", "MediaProbe", "PlatformRules", "Preflight", "MediaProbeTests", "PreflightTests",
    ]
    package.targets = package.targets.filter { kept.contains($0.name) }
    package.products = package.products.filter { kept.contains($0.name) }
    package.dependencies = package.dependencies.filter {
        if case .sourceControl(_, let location, _) = $0.kind { return location.hasSuffix("/swift-log.git") }
        return false
    }
}
