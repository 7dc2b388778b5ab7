import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runDemo } from './demo.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

it('shows each tenant only its own events, twice in a row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-demo-'));
  dirs.push(dir);
  for (let run = 0; run < 2; run++) {
    const lines: string[] = [];
    await runDemo(join(dir, 'db', 'palisade.db'), (l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toContain('acme   reads order-1: OrderPlaced {"item":"anvil","quantity":2}, OrderPaid');
    expect(text).toContain('globex reads order-1: OrderPlaced {"item":"hammock","quantity":1}');
    expect(text).not.toMatch(/globex reads order-1:.*anvil/);
    expect(text).toContain('globex log: #1 order-1@0 OrderPlaced');
    expect(text).toContain('PALISADE_WRONG_EXPECTED_VERSION');
    expect(text).toContain('acme   subscription saw: OrderPlaced@1, OrderPaid@2');
    expect(text).toContain('"name":"**** *. ******"');
    expect(text).toContain('"email":"w***@acme.example"');
    expect(text).toContain('**** **** **** 4242');
    expect(text).not.toContain('wile@acme.example');
    expect(text).not.toContain('4242 4242 4242 4242');
    expect(text).toContain('PALISADE_POLICY_BLOCKED (blocked by data policy: aws_access_key at $[0].data.note)');
    expect(text).toContain('acme   stream deploy-1 exists after the refusal: false');
    expect(text).toMatch(/acme {3}audit log: \d+ entries, [1-9]\d* signed checkpoints, verified: true/);
    expect(text).toMatch(/rewritten as a success: verified: false \(\w+\)/);
  }
});
