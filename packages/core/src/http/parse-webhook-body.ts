import { WebhookError } from '../errors/webhook-error.js'

const utf8 = new TextDecoder()
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i
/** Text that could spell a `__proto__` member: the name itself, or any escape that could hide it. */
const MAYBE_PROTO = /__proto__|\\u/

/**
 * The body a handler receives: parsed JSON when the request says it is JSON, else the raw bytes.
 * Called only after the webhook is verified, so that a malformed body from an unauthenticated
 * caller is a 401, and from a verified sender a 400.
 */
export function parseWebhookBody(raw: Uint8Array, contentType: string | undefined): unknown {
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType)) return raw
  const text = utf8.decode(raw)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (cause) {
    throw new WebhookError('ERR_BODY_INVALID', 'the body is not valid JSON', { cause })
  }
  // JSON.parse keeps "__proto__" as an own key; merged into another object later it would replace
  // that object's prototype. Refused, as Fastify's parser does by default. A reviver finds it at
  // any depth but triples the cost, so it only runs when the text could hold one.
  if (MAYBE_PROTO.test(text) && hasProtoMember(text)) {
    throw new WebhookError('ERR_BODY_INVALID', 'the body holds a "__proto__" key')
  }
  return body
}

function hasProtoMember(text: string): boolean {
  let found = false
  JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__') found = true
    return value
  })
  return found
}
