import { generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import {
  bypassAuditStream,
  createAuditor,
  dataPolicyFrom,
  exportAuditLog,
  jsonlLine,
  loadPublicKey,
  loadSigner,
  verifyJsonl,
} from '@palisade/audit';
import { asPromises, createRuntime, parseTenantId, PalisadeFailure, unwrap, type TenantId } from '@palisade/core';
import { createRedactionPipeline } from '@palisade/redaction';
import { storagePlugin as sqlite } from '@palisade/storage-sqlite';

const must = <A>(result: E.Either<{ message: string } | string, A>): A => {
  if (E.isLeft(result)) throw new Error(typeof result.left === 'string' ? result.left : result.left.message);
  return result.right;
};

const tenant = (raw: string): TenantId => {
  const id = parseTenantId(raw);
  if (E.isLeft(id)) throw new Error(id.left.message);
  return id.right;
};

/**
 * Two customers share one store. Both write to a stream called `order-1`; each
 * reads back only its own. Returns the lines it printed, so a test can check them.
 */
export const runDemo = async (databasePath: string, print: (line: string) => void = console.log): Promise<void> => {
  // A fresh database each run; only the demo's own file and its SQLite side files are removed.
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${databasePath}${suffix}`, { force: true });
  const config = {
    storage: { kind: 'sqlite', path: databasePath },
    // What palisade.config.yaml would say: mask personal data, refuse cloud credentials outright.
    data_policy: {
      pii_fields: ['$.customer.name'],
      actions: { aws_access_key: 'block', aws_secret_key: 'block' },
    },
    redaction: { mode: 'pool', workers: 2 },
  };
  const redaction = await unwrap(createRedactionPipeline(config, { baseDir: process.cwd() }));
  // The audit log: every append and policy decision, hash-chained, checkpoints signed with Ed25519.
  // In production the private key comes from a secret backend (`audit.signing.key: ${secret:...}`).
  const keys = generateKeyPairSync('ed25519');
  const privatePem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const signer = must(loadSigner('demo-key', privatePem));
  const auditor = createAuditor({ signer, dataPolicy: must(dataPolicyFrom({})), checkpointEvery: 4 });
  const runtime = await unwrap(
    createRuntime(config, {
      storagePlugins: [sqlite],
      // Audit entries are written already redacted; redaction skips the $audit stream itself.
      pipeline: bypassAuditStream(redaction),
      observer: auditor,
    }),
  );
  try {
    const acme = asPromises(runtime.forTenant(tenant('acme')));
    const globex = asPromises(runtime.forTenant(tenant('globex')));

    print(`Palisade demo: one SQLite store at ${databasePath}, two tenants.\n`);

    const live: string[] = [];
    const subscription = acme.subscribe({
      subscriber: 'demo-projector',
      // The tenant log also holds its system streams ($audit): this projector wants business events only.
      handler: (e) => void (e.stream.startsWith('$') ? undefined : live.push(`${e.type}@${e.position}`)),
    });

    await acme.appendToStream(
      'order-1',
      [
        { type: 'OrderPlaced', data: { item: 'anvil', quantity: 2 }, metadata: { actor: 'user:wile' } },
        { type: 'OrderPaid', data: { amount: 199.9, currency: 'USD' } },
      ],
      { expected: 'no_stream' },
    );
    await globex.appendToStream('order-1', [{ type: 'OrderPlaced', data: { item: 'hammock', quantity: 1 } }], {
      expected: 'no_stream',
    });
    print('acme   appended OrderPlaced, OrderPaid to order-1');
    print('globex appended OrderPlaced to order-1 (same stream id, a different stream)\n');

    for (const [name, scope] of [
      ['acme', acme],
      ['globex', globex],
    ] as const) {
      const events = await scope.readStream('order-1');
      print(`${name.padEnd(6)} reads order-1: ${events.map((e) => `${e.type} ${JSON.stringify(e.data)}`).join(', ')}`);
      const log = await scope.readLog();
      print(
        `${name.padEnd(6)} log: ${log.events.map((e) => `#${e.position} ${e.stream}@${e.version} ${e.type}`).join(', ')}`,
      );
    }

    try {
      await acme.appendToStream('order-1', [{ type: 'OrderShipped', data: {} }], { expected: 0 });
    } catch (e) {
      if (!(e instanceof PalisadeFailure)) throw e;
      print(`\nacme   stale write refused: ${e.code} (${e.message})`);
    }

    await acme.appendToStream('ticket-7', [
      {
        type: 'TicketOpened',
        data: {
          customer: { name: 'Wile E. Coyote', email: 'wile@acme.example' },
          message: 'Please charge card 4242 4242 4242 4242 again',
        },
      },
    ]);
    const [ticket] = await acme.readStream('ticket-7');
    print(`\nacme   stored a ticket with personal data, redacted by the data policy (in a worker pool):`);
    print(`       ${JSON.stringify(ticket?.data)}`);
    const report = ticket?.metadata['palisade_redaction'] as
      { findings: { detector: string; path: string }[] } | undefined;
    print(`       report: ${report?.findings.map((f) => `${f.detector} at ${f.path}`).join(', ') ?? 'none'}`);
    try {
      await acme.appendToStream('deploy-1', [{ type: 'ConfigShared', data: { note: 'key AKIAIOSFODNN7EXAMPLE' } }]);
    } catch (e) {
      if (!(e instanceof PalisadeFailure)) throw e;
      print(`acme   append with a cloud key refused: ${e.code} (${e.message})`);
    }
    print(`acme   stream deploy-1 exists after the refusal: ${String(await acme.streamExists('deploy-1'))}`);

    const badTenant = parseTenantId('Globex; DROP TABLE');
    print(
      `a malformed tenant id is refused before any query: ${E.isLeft(badTenant) ? badTenant.left.code : 'accepted?!'}`,
    );

    await new Promise((r) => setTimeout(r, 300));
    subscription.stop().catch(() => undefined);
    print(`acme   subscription saw: ${live.join(', ')}`);

    // A tenant verifies its own audit log outside Palisade: the export and the public key are all it needs.
    let exported = '';
    await exportAuditLog(runtime.forTenant(tenant('acme')), { signer }, (line) => {
      exported += jsonlLine(line);
    });
    const trusted = { keys: [must(loadPublicKey('demo-key', publicPem))] };
    const verified = verifyJsonl(exported, trusted);
    print(
      `\nacme   audit log: ${verified.entries} entries, ${verified.checkpoints} signed checkpoints, verified: ${String(verified.ok)}`,
    );
    const tampered = exported.replace('"outcome":"refused"', '"outcome":"success"');
    const caught = verifyJsonl(tampered, trusted);
    print(
      `acme   the same export with the refusal rewritten as a success: verified: ${String(caught.ok)} (${caught.problems[0]?.kind ?? 'no problem found'})`,
    );
    print('\nEach tenant saw only its own events.');
  } finally {
    await runtime.close();
  }
};
