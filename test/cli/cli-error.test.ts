import t from 'tap'

import { CliError } from '../../cli/cli-error.js'
import { describeFailure } from '../../cli/failure.js'

t.test('a refused command prints its message and its code on one line', async (t) => {
  t.equal(describeFailure(new CliError('ERR_CLI_ENV_MISSING', 'environment variable ACME_SECRET is not set'), false), 'sovereign: environment variable ACME_SECRET is not set [ERR_CLI_ENV_MISSING]')
})
