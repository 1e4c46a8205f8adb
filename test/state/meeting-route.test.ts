import t from 'tap'

import { newMeetingId } from '../../state/meeting-id.js'
import { routeMeeting } from '../../state/meeting-route.js'

const self = { region: 'eu-central', knowsRegion: (r: string) => ['eu-central', 'us-east'].includes(r) }

t.test('a meeting id routes to one answer per case: home, redirect, unknown region, malformed', async (t) => {
  const cases: Array<[why: string, id: string, route: string, region?: string]> = [
    ['a meeting of this region is served here', newMeetingId('eu-central'), 'home', 'eu-central'],
    ['a meeting of another region of the network is redirected there', newMeetingId('us-east'), 'redirect', 'us-east'],
    ['a well-formed id naming a region the network does not have is no meeting', newMeetingId('mars-1'), 'unknown-region', 'mars-1'],
    ['a string that is no meeting id is malformed', 'eu-central', 'malformed'],
    ['an id with a short random part is malformed', 'eu-central.0123', 'malformed'],
    ['an id with upper-case letters is malformed', 'EU-central.0123456789abcdefghjkmnpqrs', 'malformed'],
    ['an empty string is malformed', '', 'malformed'],
  ]
  for (const [why, id, route, region] of cases) {
    t.same(routeMeeting(id, self), region === undefined ? { route } : { route, region }, why)
  }
})

t.test('which regions exist is asked at each call, so a reloaded config is seen at once', async (t) => {
  const known = new Set(['eu-central'])
  const id = newMeetingId('ap-south')
  const live = { region: 'eu-central', knowsRegion: (r: string) => known.has(r) }
  t.equal(routeMeeting(id, live).route, 'unknown-region')
  known.add('ap-south')
  t.equal(routeMeeting(id, live).route, 'redirect')
})
