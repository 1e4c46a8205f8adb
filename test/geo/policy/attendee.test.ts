import t from 'tap'
import { GeoLocator } from '../../../geo/lookup.js'
import { admitAttendee, type AttendeePolicyInput } from '../../../geo/policy/attendee.js'

// Loopback ranges stand for countries, as in the local network; no database, so
// everything else is reserved or unknown.
const geo = new GeoLocator({
  database: null,
  overrides: [
    { cidr: '127.1.0.0/16', country: 'DE' },
    { cidr: '127.2.0.0/16', country: 'NO' },
    { cidr: '127.3.0.0/16', country: 'CN' },
    { cidr: '127.4.0.0/16', country: 'US' },
    { cidr: 'fd00:1::/32', country: 'FR' },
  ],
})

const EU_ONLY: AttendeePolicyInput = { mode: 'allow', countries: ['DE', 'FR'], unknown: 'allow' }
const NO_CN: AttendeePolicyInput = { mode: 'block', countries: ['CN'], unknown: 'deny' }
const NO_CN_UNKNOWN_OK: AttendeePolicyInput = { mode: 'block', countries: ['CN'], unknown: 'allow' }
const OPEN: AttendeePolicyInput = { mode: 'open', countries: [], unknown: 'deny' }

t.test('attendees are admitted or refused by country, and unplaced addresses fail closed under an allow-list', async (t) => {
  const cases: Array<[string, AttendeePolicyInput | undefined, string, boolean, string]> = [
    ['no policy admits anyone', undefined, '127.3.0.1', true, 'no_residency_policy'],
    ['an open policy admits anyone', OPEN, '127.3.0.1', true, 'attendee_policy_open'],
    ['an open policy admits an unplaced address', OPEN, '127.0.0.1', true, 'attendee_policy_open'],
    ['an allow-list admits a listed country', EU_ONLY, '127.1.0.1', true, 'country_allowed'],
    ['an allow-list admits a listed country over IPv6', EU_ONLY, 'fd00:1::9', true, 'country_allowed'],
    ['an allow-list admits a listed country over IPv4-mapped IPv6', EU_ONLY, '::ffff:127.1.0.1', true, 'country_allowed'],
    ['an allow-list refuses an unlisted country', EU_ONLY, '127.4.0.1', false, 'country_not_in_allow_list'],
    ['an allow-list refuses an EEA country it does not list', EU_ONLY, '127.2.0.1', false, 'country_not_in_allow_list'],
    ['an allow-list refuses a reserved address even when unknown is allowed', EU_ONLY, '10.0.0.1', false, 'country_unknown'],
    ['an allow-list refuses an address no database places', EU_ONLY, '8.8.8.8', false, 'country_unknown'],
    ['an allow-list refuses garbage', EU_ONLY, 'not-an-ip', false, 'country_unknown'],
    ['a block-list refuses a listed country', NO_CN, '127.3.0.1', false, 'country_blocked'],
    ['a block-list refuses a listed country over IPv4-mapped IPv6', NO_CN, '::ffff:127.3.9.9', false, 'country_blocked'],
    ['a block-list admits an unlisted country', NO_CN, '127.1.0.1', true, 'country_not_blocked'],
    ['a block-list refuses an unplaced address when unknown is denied', NO_CN, '192.168.0.1', false, 'country_unknown'],
    ['a block-list admits an unplaced address when unknown is allowed', NO_CN_UNKNOWN_OK, '192.168.0.1', true, 'unknown_country_allowed'],
  ]
  for (const [why, policy, ip, allow, reason] of cases) {
    t.match(admitAttendee(policy, ip, geo), { allow, reason }, `${why} (${ip} → ${reason})`)
  }
})

t.test('the verdict says where the attendee was placed and by what', async (t) => {
  t.equal(admitAttendee(NO_CN, '127.3.0.1', geo).detail, 'CN (override)')
  t.equal(admitAttendee(EU_ONLY, '10.0.0.1', geo).detail, 'unknown (reserved)')
})

t.test('an unknown policy mode is refused', async (t) => {
  t.match(admitAttendee({ mode: 'maybe' } as unknown as AttendeePolicyInput, '127.1.0.1', geo), { allow: false, reason: 'policy_unavailable' })
})
