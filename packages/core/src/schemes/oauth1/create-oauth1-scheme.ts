import { createHash, timingSafeEqual } from '#runtime/crypto.js'
import { RetryableWebhookError, WebhookError } from '../../errors/webhook-error.js'
import type { ReplayStore } from '../../replay/replay-store.js'
import { readHeaderValues } from '../../verify/read-header-values.js'
import { readSingleHeader } from '../../verify/read-single-header.js'
import { rememberId } from '../../verify/remember-id.js'
import type { VerifiedWebhook, VerifierEvent, WebhookRequest } from '../../verify/types.js'
import type { InboundScheme } from '../inbound-scheme.js'
import { parseFormEncoded } from './normalize-parameters.js'
import type { Parameter } from './normalize-parameters.js'
import { oauth1Signature } from './oauth1-signature.js'
import type { OAuth1SignatureMethod } from './oauth1-signature.js'
import { parseOAuthAuthorization } from './parse-authorization-header.js'
import { plaintextSignatureMatches } from './plaintext-signature-matches.js'
import { baseStringUri, signatureBaseString } from './signature-base-string.js'
import type { OAuth1Consumer, OAuth1SenderOptions } from './types.js'

interface SenderSettings {
  readonly id: string
  readonly consumers: OAuth1SenderOptions['consumers']
  readonly origin: string | undefined
  /** The methods accepted; PLAINTEXT only by the `allowPlaintext` exception. */
  readonly signatureMethods: ReadonlySet<string>
  readonly tolerance: number
  readonly replay: boolean
}

const OAUTH_SCHEME = /^[ \t]*OAuth(?:[ \t]|$)/i
const TIMESTAMP = /^[0-9]{1,12}$/
const MAX_NONCE_LENGTH = 256
const FORM = /^application\/x-www-form-urlencoded[ \t]*(?:;|$)/i
/** A form body as RFC 5849 §3.4.1.3.1 requires: form-encoded, so printable ASCII only. */
const FORM_ENCODED = /^[\x20-\x7e]*$/
const METHODS: readonly OAuth1SignatureMethod[] = ['HMAC-SHA1', 'HMAC-SHA256']

function fail(message: string): never {
  throw new TypeError(`createVerifier: ${message}`)
}

function malformed(message: string): WebhookError {
  return new WebhookError('ERR_SIGNATURE_MALFORMED', message)
}

function normalizeSender(options: OAuth1SenderOptions): SenderSettings {
  const {
    id,
    consumers,
    origin,
    signatureMethods = METHODS,
    tolerance = 300,
    replay = true,
    allowPlaintext = false,
  } = options
  if (typeof id !== 'string' || id === '') fail('an oauth1 sender needs an id')
  if (typeof consumers !== 'function') fail(`consumers of ${id} must be a function`)
  if (origin !== undefined && !(typeof origin === 'string' && URL.canParse(origin))) {
    fail(`origin of ${id} must be an absolute URL such as https://api.example.com`)
  }
  if (
    !Array.isArray(signatureMethods) ||
    signatureMethods.length === 0 ||
    !signatureMethods.every((method) => METHODS.includes(method))
  ) {
    fail(`signatureMethods of ${id} must list HMAC-SHA1 and/or HMAC-SHA256`)
  }
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    fail(`tolerance of ${id} must be a number of seconds, 0 or more`)
  }
  if (typeof replay !== 'boolean') fail(`replay of ${id} must be a boolean`)
  if (typeof allowPlaintext !== 'boolean') fail(`allowPlaintext of ${id} must be a boolean`)
  if (allowPlaintext && !(origin !== undefined && new URL(origin).protocol === 'https:')) {
    // PLAINTEXT sends the secrets themselves: only TLS keeps them, so the sender must sign for an
    // https origin, and the request URL cannot say otherwise.
    fail(`allowPlaintext for ${id} needs an https origin, e.g. origin: 'https://api.example.com'`)
  }
  const methods = new Set<string>(signatureMethods)
  if (allowPlaintext) methods.add('PLAINTEXT')
  return { id, consumers, origin, signatureMethods: methods, tolerance, replay }
}

/** The query part of a request URL, without `?` or fragment. */
function queryOf(url: string): string {
  const question = url.indexOf('?')
  if (question === -1) return ''
  const hash = url.indexOf('#', question)
  return url.slice(question + 1, hash === -1 ? undefined : hash)
}

/** Where the protocol parameters came from: the Authorization header, the query or a form body (§3.5). */
type Carrier = { readonly header: string } | { readonly query: true } | { readonly form: true }

/**
 * The parameters of a form body, when the request has one as RFC 5849 §3.4.1.3.1 defines it
 * (`Content-Type: application/x-www-form-urlencoded`, form-encoded), else undefined. A body
 * declared a form that is not form-encoded is refused rather than signed in part.
 */
function formParameters(request: WebhookRequest): Parameter[] | undefined {
  const contentType = readSingleHeader(request.headers, 'content-type', false)
  if (contentType === undefined || !FORM.test(contentType)) return undefined
  const text = Buffer.from(request.body).toString('latin1')
  if (!FORM_ENCODED.test(text)) {
    throw malformed('the body is declared form-urlencoded but holds bytes a form never encodes')
  }
  return parseFormEncoded(text)
}

