// Building blocks shared by the message tables.

/** A literal phrase as a RegExp source: word boundaries where the phrase starts or ends with a word character. */
export function phrase(text: string): string {
  const body = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `${/^\w/.test(text) ? '\\b' : ''}${body}${/\w$/.test(text) ? '\\b' : ''}`;
}

/** A slug for entry ids. */
export const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
