/** A small network for policy tests: regions in and around the EU/EEA, and elsewhere. */
import { Jurisdictions } from '../../../geo/jurisdictions.js'
import { Regions, type RegionInput } from '../../../geo/regions.js'

const region = (id: string, country: string, lat: number, lon: number): RegionInput => ({
  id,
  country,
  location: { lat, lon },
  controlPlane: { url: `http://127.0.0.1/${id}` },
  redis: { memory: true },
})

export const REGION_INPUTS: RegionInput[] = [
  region('eu-central', 'DE', 50.11, 8.68), // Frankfurt
  region('eu-west', 'FR', 48.86, 2.35), // Paris
  region('eu-south', 'IT', 45.46, 9.19), // Milan
  region('eea-north', 'NO', 59.91, 10.75), // Oslo
  region('ch-zurich', 'CH', 47.37, 8.54), // Zurich: not EU, not EEA
  region('uk-london', 'GB', 51.51, -0.13),
  region('us-east', 'US', 38.9, -77.04),
  region('in-west', 'IN', 19.08, 72.88), // Mumbai
  region('in-south', 'IN', 13.08, 80.27), // Chennai
]

export const jurisdictions = Jurisdictions.fromConfig([
  { id: 'DACH', name: 'Germany, Austria, Switzerland', countries: ['DE', 'AT', 'CH'] },
  { id: 'Five-Eyes', countries: ['US', 'GB', 'CA', 'AU', 'NZ'] },
])

export const regions = Regions.fromConfig(REGION_INPUTS, jurisdictions)
