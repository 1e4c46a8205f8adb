/**
 * The one coded-error base. Every error the project raises on purpose carries a stable
 * `code` from its layer's closed union (GeoErrorCode, ConfigErrorCode, StateErrorCode,
 * RelayErrorCode, …), so callers, the CLI and tests tell errors apart without reading
 * messages, and each boundary (STUN error responses, HTTP statuses, the CLI's one line)
 * maps codes in one place.
 *
 * It lives in geo/ because geo is the layer every other one (config, state, relay,
 * control plane, deploy, cli) already imports and that imports none of them at run time,
 * so the base adds no cycle.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options)
    // The subclass's own name (RelayError, StateUnavailableError, …) in stacks and logs.
    this.name = new.target.name
    this.code = code
  }
}

export function isCodedError(error: unknown): error is CodedError {
  return error instanceof CodedError
}
