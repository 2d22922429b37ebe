import { WebhookError } from '../errors/webhook-error.js'

const utf8 = new TextDecoder()
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The body a handler receives: parsed JSON when the request says it is JSON, else the raw bytes.
 * Called only after the webhook is verified, so that a malformed body from an unauthenticated
 * caller is a 401, and from a verified sender a 400.
 */
export function parseWebhookBody(raw: Uint8Array, contentType: string | undefined): unknown {
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType)) return raw
  let poisoned = false
  let body: unknown
  try {
    body = JSON.parse(utf8.decode(raw), (key, value: unknown) => {
      if (key === '__proto__') poisoned = true
      return value
    })
  } catch (cause) {
    throw new WebhookError('ERR_BODY_INVALID', 'the body is not valid JSON', { cause })
  }
  // JSON.parse keeps "__proto__" as an own key; merged into another object later it would replace
  // that object's prototype. Refused, as Fastify's parser does by default.
  if (poisoned) throw new WebhookError('ERR_BODY_INVALID', 'the body holds a "__proto__" key')
  return body
}
