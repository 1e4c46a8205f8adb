/**
 * How `sovereign demo` tells its story in a terminal (pure; no I/O): one ✔/✘ line per
 * step with what was observed and the reason codes, then the residency report summary
 * and where to look next.
 */
import type { DemoResult, DemoStep } from './run-demo.js'

export function formatStep(step: DemoStep): string {
  const lines = [`${step.ok ? '✔' : '✘'} ${step.title}${step.ms > 0 ? `  (${step.ms} ms)` : ''}`]
  const codes = step.codes.length > 0 ? `   [${step.codes.join(', ')}]` : ''
  lines.push(`    ${step.observed}${codes}`)
  if (!step.ok) lines.push(`    expected: ${step.expected}`)
  for (const d of step.details) lines.push(`    ${d}`)
  return lines.join('\n')
}

export function formatSummary(result: DemoResult): string {
  const lines: string[] = []
  const { meeting, report } = result
  if (meeting && report) {
    lines.push('', `Residency report of ${meeting.id}`)
    lines.push(`  compliant: ${report.compliant ? 'yes' : 'NO'} (${report.violations} violation${report.violations === 1 ? '' : 's'}); ${report.entries} audited decisions: ${report.allowed} allowed, ${report.refused} refused`)
    lines.push(`  admitted:  ${report.admittedParticipants} participant${report.admittedParticipants === 1 ? '' : 's'} — ${report.byCountry.map((c) => `${c.country} ${c.participants}`).join(', ') || 'none'}`)
    lines.push(`  media:     ${report.mediaRegions.join(', ') || 'none'} (relays ${report.relays.join(', ') || 'none'}), allowed set [${meeting.allowedRegions.join(', ')}]`)
    lines.push(`  signaling: ${report.signalingRegions.join(', ') || 'none'} (nodes ${report.signalingNodes.join(', ') || 'none'})`)
    lines.push(`  refusals:  ${report.refusalsByReason.map((r) => `${r.reason} ×${r.count}`).join(', ') || 'none'}`)
    for (const r of report.refusals) lines.push(`    · ${r.kind.padEnd(10)} by ${r.actor.padEnd(18)} ${r.reason}${r.countries.length > 0 ? ` (${r.countries.join(', ')})` : ''}`)
  }
  if (meeting) {
    lines.push('')
    lines.push(result.ended
      ? `Meeting ${meeting.id} ended: every credential revoked, every socket closed.`
      : `Meeting ${meeting.id} is left running (end it: POST ${result.controlPlaneUrl}/v1/meetings/${meeting.id}/end, or run the demo with --end).`)
    lines.push(`  dashboard: ${result.controlPlaneUrl}/dashboard`)
    lines.push(`  report:    curl -s ${result.controlPlaneUrl}/v1/meetings/${meeting.id}/residency-report -H "authorization: Bearer $KEY"`)
  }
  const failed = result.steps.filter((s) => !s.ok)
  lines.push('', failed.length === 0
    ? `All ${result.steps.length} expected outcomes happened.`
    : `${failed.length} of ${result.steps.length} expected outcomes did NOT happen: ${failed.map((s) => s.id).join(', ')}`)
  return lines.join('\n')
}
