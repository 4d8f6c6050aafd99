import { describe, expect, it } from 'vitest';
import { hostCheck, isLoopback } from './host-check.js';

describe('hostCheck', () => {
  it('answers loopback names on any port, as a forwarded port arrives', () => {
    const allowed = hostCheck('127.0.0.1', 4600, []);
    for (const host of [
      '127.0.0.1:4600',
      'localhost:8080',
      'LOCALHOST:1',
      '127.1.2.3:80',
      '[::1]:9000',
      'localhost',
    ]) {
      expect(allowed(host), host).toBe(true);
    }
  });

  it('refuses other names, a missing header and look-alikes of loopback names', () => {
    const allowed = hostCheck('127.0.0.1', 4600, []);
    for (const host of [
      undefined,
      '',
      'attacker.example:4600',
      '127.0.0.1.attacker.example:4600',
      'localhost.attacker.example',
    ]) {
      expect(allowed(host), String(host)).toBe(false);
    }
  });

  it('answers the listen address on its port, and allowed names on any port or the one given', () => {
    const allowed = hostCheck('192.168.1.20', 4600, ['box.example', 'fwd.example:9000', '[fd00::1]']);
    expect(allowed('192.168.1.20:4600')).toBe(true);
    expect(allowed('192.168.1.20:4601')).toBe(false);
    expect(allowed('box.example')).toBe(true);
    expect(allowed('Box.Example:443')).toBe(true);
    expect(allowed('fwd.example:9000')).toBe(true);
    expect(allowed('fwd.example')).toBe(false);
    expect(allowed('fwd.example:9001')).toBe(false);
    expect(allowed('[fd00::1]:4600')).toBe(true);
    expect(allowed('other.example:4600')).toBe(false);
  });

  it('tells loopback addresses from others', () => {
    expect(['localhost', '127.0.0.1', '127.9.9.9', '::1'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '192.168.1.20', 'example.com'].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
