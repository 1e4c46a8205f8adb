/**
 * The control-plane settings of a region: trusted proxies, abuse limits and the managed-mode
 * key-encryption keys. Defaults apply when nothing is said; every bad value is reported at
 * its path, and a KEK secret is never echoed.
 */
import t from 'tap'

import { ConfigError } from '../../config/config-error.js'
import { baseDoc, baseEnv, parseDoc, type Doc } from './fixtures.js'

function issuesOf(mutate: (doc: Doc) => void, env = baseEnv): ConfigError['issues'] {
  const doc = baseDoc()
  mutate(doc)
  try {
    parseDoc(doc, env)
  } catch (err) {
    if (err instanceof ConfigError) return err.issues
    throw err
  }
  return []
}

t.test('a region that says nothing trusts no proxy, has no KEK and gets the default limits', async (t) => {
  const region = parseDoc(baseDoc()).regionById('eu-central')!
  t.same(region.controlPlane.trustedProxies, [])
  t.same(region.mediaKeks, [])
  t.same(region.controlPlane.limits, {
    signaling: {
      messagesPerSecond: 50, messageBurst: 200, maxMessageBytes: 65536, joinTimeoutSeconds: 10, joinsPerAddress: { perSecond: 10, burst: 100 },
      maxBufferedBytes: 1048576, unjoinedSockets: { perAddress: 20, perNode: 2000 }, presence: { leaseSeconds: 15, renewSeconds: 5 }, fleetWatchSeconds: 0.25,
    },
    http: { perApiKey: { max: 6000, windowSeconds: 60 }, perAddress: { max: 600, windowSeconds: 60 } },
  })
})

t.test('a subset of the limits keeps the defaults of the rest', async (t) => {
  const doc = baseDoc()
  doc.regions[0].controlPlane.trustedProxies = ['10.0.0.0/8', 'fd00::/8']
  doc.regions[0].controlPlane.limits = { signaling: { joinTimeoutSeconds: 2 }, http: { perAddress: { max: 5 } } }
  const cp = parseDoc(doc).regionById('eu-central')!.controlPlane
  t.same(cp.trustedProxies, ['10.0.0.0/8', 'fd00::/8'])
  t.equal(cp.limits.signaling.joinTimeoutSeconds, 2)
  t.equal(cp.limits.signaling.messageBurst, 200)
  t.same(cp.limits.http.perAddress, { max: 5, windowSeconds: 60 })
  t.same(cp.limits.http.perApiKey, { max: 6000, windowSeconds: 60 })
})

t.test('a trusted proxy that is not a CIDR is refused at its path', async (t) => {
  const issues = issuesOf((d) => { d.regions[1].controlPlane.trustedProxies = ['10.0.0.0/8', '10.0.0.1'] })
  t.same(issues.map((i) => [i.path, i.rule]), [['regions[1].controlPlane.trustedProxies[1]', 'cidr_invalid']])
})

t.test('limits outside their range and unknown limit keys are refused', async (t) => {
  const issues = issuesOf((d) => { d.regions[0].controlPlane.limits = { signaling: { maxMessageBytes: 1_000_000, joinTimeoutSeconds: 0 }, http: { perKey: { max: 1 } } } })
  t.same(issues.map((i) => i.path).sort(), [
    'regions[0].controlPlane.limits.http.perKey',
    'regions[0].controlPlane.limits.signaling.joinTimeoutSeconds',
    'regions[0].controlPlane.limits.signaling.maxMessageBytes',
  ])
})

t.test('media KEKs are given like relay secrets, newest first, literally or from the environment', async (t) => {
  const doc = baseDoc()
  doc.regions[0].mediaKeks = [{ id: 'kek-2', value: { env: 'EU_MEDIA_KEK_2' } }, { id: 'kek-1', value: 'an-older-literal-kek-secret' }]
  const region = parseDoc(doc, { ...baseEnv, EU_MEDIA_KEK_2: 'a-newer-kek-secret-from-the-env' }).regionById('eu-central')!
  t.same(region.mediaKeks.map((k) => [k.id, k.value]), [['kek-2', 'a-newer-kek-secret-from-the-env'], ['kek-1', 'an-older-literal-kek-secret']])
})

t.test('a KEK secret under 16 characters is refused without echoing it, literal or from the environment', async (t) => {
  const literal = issuesOf((d) => { d.regions[0].mediaKeks = [{ id: 'k', value: 'short-kek' }] })
  t.same(literal.map((i) => [i.path, i.rule]), [['regions[0].mediaKeks[0].value', 'secret_too_short']])
  t.notMatch(literal[0]!.message, 'short-kek')
  const env = issuesOf((d) => { d.regions[0].mediaKeks = [{ id: 'k', value: { env: 'EU_KEK' } }] }, { ...baseEnv, EU_KEK: 'tiny-kek-env' })
  t.same(env.map((i) => [i.path, i.rule]), [['regions[0].mediaKeks[0].value', 'secret_too_short']])
  t.notMatch(env[0]!.message, 'tiny-kek-env')
})

t.test('two KEKs of one region with one id are refused at the second', async (t) => {
  const issues = issuesOf((d) => { d.regions[0].mediaKeks = [{ id: 'k', value: 'a-long-enough-kek-secret' }, { id: 'k', value: 'another-long-kek-secret' }] })
  t.same(issues.map((i) => [i.path, i.rule]), [['regions[0].mediaKeks[1].id', 'duplicate_id']])
})

t.test('passcode strength and guessing limits, and the token clock skew have defaults and are checked at their paths', async (t) => {
  const cp = parseDoc(baseDoc()).regionById('eu-central')!.controlPlane
  t.same(cp.passcodes, { minLength: 6, windowSeconds: 900, freeFailures: 3, backoffSeconds: 1, maxFailuresPerIdentity: 10, maxFailuresPerMeeting: 100 })
  t.equal(cp.tokenClockSkewSeconds, 60)
  const issues = issuesOf((d) => {
    d.regions[0].controlPlane.passcodes = { minLength: 3, maxFailuresPerIdentity: 0, guesses: 1 }
    d.regions[0].controlPlane.tokenClockSkewSeconds = -1
  })
  t.same(issues.map((i) => i.path).sort(), [
    'regions[0].controlPlane.passcodes.guesses',
    'regions[0].controlPlane.passcodes.maxFailuresPerIdentity',
    'regions[0].controlPlane.passcodes.minLength',
    'regions[0].controlPlane.tokenClockSkewSeconds',
  ])
})

t.test('a control plane\'s metrics listener is an address of its own, checked like every listen address', async (t) => {
  const doc = baseDoc()
  doc.regions[0].controlPlane.metricsListen = '127.0.0.1:9180'
  t.equal(parseDoc(doc).regionById('eu-central')!.controlPlane.metricsListen, '127.0.0.1:9180')
  const clash = issuesOf((d) => {
    d.regions[0].controlPlane.listen = '127.0.0.1:8080'
    d.regions[0].controlPlane.metricsListen = '127.0.0.1:8080'
  })
  t.same(clash.map((i) => [i.path, i.rule]), [['regions[0].controlPlane.metricsListen', 'listen_duplicate']], 'not the API port')
  const bad = issuesOf((d) => { d.regions[0].controlPlane.metricsListen = 'localhost:9180' })
  t.same(bad.map((i) => [i.path, i.rule]), [['regions[0].controlPlane.metricsListen', 'address_invalid']])
})
