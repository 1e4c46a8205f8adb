/**
 * The region's report signing key: the Ed25519 PKCS#8 PEM in `regions[].reportKey`, or,
 * when the config has none, an ephemeral key generated at start with a warning (reports
 * then verify only against the public key this process publishes, until it restarts).
 * Another region's public key is derived from the config when it is there.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto'

import type { NetworkConfig } from '../../config/network-config.js'
import { generateReportKeyPair, reportKeyId, signReport, type SignedResidencyReport } from '../report/report-signature.js'
import type { ResidencyReport } from '../report/residency-report.js'

export interface ReportKeyInfo {
  readonly region: string
  readonly publicKeyPem: string
  readonly keyId: string
  readonly ephemeral: boolean
}

export interface ReportSigner {
  /** This region's public key. */
  key(): ReportKeyInfo
  /** Any region's public key known from the config (this region's always); undefined otherwise. */
  keyOf(region: string): ReportKeyInfo | undefined
  sign(report: ResidencyReport): SignedResidencyReport
}

function publicOf(privatePem: string): { publicKeyPem: string; keyId: string } {
  const pub = createPublicKey(createPrivateKey(privatePem))
  return { publicKeyPem: pub.export({ format: 'pem', type: 'spki' }).toString(), keyId: reportKeyId(pub) }
}

export function createReportSigner(region: string, config: () => NetworkConfig, warn: (message: string) => void): ReportSigner {
  let ephemeral: { privateKeyPem: string; publicKeyPem: string; keyId: string } | undefined
  const cache = new Map<string, { publicKeyPem: string; keyId: string }>()
  const derive = (pem: string) => {
    let hit = cache.get(pem)
    if (!hit) cache.set(pem, (hit = publicOf(pem)))
    return hit
  }
  const privateKey = (): { pem: string; ephemeral: boolean } => {
    const configured = config().regionById(region)?.reportKey
    if (configured !== undefined) return { pem: configured, ephemeral: false }
    if (!ephemeral) {
      ephemeral = generateReportKeyPair()
      warn(`region ${region} has no reportKey in the config: residency reports are signed with an ephemeral key (${ephemeral.keyId}) that changes on restart`)
    }
    return { pem: ephemeral.privateKeyPem, ephemeral: true }
  }
  const key = (): ReportKeyInfo => {
    const { pem, ephemeral: isEphemeral } = privateKey()
    return { region, ...derive(pem), ephemeral: isEphemeral }
  }
  return {
    key,
    keyOf(other) {
      if (other === region) return key()
      const pem = config().regionById(other)?.reportKey
      return pem === undefined ? undefined : { region: other, ...derive(pem), ephemeral: false }
    },
    sign: (report) => signReport(report, privateKey().pem),
  }
}
