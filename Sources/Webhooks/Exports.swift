// `TLSignature` lives in WebhookSignature, which needs only swift-crypto; `import Webhooks` brings it too.
@_exported public import WebhookSignature
