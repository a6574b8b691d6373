import { describe, expect, it } from 'vitest'
import { QueueRoom } from './queue-room.js'

const queueFull = expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL', retryAfterSeconds: 1 })

describe('QueueRoom', () => {
  it('refuses a request beyond the request bound, and takes one again once one is given back', () => {
    const room = new QueueRoom(2)
    room.claim(10)
    room.claim(10)
    expect(() => room.claim(0)).toThrow(queueFull)
    expect(room).toMatchObject({ requests: 2, bytes: 20 })
    room.giveBack(1, 10)
    room.claim(5)
    expect(room).toMatchObject({ requests: 2, bytes: 15 })
  })

  it('refuses bytes beyond the byte bound, naming the setting, but lets any one request in when nothing else holds bytes', () => {
    const room = new QueueRoom(10, 100)
    room.claim(500)
    expect(() => room.claim(1)).toThrow(/collector\.max_queued_bytes 100 bytes held/)
    room.giveBack(1, 500)
    room.claim(60)
    expect(() => room.claim(41)).toThrow(queueFull)
    room.claim(40)
    expect(room).toMatchObject({ requests: 2, bytes: 100 })
  })

  it('resizes a claim to the size read, refusing growth that does not fit and always allowing shrinking', () => {
    const room = new QueueRoom(10, 100)
    room.claim(30)
    room.claim(50)
    expect(() => room.resize(50, 71)).toThrow(queueFull)
    room.resize(50, 70)
    room.resize(70, 10)
    expect(room).toMatchObject({ requests: 2, bytes: 40 })
  })

  it('takes replayed records without the bounds', () => {
    const room = new QueueRoom(1, 10)
    room.claimUnbounded(500)
    room.claimUnbounded(500)
    expect(room).toMatchObject({ requests: 2, bytes: 1000 })
    expect(() => room.claim(0)).toThrow(queueFull)
  })
})
