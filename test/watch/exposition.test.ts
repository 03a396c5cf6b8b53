import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, exposition, matchesEtag } from '../../src/watch/exposition.js';
import { columnsFromDir } from '../../src/probe/queue-columns.js';
import { MQ_DIR_FIELDS } from '../../src/probe/native.js';

describe('Accept-Encoding', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    // What Prometheus sends.
    ['gzip', true],
    ['identity', false],
    ['deflate, gzip;q=0.5', true],
    ['gzip;q=0', false],
    ['gzip; q=0.0', false],
    ['*', true],
    ['*;q=0', false],
    ['GZIP', true],
    ['x-gzip', true],
    ['br, *;q=0.1', true],
  ])('%j → %s', (header, expected) => expect(acceptsGzip(header)).toBe(expected));
});

describe('If-None-Match', () => {
  it.each([
    [undefined, false],
    ['"a-1"', true],
    ['W/"a-1"', true],
    ['"a-2", "a-1"', true],
    ['"a-2"', false],
    ['*', true],
    ['"a-1-gz"', false],
  ])('%j against "a-1" → %s', (header, expected) => expect(matchesEtag(header, '"a-1"')).toBe(expected));
});

describe('one exposition per probe', () => {
  it('compresses once, and each rendering has its own validator', async () => {
    const a = exposition('text/plain', 'm 1\n', new Date(0));
    const b = exposition('text/plain', 'm 1\n', new Date(0));
    expect(a.etag).not.toBe(b.etag);
    expect(a.lastModified).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    const gz = a.gzipped();
    expect(a.gzipped()).toBe(gz);
    expect(gunzipSync(await gz).toString()).toBe('m 1\n');
  });
});

describe('queue columns from the addon', () => {
  const W = MQ_DIR_FIELDS.length;
  const row = (uid: number, maxmsg: number, curmsgs: number) => {
    const r = new Array<number>(W).fill(Number.NaN);
    r[MQ_DIR_FIELDS.indexOf('uid')] = uid;
    r[MQ_DIR_FIELDS.indexOf('maxmsg')] = maxmsg;
    r[MQ_DIR_FIELDS.indexOf('msgsize')] = 8;
    r[MQ_DIR_FIELDS.indexOf('curmsgs')] = curmsgs;
    r[MQ_DIR_FIELDS.indexOf('qsize')] = curmsgs * 8;
    return r;
  };
  it('leaves out a queue unlinked while it was read, and counts one it could not open', () => {
    const fields = new Float64Array([...row(7, 10, 1), ...row(8, 5, 0), ...row(9, Number.NaN, Number.NaN), ...new Array<number>(W).fill(Number.NaN)]);
    const c = columnsFromDir('/dev/mqueue', { count: 4, width: W, names: 'a\0gone\0locked\0vanished', fields, errors: [[1, 'ENOENT'], [2, 'EACCES'], [3, 'ENOENT']] });
    expect(c.names).toEqual(['a', 'locked']);
    expect([...c.uid]).toEqual([7, 9]);
    expect([...c.maxmsg]).toEqual([10, Number.NaN]);
    expect([...c.qsize]).toEqual([8, Number.NaN]);
    expect(c.unreadable).toBe(1);
    expect(c.count).toBe(2);
  });
});
