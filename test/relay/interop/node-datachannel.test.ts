/**
 * Interop with a TURN client nobody here wrote: libdatachannel/libjuice via
 * node-datachannel. Two peers with iceTransportPolicy 'relay' and this relay as their
 * only ICE server must open a data channel and exchange messages — and the selected
 * pair must be relay/relay with bytes counted by the relay, or the test proves nothing.
 */
import t from 'tap'
import nodeDataChannel, { type DataChannel, type PeerConnection } from 'node-datachannel'

import { mintTurnCredential } from '../../../relay/auth/index.js'
import { startRelayNode } from '../../../relay/relay-node.js'
import { newMeetingId, newParticipantId } from '../../../state/meeting-id.js'

const SECRET = 'interop-secret-0123456789'

t.teardown(() => nodeDataChannel.cleanup())

t.test('two node-datachannel peers connect through the relay only and exchange messages', async (t) => {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'], requireMeeting: true })
  t.teardown(() => node.close())
  let relayed = { toPeerBytes: 0, toClientBytes: 0 }
  node.server.events.on('bytes-relayed', (c) => {
    relayed = { toPeerBytes: relayed.toPeerBytes + c.toPeerBytes, toClientBytes: relayed.toClientBytes + c.toClientBytes }
  })
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const meetingId = newMeetingId('test')
  const iceServer = (participantId: string) => {
    const cred = mintTurnCredential({ secret: SECRET, meetingId, participantId, ttlSeconds: 600, now: Date.now })
    // The object form: a REST username contains ':' and cannot sit in a turn: URL.
    return { hostname: udp.host, port: udp.port, username: cred.username, password: cred.password, relayType: 'TurnUdp' as const }
  }
  // Peers bind to other loopback addresses than the relay's, so no host path can form.
  const alice = new nodeDataChannel.PeerConnection('alice', { iceServers: [iceServer(newParticipantId())], iceTransportPolicy: 'relay', bindAddress: '127.0.0.2' })
  const bob = new nodeDataChannel.PeerConnection('bob', { iceServers: [iceServer(newParticipantId())], iceTransportPolicy: 'relay', bindAddress: '127.0.0.3' })
  const channels: DataChannel[] = []
  t.teardown(() => {
    for (const c of channels) c.close()
    alice.close()
    bob.close()
  })
  const candidates: Record<string, string[]> = { alice: [], bob: [] }
  const wire = (from: PeerConnection, to: PeerConnection, name: string): void => {
    from.onLocalDescription((sdp, type) => to.setRemoteDescription(sdp, type))
    from.onLocalCandidate((candidate, mid) => {
      candidates[name]!.push(candidate)
      to.addRemoteCandidate(candidate, mid)
    })
  }
  wire(alice, bob, 'alice')
  wire(bob, alice, 'bob')

  const bobGot = new Promise<string>((resolve) => {
    bob.onDataChannel((dc) => {
      channels.push(dc)
      dc.onMessage((msg) => {
        resolve(String(msg))
        dc.sendMessage('hello alice, from bob')
      })
    })
  })
  const dc = alice.createDataChannel('chat')
  channels.push(dc)
  const aliceGot = new Promise<string>((resolve) => dc.onMessage((msg) => resolve(String(msg))))
  const opened = new Promise<void>((resolve) => dc.onOpen(() => resolve()))

  const timeout = <T>(p: Promise<T>, what: string): Promise<T> =>
    Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), 20_000).unref())])
  await timeout(opened, 'data channel open')
  dc.sendMessage('hello bob, from alice')
  t.equal(await timeout(bobGot, 'bob receives'), 'hello bob, from alice')
  t.equal(await timeout(aliceGot, 'alice receives'), 'hello alice, from bob')

  for (const [name, pc] of [['alice', alice], ['bob', bob]] as const) {
    const pair = pc.getSelectedCandidatePair()
    t.ok(pair, `${name} has a selected pair`)
    t.equal(pair?.local.type, 'relay', `${name}'s local candidate is relayed`)
    t.equal(pair?.remote.type, 'relay', `${name}'s remote candidate is relayed`)
    t.equal(pair?.local.address, udp.host, `${name}'s relayed address is this relay`)
  }
  t.ok(Object.values(candidates).flat().every((c) => / typ relay /.test(c)), 'only relay candidates were offered')
  t.equal(node.server.table.size, 2, 'one allocation per peer')
  node.server.flush()
  t.ok(relayed.toPeerBytes > 0 && relayed.toClientBytes > 0, `the relay counted bytes both ways (${JSON.stringify(relayed)})`)
})
