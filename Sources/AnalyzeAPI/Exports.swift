// The wire types live in AnalyzeWire, which has no HTTP stack; `import AnalyzeAPI` brings them too.
@_exported public import AnalyzeWire
