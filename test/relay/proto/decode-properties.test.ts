/**
 * Property tests: on arbitrary bytes the decoders throw nothing but their own coded error
 * (the relay drops or answers 400; it never crashes), and encode → decode round-trips.
 * Seeds are fixed so a failure reproduces; raise numRuns locally to search harder.
 */
import fc from 'fast-check'
import t from 'tap'
import { StunDecodeError } from '../../../relay/errors.js'
import {
  Attr,
  StreamFramer,
  decodeAddress,
  decodeAddressErrorCode,
  decodeIcmp,
  decodePasswordAlgorithm,
  decodePasswordAlgorithms,
  decodeUserhash,
  decodeChannelData,
  decodeChannelNumber,
  decodeErrorCode,
  decodeEvenPort,
  decodeLifetime,
  decodeMessage,
  decodeNonce,
  decodeRealm,
  decodeRequestedAddressFamily,
  decodeRequestedTransport,
  decodeSoftware,
  decodeUnknownAttributes,
  decodeUsername,
  decodeXorAddress,
  encodeChannelData,
  encodeMessage,
  encodeXorAddress,
  isChannelData,
  isStunMessage,
  verifyFingerprint,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
} from '../../../relay/proto/index.js'

const SEED = 0x5eed
const onlyCoded = (fn: () => unknown): boolean => {
  try {
    fn()
    return true
  } catch (err) {
    if (err instanceof StunDecodeError && typeof err.code === 'string') return true
    throw err
  }
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u))

/** Arbitrary bytes behind a plausible STUN header, so the attribute walker is exercised. */
const stunShaped = fc
  .tuple(fc.integer({ min: 0, max: 0x3fff }), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 40 })), { maxLength: 8 }), fc.boolean())
  .map(([type, tid, attrs, lie]) => {
    const body = Buffer.concat(
      attrs.map(([t, v]) => {
        const h = Buffer.alloc(4)
        h.writeUInt16BE(t, 0)
        h.writeUInt16BE(lie ? (v.length * 7) & 0xffff : v.length, 2)
        return Buffer.concat([h, Buffer.from(v), Buffer.alloc((4 - (v.length % 4)) % 4)])
      }),
    )
    const head = Buffer.alloc(20)
    head.writeUInt16BE(type, 0)
    head.writeUInt16BE(body.length, 2)
    head.writeUInt32BE(0x2112a442, 4)
    Buffer.from(tid).copy(head, 8)
    return Buffer.concat([head, body])
  })

const ATTRIBUTE_DECODERS: [number, (v: Buffer, tid: Buffer) => unknown][] = [
  [Attr.MappedAddress, (v) => decodeAddress(v)],
  [Attr.XorMappedAddress, decodeXorAddress],
  [Attr.XorPeerAddress, decodeXorAddress],
  [Attr.XorRelayedAddress, decodeXorAddress],
  [Attr.Username, (v) => decodeUsername(v)],
  [Attr.Realm, (v) => decodeRealm(v)],
  [Attr.Nonce, (v) => decodeNonce(v)],
  [Attr.Software, (v) => decodeSoftware(v)],
  [Attr.ErrorCode, (v) => decodeErrorCode(v)],
  [Attr.UnknownAttributes, (v) => decodeUnknownAttributes(v)],
  [Attr.ChannelNumber, (v) => decodeChannelNumber(v)],
  [Attr.Lifetime, (v) => decodeLifetime(v)],
  [Attr.RequestedTransport, (v) => decodeRequestedTransport(v)],
  [Attr.RequestedAddressFamily, (v) => decodeRequestedAddressFamily(v)],
  [Attr.EvenPort, (v) => decodeEvenPort(v)],
  [Attr.Icmp, (v) => decodeIcmp(v)],
  [Attr.PasswordAlgorithm, (v) => decodePasswordAlgorithm(v)],
  [Attr.PasswordAlgorithms, (v) => decodePasswordAlgorithms(v)],
  [Attr.Userhash, (v) => decodeUserhash(v)],
  [Attr.AddressErrorCode, (v) => decodeAddressErrorCode(v)],
]

t.test('decodeMessage throws only StunDecodeError on arbitrary bytes', async (t) => {
  fc.assert(fc.property(bytes(120), (b) => onlyCoded(() => decodeMessage(b))), { seed: SEED, numRuns: 3000 })
  fc.assert(
    fc.property(stunShaped, (b) => {
      const shaped = isStunMessage(b)
      return onlyCoded(() => {
        const msg = decodeMessage(b)
        verifyFingerprint(msg)
        verifyMessageIntegrity(msg, Buffer.from('k'))
        verifyMessageIntegritySha256(msg, Buffer.from('k'))
        if (!shaped) throw new Error('decoded a message isStunMessage rejected')
      })
    }),
    { seed: SEED, numRuns: 3000 },
  )
  t.pass('no foreign exception escaped')
})