function protocolParameters(
  carrier: Carrier,
  query: readonly Parameter[],
  form: readonly Parameter[] | undefined,
): Map<string, string> {
  const oauth = new Map<string, string>()
  const source =
    'header' in carrier
      ? parseOAuthAuthorization(carrier.header)
      : ('query' in carrier ? query : (form ?? [])).filter(([name]) => name.startsWith('oauth_'))
  for (const [name, value] of source) {
    if (name === 'realm') continue
    if (oauth.has(name)) throw malformed(`the OAuth parameter ${name} is given twice`)
    oauth.set(name, value)
  }
  return oauth
}

function required(oauth: ReadonlyMap<string, string>, name: string): string {
  const value = oauth.get(name)
  if (value === undefined || value === '') throw malformed(`the request has no ${name}`)
  return value
}

/** Every parameter RFC 5849 §3.4.1.3.1 signs: query, protocol parameters and a form body. */
function signedParameters(
  carrier: Carrier,
  query: readonly Parameter[],
  form: readonly Parameter[] | undefined,
  oauth: ReadonlyMap<string, string>,
): Parameter[] {
  const parameters: Parameter[] = [...query]
  if ('header' in carrier) parameters.push(...oauth)
  if (form !== undefined) parameters.push(...form)
  return parameters.filter(([name]) => name !== 'oauth_signature')
}

function decodeSignature(text: string, length: number): Buffer {
  const signature = Buffer.from(text, 'base64')
  if (signature.length !== length || signature.toString('base64') !== text) {
    throw new WebhookError(
      'ERR_SIGNATURE_INVALID',
      'oauth_signature is not a signature of this method',
    )
  }
  return signature
}

async function lookUp(
  sender: SenderSettings,
  consumerKey: string,
  token: string | undefined,
): Promise<OAuth1Consumer | undefined> {
  let consumer
  try {
    consumer = await sender.consumers(consumerKey, token)
  } catch (cause) {
    throw new RetryableWebhookError(
      'ERR_KEYS_UNAVAILABLE',
      "the OAuth consumer's secret cannot be looked up",
      30,
      { cause },
    )
  }
  if (consumer === undefined || consumer === null) return undefined
  if (typeof consumer.secret !== 'string') {
    throw new WebhookError('ERR_CONSUMER_UNKNOWN', 'the consumer lookup gave no secret')
  }
  return consumer
}

/**
 * The OAuth 1.0a scheme (RFC 5849) for the configured senders: found by an `Authorization: OAuth`
 * header or `oauth_signature` in the query, it checks the HMAC-SHA1 or HMAC-SHA256 signature over
 * the method, base string URI and every parameter (query, protocol, form body) with the consumer's
 * and token's secrets, then the timestamp window and the nonce replay.
 */
