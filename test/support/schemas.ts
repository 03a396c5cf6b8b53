import Ajv from 'ajv';
import { readFileSync } from 'node:fs';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8'));

// allErrors so a failing test names every mismatch, not just the first.
const ajv = new Ajv.default({ allErrors: true, strict: true });
export const validateCheck = ajv.compile(load('check.schema.json'));
export const validateLimits = ajv.compile(load('limits.schema.json'));
export const validateSysvCheck = ajv.compile(load('check-sysv.schema.json'));
export const validateVerify = ajv.compile(load('verify.schema.json'));
export const validateExplain = ajv.compile(load('explain.schema.json'));

export function schemaErrors(validate: typeof validateCheck, doc: unknown): string {
  return validate(doc) ? '' : ajv.errorsText(validate.errors, { separator: '\n' });
}
