// The exposition of one probe, rendered once and served as the same bytes to
// every scrape until the next probe: a scrape then costs the socket and no
// allocation, however many scrapers there are and however many queues.
import { gzip } from 'node:zlib';

export interface Exposition {
  contentType: string;
  body: Buffer;
  /** Strong validator of the identity body; the gzip body's is etag with "-gz". */
  etag: string;
  lastModified: string;
  /** The gzip body, compressed once, on the first scrape that accepts it. */
  gzipped(): Promise<Buffer>;
}

let serial = 0;
// Unique across restarts too, so a cache never pairs a new daemon's body with an old one's ETag.
const boot = Date.now().toString(36);

export function exposition(contentType: string, text: string, at: Date): Exposition {
  const body = Buffer.from(text);
  let compressed: Promise<Buffer> | undefined;
  return {
    contentType,
    body,
    etag: `"${boot}-${++serial}"`,
    lastModified: at.toUTCString(),
    gzipped: () => (compressed ??= new Promise((resolve, reject) => gzip(body, (err, out) => (err ? reject(err) : resolve(out))))),
  };
}

/** Whether an Accept-Encoding header takes gzip: named (or *) without q=0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (coding === 'gzip' || coding === 'x-gzip') return weight > 0;
    if (coding === '*') star = weight > 0;
  }
  return star;
}

/** If-None-Match against an ETag: "*", or the tag in its list (weak comparison, RFC 9110 13.1.2). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
