/**
 * Vending through the whole local system: an open-data request is vended at submit — the files copied
 * server-side into the requester's project container under the catalog's layout, SAMPLE_INFO.txt, the grant,
 * the mail, the progress on the request and the dashboard — and a re-run copies nothing twice while a file the
 * requester deleted comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectFor } from '../../infra/local/standins/dev-issuer';
import { vendingInstanceId } from '../../shared/lifecycle/request-lifecycle-contract';
import { grantInstanceId } from '../../shared/lifecycle/provisioning-activities';
import { projectContainerName } from '../../shared/provisioning/model';
import { findPersona } from '../../infra/local/personas';
import {
  blobNames,
  dauOf,
  grantOf,
  mailsTo,
  requestWhen,
  startProvisioningSystem,
  submitRequest,
  timelineTypes,
  type ProvisioningSystem,
} from './support';

let system: ProvisioningSystem;
const maya = findPersona('us-requester');

beforeAll(async () => {
  system = await startProvisioningSystem();
});

afterAll(async () => {
  await system?.close();
});

describe('an open-data request', () => {
  let requestId: string;
  let container: string;
  let vendedBlobs: string[];

  it('is vended at submit into the project container, with SAMPLE_INFO.txt, a grant and a mail', async () => {
    const project = 'Open ALL expression';
    const { id } = await submitRequest(system, {
      rows: ['PanALL'],
      answers: { destination: { kind: 'new', projectName: project, folderName: 'Expression data' } },
    });
    requestId = id;
    const request = await requestWhen(system, id, (body) => dauOf(body, 'PanALL').status === 'active');
    expect(request.status).toBe('active');
    const vending = dauOf(request, 'PanALL').vending;
    expect(vending).toMatchObject({ status: 'vended', folder: 'Expression data' });
    expect(vending.filesDone).toBe(vending.files);
    expect(vending.bytesDone).toBe(vending.bytes);
    expect(vending.files).toBe(request.selection.counts.files);

    container = projectContainerName(subjectFor(maya.email), project);
    expect(vending.container).toBe(container);
    vendedBlobs = await blobNames(system, container);
    expect(vendedBlobs).toContain('Expression data/SAMPLE_INFO.txt');
    const dataBlobs = vendedBlobs.filter((name) => name !== 'Expression data/SAMPLE_INFO.txt');
    expect(dataBlobs.length).toBeGreaterThanOrEqual(vending.files);
    for (const name of dataBlobs) expect(name).toMatch(/^Expression data\/open\/[a-z_-]+\//);

    const sampleInfo = (
      await system.blobs
        .getContainerClient(container)
        .getBlobClient('Expression data/SAMPLE_INFO.txt')
        .downloadToBuffer()
    )
      .toString('utf8')
      .trim()
      .split('\n');
    expect(sampleInfo[0]).toBe(
      'file_path\tfile_type\tfile_size\tsample_name\tsubject_name\tsample_type\tsequencing_type\ttissue_pairing\tdiagnosis\tdau',
    );
    expect(sampleInfo).toHaveLength(vending.files + 1);
    // The catalog's (true) sizes, not the synthetic blobs'.
    const sizes = sampleInfo.slice(1).map((line) => Number(line.split('\t')[2]));
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(vending.bytes);

    const grant = await grantOf(system, id, 'PanALL', subjectFor(maya.email));
    expect(grant).toMatchObject({ status: 'active', downloadAllowed: true, requestId: id, dauId: 'PanALL' });
    expect(Date.parse(grant!.expiresAt) - Date.parse(grant!.grantedAt)).toBe(365 * 24 * 3600_000);
    const grantInstance = await system.durable.status(grantInstanceId(id, 'PanALL'));
    expect(grantInstance.runtimeStatus).toBe('Running');

    await expect.poll(() => mailsTo(system, maya.email, 'Your data is ready').length).toBe(1);
    expect(await timelineTypes(system, id)).toEqual(
      expect.arrayContaining(['request.submitted', 'vending.started', 'vending.dau-vended']),
    );
  });

  it('shows the vend on the dashboard', async () => {
    const dashboard = await system.call('GET', '/api/requests', { as: 'us-requester' });
    const item = dashboard.body.items.find((entry: { id: string }) => entry.id === requestId);
    expect(item.status).toBe('active');
    expect(item.daus[0].vending).toMatchObject({ status: 'vended' });
    expect(item.daus[0].vending.filesDone).toBe(item.daus[0].vending.files);
  });

  it('copies nothing twice on a re-run, and brings back a file the requester deleted', async () => {
    const rerun = await system.durable.start(
      'dauVending',
      { requestId, dauId: 'PanALL', approvedAt: new Date(system.clock.now()).toISOString() },
      `${vendingInstanceId(requestId, 'PanALL')}-again`,
    );
    const again = await system.durable.waitFor(rerun, ['Completed', 'Failed'], { advanceMs: 10_000 });
    expect(again.output).toMatchObject({ outcome: 'vended', copied: 0 });
    expect(await blobNames(system, container)).toEqual(vendedBlobs);

    const deleted = vendedBlobs.find((name) => name.endsWith('.txt') === false)!;
    await system.blobs.getContainerClient(container).deleteBlob(deleted);
    const third = await system.durable.start(
      'dauVending',
      { requestId, dauId: 'PanALL', approvedAt: new Date(system.clock.now()).toISOString() },
      `${vendingInstanceId(requestId, 'PanALL')}-third`,
    );
    const done = await system.durable.waitFor(third, ['Completed', 'Failed'], { advanceMs: 10_000 });
    expect(done.output).toMatchObject({ outcome: 'vended', copied: 1 });
    expect(await blobNames(system, container)).toEqual(vendedBlobs);
    // Still one grant and one "data ready" mail.
    expect(mailsTo(system, maya.email, 'Your data is ready')).toHaveLength(1);
  });
});
