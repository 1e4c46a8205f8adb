/**
 * ChannelData from the client (RFC 8656 §12.4–§12.6): the fast path. One Map lookup by
 * channel number on the allocation the socket layer already holds, a permission check,
 * the token bucket, and counter increments; no objects are created. The caller sends
 * bytes [4, 4 + length) of the same buffer to `binding.peer` from the relayed socket.
 */
import type { Allocation } from './allocation.js'
import type { ChannelBinding } from './channel-binding.js'
import type { DropReason } from './events.js'
import { hasPermission } from './permission.js'

export function routeChannelData(a: Allocation, buf: Buffer, now: number): ChannelBinding | DropReason {
  if (buf.length < 4) return 'malformed'
  const length = buf.readUInt16BE(2)
  // §12.4: over UDP the datagram may carry padding after the data; never less than length.
  if (buf.length < 4 + length) return 'malformed'
  // §12.5: "If the ChannelData message is received on a channel that is not bound to
  // any peer, then the message is silently discarded."
  const binding = a.channels.byNumber(buf.readUInt16BE(0))
  if (binding === undefined || binding.expiresAt <= now) return 'no-channel'
  if (!hasPermission(a.permissions, binding.peer.address, now)) return 'no-permission'
  if (!a.bucket.take(length, now)) {
    a.droppedBandwidth++
    return 'bandwidth'
  }
  a.toPeerBytes += length
  a.toPeerPackets++
  return binding
}