export function createOAuth1Scheme(
  senders: readonly OAuth1SenderOptions[],
  replayStore: ReplayStore,
  emit: (event: VerifierEvent) => void,
): InboundScheme {
  const settings = senders.map(normalizeSender)
  if (new Set(settings.map((sender) => sender.id)).size !== settings.length) {
    fail('two oauth1 senders share an id')
  }

  async function verifyRequest(
    request: WebhookRequest,
    carrier: Carrier,
  ): Promise<VerifiedWebhook> {
    const query = parseFormEncoded(queryOf(request.url))
    const form = formParameters(request)
    const oauth = protocolParameters(carrier, query, form)
    const consumerKey = required(oauth, 'oauth_consumer_key')
    const method = required(oauth, 'oauth_signature_method')
    const sent = required(oauth, 'oauth_signature')
    const nonce = required(oauth, 'oauth_nonce')
    const sentAt = required(oauth, 'oauth_timestamp')
    const token = oauth.get('oauth_token')
    const version = oauth.get('oauth_version')
    if (version !== undefined && version !== '1.0') throw malformed('oauth_version must be 1.0')
    if (!TIMESTAMP.test(sentAt)) throw malformed('oauth_timestamp is not a number of seconds')
    if (nonce.length > MAX_NONCE_LENGTH) throw malformed('oauth_nonce is too long')

    let methodAccepted = false
    for (const sender of settings) {
      if (!sender.signatureMethods.has(method)) continue
      methodAccepted = true
      const consumer = await lookUp(sender, consumerKey, token)
      if (consumer === undefined) continue
      if (token !== undefined && typeof consumer.tokenSecret !== 'string') {
        throw new WebhookError('ERR_CONSUMER_UNKNOWN', 'the oauth_token is not known')
      }
      const timestamp = Number(sentAt)
      if (Math.abs(Date.now() / 1000 - timestamp) > sender.tolerance) {
        throw new WebhookError(
          'ERR_TIMESTAMP_OUT_OF_WINDOW',
          `oauth_timestamp is more than ${sender.tolerance} seconds away from now`,
        )
      }
      const host = readSingleHeader(request.headers, 'host', false)
      const origin = sender.origin ?? (host === undefined ? undefined : `https://${host}`)
      const url =
        sender.origin === undefined
          ? request.url
          : new URL(request.url, 'http://path.invalid').pathname
      const baseUri = baseStringUri(url, origin)
      let bodyDigestVerified = false
      if (method === 'PLAINTEXT') {
        if (!baseUri.startsWith('https://') || /^http:/i.test(request.url)) {
          throw new WebhookError('ERR_ALG_NOT_ALLOWED', 'PLAINTEXT is accepted over https only')
        }
        if (!plaintextSignatureMatches(sent, consumer.secret, consumer.tokenSecret)) {
          throw new WebhookError('ERR_SIGNATURE_INVALID', 'the OAuth signature does not verify')
        }
      } else {
        const parameters = signedParameters(carrier, query, form, oauth)
        const baseString = signatureBaseString(request.method, baseUri, parameters)
        const expected = oauth1Signature(
          method as OAuth1SignatureMethod,
          baseString,
          consumer.secret,
          consumer.tokenSecret,
        )
        if (!timingSafeEqual(expected, decodeSignature(sent, expected.length))) {
          throw new WebhookError('ERR_SIGNATURE_INVALID', 'the OAuth signature does not verify')
        }
        bodyDigestVerified = checkBodyHash(
          oauth.get('oauth_body_hash'),
          method as OAuth1SignatureMethod,
          request.body,
          form !== undefined,
        )
      }
      if (sender.replay) {
        await rememberId(
          replayStore,
          `oauth1\0${sender.id}\0${consumerKey}\0${nonce}\0${sentAt}`,
          timestamp + sender.tolerance,
        )
      }
      if (!bodyDigestVerified) emit({ type: 'body-digest-absent', issuer: sender.id })
      const params = Object.fromEntries([...oauth].filter(([name]) => name !== 'oauth_signature'))
      return {
        scheme: 'oauth1',
        sender: sender.id,
        issuer: sender.id,
        kid: consumerKey,
        alg: method as OAuth1SignatureMethod | 'PLAINTEXT',
        claims: {
          iss: sender.id,
          aud: [],
          iat: timestamp,
          exp: timestamp + sender.tolerance,
          jti: nonce,
        },
        id: nonce,
        bodyDigestVerified,
        oauth1: {
          consumerKey,
          ...(token === undefined ? {} : { token }),
          nonce,
          timestamp,
          params,
        },
      }
    }
    if (!methodAccepted) {
      throw new WebhookError(
        'ERR_ALG_NOT_ALLOWED',
        `signature method ${JSON.stringify(method)} is not accepted`,
      )
    }
    throw new WebhookError('ERR_CONSUMER_UNKNOWN', 'the oauth_consumer_key is not known')
  }

  return {
    name: 'oauth1',
    carriers: 'Authorization: OAuth',
    detect(request) {
      const values = readHeaderValues(request.headers, 'authorization')
      const headers = values.filter((value) => OAUTH_SCHEME.test(value))
      const inQuery = /[?&]oauth_signature=/.test(request.url)
      const inForm = signsInForm(request)
      const found = headers.length + (inQuery ? 1 : 0) + (inForm ? 1 : 0)
      if (found === 0) return undefined
      if (found > 1 || (headers.length > 0 && values.length > 1)) {
        throw new WebhookError('ERR_SIGNATURE_DUPLICATE', 'more than one OAuth credential was sent')
      }
      const carrier: Carrier =
        headers.length > 0
          ? { header: (headers[0] as string).trim() }
          : inQuery
            ? { query: true }
            : { form: true }
      return { scheme: 'oauth1', verify: () => verifyRequest(request, carrier) }
    },
  }
}

/**
 * Whether a form body carries `oauth_signature` (RFC 5849 §3.5.2). Only a body declared
 * form-urlencoded is looked at; its bytes are searched, not decoded, since this runs on every
 * request with an OAuth sender configured.
 */
function signsInForm(request: WebhookRequest): boolean {
  const contentType = readHeaderValues(request.headers, 'content-type')[0]
  if (contentType === undefined || !FORM.test(contentType)) return false
  const body = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength)
  for (let at = body.indexOf('oauth_signature='); at !== -1;) {
    if (at === 0 || body[at - 1] === 0x26) return true
    at = body.indexOf('oauth_signature=', at + 1)
  }
  return false
}

/**
 * Checks `oauth_body_hash` when the sender sent one, and says whether the signature covers the
 * body: by that hash, by signing a form body's parameters, or because there is no body.
 */
function checkBodyHash(
  sent: string | undefined,
  method: OAuth1SignatureMethod,
  body: Uint8Array,
  formBody: boolean,
): boolean {
  if (sent === undefined) return formBody || body.length === 0
  const actual = createHash(method === 'HMAC-SHA1' ? 'sha1' : 'sha256')
    .update(body)
    .digest('base64')
  if (sent !== actual) {
    throw new WebhookError('ERR_BODY_DIGEST_MISMATCH', 'the body does not match oauth_body_hash')
  }
  return true
}
