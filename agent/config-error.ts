// The agent's configuration errors (flags, token file, web config): one line and exit 2 at start, never a stack trace.
export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
