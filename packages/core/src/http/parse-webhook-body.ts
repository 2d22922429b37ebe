import { WebhookError } from '../errors/webhook-error.js'

const utf8 = new TextDecoder()
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i
/**
 * Deepest nesting of arrays and objects accepted. Webhook payloads stay within a few dozen levels;
 * far deeper ones parse, but overflow the stack of whatever walks them recursively next
 * (`JSON.stringify`, a logger, a schema validator) and crash the handler.
 */
const MAX_DEPTH = 1000
/**
 * Text that could spell a `__proto__` or `constructor` member: the names themselves, or any escape
 * that could hide one.
 */
const MAYBE_FORBIDDEN = /__proto__|constructor|\\u/

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
  // Nesting deeper than MAX_DEPTH takes two bytes a level, and the forbidden members need their
  // names in the text: bodies that can hold neither skip the walk.
  if (text.length <= 2 * MAX_DEPTH && !MAYBE_FORBIDDEN.test(text)) return body
  const problem = findProblem(body)
  if (problem !== undefined) throw new WebhookError('ERR_BODY_INVALID', problem)
  return body
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

/**
 * What makes a parsed body unsafe to hand over, at any depth, or undefined. JSON.parse keeps
 * "__proto__" as an own key; merged into another object later it would replace that object's
 * prototype, and a `constructor` object with a `prototype` member reaches the same through
 * `obj.constructor.prototype`. Both are refused as Fastify's parser (secure-json-parse) refuses them
 * by default. The walk keeps its own stack, so that no body can overflow the call stack.
 */
function findProblem(root: unknown): string | undefined {
  const pending: unknown[] = [root]
  const depths: number[] = [1]
  while (pending.length > 0) {
    const node = pending.pop()
    const depth = depths.pop() as number
    if (!isContainer(node)) continue
    if (depth > MAX_DEPTH) return `the body is nested more than ${MAX_DEPTH} levels deep`
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i]
        if (isContainer(item)) {
          pending.push(item)
          depths.push(depth + 1)
        }
      }
      continue
    }
    if (Object.hasOwn(node, '__proto__')) return 'the body holds a "__proto__" key'
    const constructor: unknown = Object.hasOwn(node, 'constructor')
      ? (node as { constructor: unknown }).constructor
      : undefined
    if (isContainer(constructor) && Object.hasOwn(constructor, 'prototype')) {
      return 'the body holds a "constructor" object with a "prototype" key'
    }
    const keys = Object.keys(node)
    for (let i = 0; i < keys.length; i++) {
      const item: unknown = (node as Record<string, unknown>)[keys[i] as string]
      if (isContainer(item)) {
        pending.push(item)
        depths.push(depth + 1)
      }
    }
  }
  return undefined
}
