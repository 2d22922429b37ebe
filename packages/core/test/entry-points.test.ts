import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as http from '../src/http/index.js'
import * as receiver from '../src/index.js'
import * as send from '../src/send/index.js'
import * as testing from '../src/testing/index.js'

const entries = { '.': receiver, './send': send, './http': http, './testing': testing }

describe('entry points by audience', () => {
  it('gives a receiver the verifier, the JWKS client, replay stores and errors, and nothing else', () => {
    expect(Object.keys(receiver).sort()).toEqual([
      'HooksealError',
      'JwksFetchError',
      'JwksUnavailableError',
      'RetryableWebhookError',
      'SUPPORTED_ALGORITHMS',
      'WEBHOOK_ERROR_STATUS',
      'WebhookError',
      'createMemoryReplayStore',
      'createPlaidKeySource',
      'createRemoteKeySet',
      'createVerifier',
    ])
  })

  it('gives a sender key sets, the signers, the sender and the delivery errors', () => {
    expect(Object.keys(send).sort()).toEqual([
      'ConnectionError',
      'DeliveryAttemptError',
      'DeliveryError',
      'HooksealError',
      'OAuth1FlowError',
      'createConnections',
      'createMemoryConnectionStore',
      'createOAuth1Flow',
      'createSender',
      'createSigner',
      'loadKeySet',
      'prepareDelivery',
      'signOAuth1Request',
      'signStandardWebhook',
    ])
  })

  it('keeps the adapter kit apart from what applications import', () => {
    expect(Object.keys(http).sort()).toEqual([
      'DEFAULT_JWKS_PATH',
      'MAX_TIMER_MS',
      'bodyTimedOut',
      'bodyTooLarge',
      'callListener',
      'checkJwksPath',
      'checkSenderPublication',
      'createConnectionRoutes',
      'createWebhookRoute',
      'failWith',
      'jwksResponder',
      'numberOption',
      'observeGauge',
      'problemResponse',
      'rawBodyUnavailable',
      'readRawBody',
      'shouldReportRefusal',
      'traceQueueHop',
    ])
  })

  it('publishes every entry point in the exports map, with types for each', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { exports: Record<string, { types?: string; default?: string }> }
    expect(Object.keys(manifest.exports).sort()).toEqual(Object.keys(entries).sort())
    for (const target of Object.values(manifest.exports)) {
      expect(target.types).toMatch(/^\.\/dist\/.*index\.d\.ts$/)
      expect(target.default).toMatch(/^\.\/dist\/.*index\.js$/)
    }
  })
})

describe('one error hierarchy', () => {
  it('makes every error class of every entry point a HooksealError with a stable code', () => {
    const classes = Object.values(entries)
      .flatMap((entry) => Object.values(entry))
      .filter(
        (value): value is typeof Error =>
          typeof value === 'function' && value.prototype instanceof Error,
      )
    expect(classes.length).toBeGreaterThanOrEqual(6)
    for (const ErrorClass of new Set<unknown>(classes)) {
      const isBase = ErrorClass === receiver.HooksealError
      const extendsBase = (ErrorClass as typeof Error).prototype instanceof receiver.HooksealError
      expect(isBase || extendsBase, (ErrorClass as typeof Error).name).toBe(true)
    }
  })

  it('shares one base between the receiver and the sender entry points', () => {
    expect(send.HooksealError).toBe(receiver.HooksealError)
    const error = new send.DeliveryError('ERR_DESTINATION_REFUSED', 'no')
    expect(error).toBeInstanceOf(receiver.HooksealError)
    expect({ name: error.name, code: error.code }).toEqual({
      name: 'DeliveryError',
      code: 'ERR_DESTINATION_REFUSED',
    })
  })
})
