import { readFileSync } from 'node:fs'

/** A corpus request: method, URL, body and protocol parameters, with the signature to expect. */
export interface RequestCase {
  id: string
  type: 'request'
  method: string
  url: string
  body: string | null
  content_type: string | null
  oauth_params: Record<string, string>
  consumer_secret: string
  token_secret: string
  expected_signature: string
  rfc_strict_signature_derived_locally?: string
}

/** A corpus base string with the HMAC-SHA1 signature to expect. */
export interface BaseStringCase {
  id: string
  type: 'base_string'
  base_string: string
  consumer_secret: string
  token_secret: string
  expected_signature: string
}

/** The OAuth 1.0a corpus vectors (test/vectors/oauth1, with their sources). */
export const vectors = JSON.parse(
  readFileSync(new URL('../../../../test/vectors/oauth1/vectors.json', import.meta.url), 'utf8'),
) as {
  encoding_cases: { percent_encode: [string, string][]; normalize: [[string, string][], string][] }
  base_string_uri_cases: { cases: [string, string][] }
  cases: Array<RequestCase | BaseStringCase>
}
