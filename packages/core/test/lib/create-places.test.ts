import { describe, expect, it } from 'vitest'
import { createPlaces } from '../../src/lib/create-places.js'

describe('createPlaces', () => {
  it('gives out free places at once, then hands each leaving place to the longest waiting', async () => {
    const places = createPlaces(2)
    expect([places.take(), places.take(), places.take()]).toEqual([true, true, false])
    const order: string[] = []
    const first = places.wait().then(() => order.push('first'))
    const second = places.wait().then(() => order.push('second'))
    places.leave()
    await first
    expect(order).toEqual(['first'])
    // Handed over, not freed: a newcomer still finds every place taken.
    expect(places.take()).toBe(false)
    places.leave()
    await second
    expect(order).toEqual(['first', 'second'])
    places.leave()
    places.leave()
    // Both places are free again, and no more.
    expect([places.take(), places.take(), places.take()]).toEqual([true, true, false])
  })
})
