import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryReplayStore } from '../src/index.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('createMemoryReplayStore', () => {
  it('answers true the first time and false while the id is remembered', async () => {
    const store = createMemoryReplayStore()
    const expiresAt = Date.now() + 60_000
    expect(await store.remember('a', expiresAt)).toBe(true)
    expect(await store.remember('a', expiresAt)).toBe(false)
    expect(await store.remember('b', expiresAt)).toBe(true)
  })

  it('forgets an id once its expiry has passed', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    const store = createMemoryReplayStore()
    expect(await store.remember('a', Date.now() + 10_000)).toBe(true)
    vi.advanceTimersByTime(9_000)
    expect(await store.remember('a', Date.now() + 10_000)).toBe(false)
    vi.advanceTimersByTime(2_000)
    expect(await store.remember('a', Date.now() + 10_000)).toBe(true)
  })

  it('stays within maxEntries by forgetting the least recently seen id', async () => {
    const store = createMemoryReplayStore({ maxEntries: 2 })
    const expiresAt = Date.now() + 60_000
    for (const id of ['a', 'b', 'c']) expect(await store.remember(id, expiresAt)).toBe(true)
    expect(await store.remember('c', expiresAt)).toBe(false)
    expect(await store.remember('a', expiresAt)).toBe(true)
  })

  it('keeps an id seen again after it expired for its new lifetime, however the ring turns', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    const store = createMemoryReplayStore({ maxEntries: 3 })
    expect(await store.remember('a', Date.now() + 10_000)).toBe(true)
    expect(await store.remember('b', Date.now() + 60_000)).toBe(true)
    vi.advanceTimersByTime(11_000)
    expect(await store.remember('a', Date.now() + 60_000)).toBe(true)
    // The slot 'a' first held is reused for 'c': the newer 'a' must survive it.
    expect(await store.remember('c', Date.now() + 60_000)).toBe(true)
    expect(await store.remember('a', Date.now() + 60_000)).toBe(false)
    // Then 'b' and the newer 'a' go, the least recently first seen.
    expect(await store.remember('d', Date.now() + 60_000)).toBe(true)
    expect(await store.remember('b', Date.now() + 60_000)).toBe(true)
    expect(await store.remember('c', Date.now() + 60_000)).toBe(false)
  })

  it('accepts exactly one of many concurrent deliveries of one id', async () => {
    const store = createMemoryReplayStore()
    const expiresAt = Date.now() + 60_000
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => store.remember('x', expiresAt)),
    )
    expect(answers.filter(Boolean)).toHaveLength(1)
  })

  it.each([0, -1, 1.5, Number.NaN])('throws a TypeError for maxEntries %s', (maxEntries) => {
    expect(() => createMemoryReplayStore({ maxEntries })).toThrow(TypeError)
  })
})
