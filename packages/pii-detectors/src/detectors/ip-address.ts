import { isIP } from 'node:net';
import { defineDetector, primeRegex, type DetectorSpan } from '@palisade/core';
import { isWordChar, keepFirstOfOverlapping, scanRegex, span } from './scan.js';

/*
 * IPv4 dotted quads and IPv6 in every written form (full, compressed `::`,
 * embedded IPv4, `%zone`). Candidates are cut out by simple scans and then
 * parsed by node:net's `isIP`, so `999.1.1.1`, `1:2:3`, `12:30:45` and MAC
 * addresses are dropped by a real parser, not by a pattern.
 */

const IPV4 = primeRegex(/(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)/g);

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isV6Char = (c: number): boolean => isHex(c) || c === 58 || c === 46; // hex, ':', '.'
const isZoneChar = (c: number): boolean => isWordChar(c) || c === 46 || c === 45 || c === 126;

/** The longest written IPv6 address (with an embedded IPv4) is 45 characters; zones are short. */
const MAX_V6 = 45;
const MAX_ZONE = 32;

const V6_RUN_END = primeRegex(/[^0-9A-Fa-f:.]/g);

/** Where the run of hex digits, colons and dots that reaches `i` ends: a native search, for runs too long to read. */
const v6RunEnd = (text: string, i: number): number => {
  V6_RUN_END.lastIndex = i;
  const stop = V6_RUN_END.exec(text);
  V6_RUN_END.lastIndex = 0;
  return stop === null ? text.length : stop.index;
};

const findIpv4 = (text: string, spans: DetectorSpan[]): void => {
  for (const s of scanRegex(IPV4, text, (m) =>
    isIP(m[0]) === 4 ? span(m.index, m.index + m[0].length, 'ip_address', 0.85) : null,
  ))
    spans.push(s);
};

const findIpv6 = (text: string, spans: DetectorSpan[]): void => {
  let from = 0;
  let colon = text.indexOf(':', from);
  while (colon !== -1) {
    const previousEnd = from;
    let end = colon + 1;
    let colons = 1;
    // Read up to one character past the longest address; a longer run (`::::...`) is finished natively.
    const limit = Math.min(text.length, colon + 2 + MAX_V6);
    for (; end < limit; end++) {
      const c = text.charCodeAt(end);
      if (!isV6Char(c)) break;
      if (c === 58) colons++;
    }
    if (end === limit) {
      end = v6RunEnd(text, end);
      // The rest of the run was not read: a colon in it still counts (it decides where the next candidate may start).
      if (colons < 2) {
        const next = text.indexOf(':', limit);
        if (next !== -1 && next < end) colons = 2;
      }
    }
    from = end;
    // Every IPv6 address has at least two colons (`::` or seven separators); `key: value` has one.
    if (colons < 2) {
      colon = text.indexOf(':', Math.max(from, colon + 1));
      continue;
    }
    // Back to the start of the run only now: most colons (`INFO abcdef: ...`) are ruled out above.
    let start = colon;
    while (start > previousEnd && isV6Char(text.charCodeAt(start - 1))) start--;
    // A label before a lone colon (`ip:2001:db8::1`) or a colon after the address is punctuation.
    if (text.charCodeAt(start) === 58 && text.charCodeAt(start + 1) !== 58) start++;
    if (end - start > 1 && text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) !== 58) end--;
    // Glued to a word on either side (`std::vector`, `T10:22:33`): not an address.
    const gluedLeft = start > 0 && text.charCodeAt(start - 1) !== 58 && isWordChar(text.charCodeAt(start - 1));
    let valueEnd = end;
    while (valueEnd > start && text.charCodeAt(valueEnd - 1) === 46) valueEnd--; // sentence full stop
    let zoneEnd = valueEnd;
    if (valueEnd === end && text.charCodeAt(end) === 37) {
      zoneEnd = end + 1;
      while (zoneEnd < text.length && zoneEnd - end <= MAX_ZONE && isZoneChar(text.charCodeAt(zoneEnd))) zoneEnd++;
      while (zoneEnd > end + 1 && text.charCodeAt(zoneEnd - 1) === 46) zoneEnd--; // sentence full stop
      if (zoneEnd === end + 1) zoneEnd = valueEnd;
      from = zoneEnd;
    }
    const gluedRight = zoneEnd < text.length && isWordChar(text.charCodeAt(zoneEnd));
    if (!gluedLeft && !gluedRight && valueEnd - start <= MAX_V6) {
      const value = text.slice(start, valueEnd);
      if (/[0-9a-fA-F]/.test(value) && isIP(text.slice(start, zoneEnd)) === 6) {
        spans.push(span(start, zoneEnd, 'ip_address', 0.85));
      }
    }
    colon = text.indexOf(':', Math.max(from, colon + 1));
  }
};

export const findIpAddresses = (text: string): DetectorSpan[] => {
  const spans: DetectorSpan[] = [];
  if (text.includes('.')) findIpv4(text, spans);
  if (text.includes(':')) findIpv6(text, spans);
  // IPv4 embedded in an IPv6 address was found twice: keep the IPv6 span.
  return keepFirstOfOverlapping(spans);
};

export const ipAddress = defineDetector({
  id: 'ip_address',
  hints: ['.', ':'],
  find: findIpAddresses,
});
