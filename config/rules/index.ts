/** The cross-field rules, in the order their errors are listed. */
import type { RawIssue } from '../check-schema.js'
import { addressRules } from './address-rules.js'
import { countryRules } from './country-rules.js'
import { identityRules } from './identity-rules.js'
import { keyRules } from './key-rules.js'
import type { RuleContext } from './rule-context.js'
import { tenantRules } from './tenant-rules.js'

const RULES = [identityRules, countryRules, tenantRules, addressRules, keyRules]

export function checkRules(context: RuleContext): RawIssue[] {
  return RULES.flatMap((rule) => rule(context))
}
