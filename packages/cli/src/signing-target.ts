import { required } from './parse-flags.js'
import { UsageError } from './usage-error.js'

/** Where and how a body is signed for: what `sign` and `send` both read from their flags. */
export interface SigningTarget {
  url: string
  method: 'POST' | 'PUT'
  issuer: string
  /** `--audience` and `--webhook-id`, present only when given. */
  extras: { audience?: string; webhookId?: string }
}

/** Checks `--url`, `--method` and `--issuer`, exiting with a usage error on a bad one. */
export function signingTarget(values: {
  url?: string | undefined
  method: string
  issuer?: string | undefined
  audience?: string | undefined
  'webhook-id'?: string | undefined
}): SigningTarget {
  const url = required(values.url, 'url')
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) {
    throw new UsageError(`--url must be an absolute http(s) URL (got ${url})`)
  }
  const method = values.method.toUpperCase()
  if (method !== 'POST' && method !== 'PUT') throw new UsageError('--method must be POST or PUT')
  const extras = {
    ...(values.audience ? { audience: values.audience } : {}),
    ...(values['webhook-id'] ? { webhookId: values['webhook-id'] } : {}),
  }
  return { url, method, issuer: required(values.issuer, 'issuer'), extras }
}
