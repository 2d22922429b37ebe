import { describe, expect, it } from 'vitest'
import { loadKeySet } from '../../src/send/index.js'
import { jwksResponder } from '../../src/http/index.js'
import { generateTestKey } from '@hookseal/test-support/test-keys'

describe('jwksResponder', () => {
  it('renders the current public JWKS with a cache lifetime', async () => {
    const first = generateTestKey('ES256', 'one')
    const keys = await loadKeySet({
      keys: [{ pem: first.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }],
    })
    const render = jwksResponder(keys, { maxAge: 120 })
    const response = render()
    expect(response.status).toBe(200)
    expect(response.headers).toEqual({
      'content-type': 'application/jwk-set+json',
      'cache-control': 'public, max-age=120',
    })
    expect(JSON.parse(response.body)).toEqual(keys.jwks())
  })

  it('shows a key added after it was created', async () => {
    const keys = await loadKeySet({
      keys: [
        {
          pem: generateTestKey('EdDSA').privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }) as string,
        },
      ],
    })
    const render = jwksResponder(keys)
    await keys.add({
      pem: generateTestKey('EdDSA').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    })
    expect(JSON.parse(render().body).keys).toHaveLength(2)
    expect(render().headers['cache-control']).toBe('public, max-age=300')
  })

  it.each([-1, 1.5, Number.NaN])('throws a TypeError for maxAge %s', async (maxAge) => {
    const keys = await loadKeySet({
      keys: [
        {
          pem: generateTestKey('EdDSA').privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }) as string,
        },
      ],
    })
    expect(() => jwksResponder(keys, { maxAge })).toThrow(TypeError)
  })
})
