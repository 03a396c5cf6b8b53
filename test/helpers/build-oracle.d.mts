/** Path of the compiled mq_oracle, or null when gcc is missing. A compile error rejects. */
export function buildOracle(): Promise<string | null>;
