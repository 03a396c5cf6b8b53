import { describe, expect, it } from 'vitest';
import { applyArgs, checkArgs, fastParse, parseLong } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/exit-codes.js';

const check = (...argv: string[]) => checkArgs(fastParse('check', argv));

describe('check arguments', () => {
  it('defaults to O_CREAT, a new name, attr NULL, one queue', () => {
    expect(check().request).toEqual({ name: null, create: true, exclusive: false, access: 'rdwr', mode: 0o600, attr: null, count: 1 });
  });
  it('accepts any C long for the attrs, negatives and zero included', () => {
    expect(check('--maxmsg', '-5', '--msgsize', '0').request.attr).toEqual({ maxmsg: -5, msgsize: 0 });
    expect(check('--maxmsg=9223372036854775807', '--msgsize', '1').request.attr!.maxmsg).toBeGreaterThan(2 ** 62);
    expect(parseLong('maxmsg', '-9223372036854775808')).toBe(-(2 ** 63));
  });
  it.each([
    [['--maxmsg', '9223372036854775808', '--msgsize', '1'], /outside the range of a C long/],
    [['--maxmsg', '1e3', '--msgsize', '1'], /must be an integer/],
    [['--maxmsg', '0x10', '--msgsize', '1'], /must be an integer/],
    [['--maxmsg', '10'], /both --maxmsg and --msgsize/],
    [['--name', ''], /must not be empty/],
    [['--count', '0'], /--count must be a whole number/],
    [['--name', '/a', '--count', '2'], /cannot be combined/],
    [['--no-create', '--exclusive'], /only has a meaning with O_CREAT/],
    [['--pid', 'abc'], /--pid must be a whole number/],
    [['--mode', '999'], /octal/],
    [['--access', 'all'], /rdonly, wronly or rdwr/],
    [['--live', '--pid', '1'], /cannot be combined with --pid/],
    [['--live', '--name', '/orders'], /cannot test --name/],
    [['--live', '--no-create'], /cannot test --no-create/],
    [['--live', '--access', 'rdonly'], /cannot test --access/],
    [['--bogus'], /unknown option '--bogus'/i],
    [['stray'], /unexpected argument "stray"/],
  ])('rejects %j', (argv, message) => {
    expect(() => check(...argv)).toThrow(UsageError);
    expect(() => check(...argv)).toThrow(message);
  });
  it('reads flags', () => {
    const a = check('--name', '/orders', '--exclusive', '--access', 'wronly', '--mode', '0644', '--json', '--pid', '77');
    expect(a).toMatchObject({ pid: 77, json: true, request: { name: '/orders', exclusive: true, access: 'wronly', mode: 0o644 } });
  });
});

describe('apply arguments', () => {
  it('normalises --root, so "//" and "/." are the real root with live writes', () => {
    for (const root of ['//', '/.', '/']) expect(applyArgs({ profile: 'p.json', root })).toMatchObject({ root: '/', live: true });
    expect(applyArgs({ profile: 'p.json', root: '/img/./x/' })).toMatchObject({ root: '/img/x', live: false });
  });
});
