// The image's HEALTHCHECK: GET $SOVEREIGN_HEALTH_URL (a control plane's or a relay's
// /healthz), healthy on 2xx. Plain Node, no curl in the image.
const url = process.env.SOVEREIGN_HEALTH_URL ?? 'http://127.0.0.1:8080/healthz'
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) })
  if (!res.ok) {
    console.error(`${url}: ${res.status}`)
    process.exit(1)
  }
} catch (err) {
  console.error(`${url}: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
