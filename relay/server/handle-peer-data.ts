/**
 * Data arriving on a relayed socket from a peer (RFC 8656 §10.3 and §12.6): relayed
 * to the client as ChannelData when a channel is bound to that peer (padded to 4 bytes
 * on stream transports, §12.5), otherwise as a Data indication. Without a permission
 * for the peer's IP address the datagram is discarded (§9).
 */
import { randomBytes } from 'node:crypto'

import { encodeChannelData } from '../proto/channel-data.js'
import { Attr, MessageClass, Method } from '../proto/constants.js'
import { encodeMessage } from '../proto/message.js'
import { encodeXorAddress } from '../proto/xor-address.js'
import type { Allocation } from './allocation.js'
import type { DropReason } from './events.js'
import { hasPermission } from './permission.js'

const PAD = { pad: true } as const
const NO_PAD = { pad: false } as const

/** Copied into each message by the encoder, so one buffer serves every indication. */
const INDICATION_ID = randomBytes(12)

export function framePeerData(a: Allocation, address: string, port: number, data: Buffer, now: number): Buffer | DropReason {
  if (!hasPermission(a.permissions, address, now)) return 'no-permission'
  if (!a.bucket.take(data.length, now)) {
    a.droppedBandwidth++
    return 'bandwidth'
  }
  a.toClientBytes += data.length
  a.toClientPackets++
  const binding = a.channels.lookupPeer(address, port)
  // The codec's framing (relay/proto/channel-data.ts), padded on stream transports (§12.5).
  if (binding !== undefined && binding.expiresAt > now) return encodeChannelData(binding.number, data, a.tuple.transport === 'tcp' ? PAD : NO_PAD)
  // Indications are never matched to anything (RFC 8489 §6.3.2); a random prefix and
  // a counter are unique enough and avoid a CSPRNG call per packet.
  INDICATION_ID.writeUInt32BE((INDICATION_ID.readUInt32BE(8) + 1) >>> 0, 8)
  const transactionId = INDICATION_ID
  return encodeMessage({
    method: Method.Data,
    cls: MessageClass.Indication,
    transactionId,
    attributes: [
      { type: Attr.XorPeerAddress, value: encodeXorAddress({ family: a.family, address, port }, transactionId) },
      { type: Attr.Data, value: data },
    ],
  })
}
