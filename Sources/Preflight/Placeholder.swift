// Placeholder so SwiftPM accepts the target on the `api` branch; deleted at merge.