t.test('every attribute decoder throws only StunDecodeError on arbitrary values', async (t) => {
  fc.assert(
    fc.property(bytes(64), bytes(12), (v, tidBytes) => {
      const tid = Buffer.concat([tidBytes, Buffer.alloc(12)]).subarray(0, 12)
      return ATTRIBUTE_DECODERS.every(([, decode]) => onlyCoded(() => decode(v, tid)))
    }),
    { seed: SEED, numRuns: 3000 },
  )
  t.pass('no foreign exception escaped')
})

t.test('decodeChannelData throws only StunDecodeError on arbitrary bytes', async (t) => {
  fc.assert(fc.property(bytes(40), (b) => onlyCoded(() => decodeChannelData(b))), { seed: SEED, numRuns: 3000 })
  t.pass('no foreign exception escaped')
})

t.test('StreamFramer throws only StunDecodeError on arbitrary chunk sequences, and bounds its buffer', async (t) => {
  fc.assert(
    fc.property(fc.array(bytes(80), { maxLength: 12 }), (chunks) => {
      const framer = new StreamFramer({ maxBuffered: 512 })
      return onlyCoded(() => {
        for (const c of chunks) {
          for (const frame of framer.push(c)) {
            if (isChannelData(frame)) decodeChannelData(frame)
            else decodeMessage(frame)
          }
          if (framer.buffered > 512) throw new Error(`framer holds ${framer.buffered} bytes`)
        }
      })
    }),
    { seed: SEED, numRuns: 2000 },
  )
  t.pass('no foreign exception escaped')
})

const attribute = fc.record({
  type: fc.integer({ min: 0, max: 0xffff }).filter((x) => x !== Attr.MessageIntegrity && x !== Attr.MessageIntegritySha256 && x !== Attr.Fingerprint),
  value: bytes(48),
})
const message = fc.record({
  method: fc.integer({ min: 0, max: 0xfff }),
  cls: fc.constantFrom(0, 1, 2, 3),
  transactionId: fc.uint8Array({ minLength: 12, maxLength: 12 }).map((u) => Buffer.from(u)),
  attributes: fc.array(attribute, { maxLength: 10 }),
})

t.test('encode then decode returns the same message, with integrity and fingerprint verifying', async (t) => {
  fc.assert(
    fc.property(message, fc.option(bytes(20).filter((k) => k.length > 0)), fc.boolean(), (m, key, fingerprint) => {
      const raw = encodeMessage(m, { ...(key ? { integrityKey: key } : {}), fingerprint })
      const d = decodeMessage(raw)
      const plain = d.attributes.filter((a) => a.type !== Attr.MessageIntegrity && a.type !== Attr.Fingerprint)
      return (
        isStunMessage(raw) &&
        d.method === m.method &&
        d.cls === m.cls &&
        d.transactionId.equals(m.transactionId) &&
        plain.length === m.attributes.length &&
        plain.every((a, i) => a.type === m.attributes[i]!.type && a.value.equals(m.attributes[i]!.value)) &&
        (!key || verifyMessageIntegrity(d, key)) &&
        verifyFingerprint(d) === fingerprint
      )
    }),
    { seed: SEED, numRuns: 1500 },
  )
  t.pass('round-trips hold')
})

t.test('ChannelData and XOR addresses round-trip', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0x4000, max: 0x4fff }), bytes(300), fc.boolean(), (channel, data, pad) => {
      const d = decodeChannelData(encodeChannelData(channel, data, { pad }))
      return d.channel === channel && d.data.equals(data)
    }),
    { seed: SEED, numRuns: 1500 },
  )
  const tid = Buffer.alloc(12, 0x5a)
  fc.assert(
    fc.property(fc.oneof(fc.ipV4().map((a) => [4, a] as const), fc.ipV6().map((a) => [6, a] as const)), fc.integer({ min: 0, max: 65535 }), ([family, address], port) => {
      const encoded = encodeXorAddress({ family, address, port }, tid)
      const decoded = decodeXorAddress(encoded, tid)
      // Text forms differ (compression, case); bytes must not.
      return decoded.port === port && encodeXorAddress(decoded, tid).equals(encoded)
    }),
    { seed: SEED, numRuns: 1500 },
  )
  t.pass('round-trips hold')
})

t.test('any stream of frames in any chunking deframes to the same frames', async (t) => {
  const frame = fc.oneof(
    message.map((m) => encodeMessage(m, { fingerprint: true })),
    fc.tuple(fc.integer({ min: 0x4000, max: 0x4fff }), bytes(100)).map(([c, d]) => encodeChannelData(c, d, { pad: true })),
  )
  fc.assert(
    fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (frames, sizes) => {
      const stream = Buffer.concat(frames)
      const framer = new StreamFramer()
      const out: Buffer[] = []
      for (let at = 0, i = 0; at < stream.length; i++) {
        const n = sizes[i % sizes.length]!
        out.push(...framer.push(stream.subarray(at, at + n)))
        at += n
      }
      const want = frames.map((f) => (isChannelData(f) ? f.subarray(0, 4 + f.readUInt16BE(2)) : f))
      return out.length === want.length && out.every((f, i) => f.equals(want[i]!)) && framer.buffered === 0
    }),
    { seed: SEED, numRuns: 1000 },
  )
  t.pass('deframing is independent of chunking')
})
