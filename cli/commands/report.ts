import { chmodSync, readFileSync, writeFileSync } from 'node:fs'

import type { Command } from 'commander'

import { generateReportKeyPair, verifyReport } from '../../control-plane/report/report-signature.js'

export interface ReportIo {
  readonly out: { write(text: string): unknown }
  readonly err: { write(text: string): unknown }
  setExitCode(code: number): void
}

const processIo: ReportIo = { out: process.stdout, err: process.stderr, setExitCode: (code) => { process.exitCode = code } }

/** `sovereign report`: offline verification of residency reports and report key generation. */
export function registerReport(program: Command, io: ReportIo = processIo): void {
  const report = program.command('report').description('residency reports')

  report
    .command('verify <report.json>')
    .description('verify a signed residency report offline; exits 1 if it was altered or signed by another key')
    .requiredOption('--public-key <pem>', 'the region\'s Ed25519 report public key (PEM file)')
    .action((file: string, flags: { publicKey: string }) => {
      const result = verifyReport(readFileSync(file, 'utf8'), readFileSync(flags.publicKey, 'utf8'))
      if (!result.ok) {
        io.err.write(`INVALID residency report ${file}: ${result.code}: ${result.message}\n`)
        io.setExitCode(1)
        return
      }
      const r = result.report
      io.out.write([
        `valid residency report, signed by key ${result.keyId}`,
        `meeting ${r.meeting.id} (tenant ${r.meeting.tenant}), home region ${r.meeting.homeRegion}, allowed ${r.meeting.allowedRegions.join(', ')}`,
        `period ${r.period.from ?? '?'} .. ${r.period.to ?? '?'}, ${r.summary.entries} audit entries`,
        `media regions: ${r.media.regions.join(', ') || 'none'}; signaling regions: ${r.signaling.regions.join(', ') || 'none'}; key regions: ${r.keys.regions.join(', ') || 'none'}`,
        `admitted ${r.summary.admittedParticipants}, refused ${r.refusals.total}, redirects ${r.redirects.total}`,
        r.summary.compliant ? 'no recorded decision left the allowed regions' : `${r.summary.violations} VIOLATION(S) recorded: see "violations"`,
        '',
      ].join('\n'))
    })

  report
    .command('keygen')
    .description('generate an Ed25519 report key pair (PKCS#8 private key, SPKI public key)')
    .option('--out <prefix>', 'write <prefix>.key (mode 600) and <prefix>.pub instead of printing')
    .action((flags: { out?: string }) => {
      const pair = generateReportKeyPair()
      if (flags.out === undefined) {
        io.out.write(`${pair.privateKeyPem}${pair.publicKeyPem}keyId ${pair.keyId}\n`)
        return
      }
      writeFileSync(`${flags.out}.key`, pair.privateKeyPem, { mode: 0o600 })
      chmodSync(`${flags.out}.key`, 0o600)
      writeFileSync(`${flags.out}.pub`, pair.publicKeyPem)
      io.out.write(`wrote ${flags.out}.key and ${flags.out}.pub, keyId ${pair.keyId}\n`)
    })
}
