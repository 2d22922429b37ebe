/** Printable ASCII without spaces: safe as a header value and as a receiver's de-duplication key. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/

/** Whether `value` may be sent as a `Webhook-Id`: 1 to 256 printable ASCII characters, no spaces. */
export function isWebhookId(value: unknown): value is string {
  return typeof value === 'string' && WEBHOOK_ID.test(value)
}
