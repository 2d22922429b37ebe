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
  try {
    return JSON.parse(utf8.decode(raw))
  } catch (cause) {
    throw new WebhookError('ERR_BODY_INVALID', 'the body is not valid JSON', { cause })
  }
}
