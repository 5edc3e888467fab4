#!/usr/bin/env node
// Smoke test of a control plane started by tools/cluster/up.sh, using only Node's standard library
// against the REST API (token + CA from the state file):
//
//   node tools/cluster/smoke.mjs STATE_FILE
//
// Checks: /version matches the pin; a 3-replica Deployment gets 3 Running+Ready pods with pod IPs
// (scheduler + kwok); a Service gets an EndpointSlice with 3 ready endpoints; a deleted pod is
// replaced; a pod on a node kwok does not manage can have its Ready condition patched by hand (and then
// shows up ready in its Service's EndpointSlice); deleting the Deployment garbage-collects its
// ReplicaSet and pods; deleting the namespace finishes. Prints one line per check and exits non-zero on
// the first failure.
import fs from 'node:fs';
import https from 'node:https';

const stateFile = process.argv[2];
if (!stateFile) {
  console.error('usage: node smoke.mjs STATE_FILE');
  process.exit(2);
}
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const ca = fs.readFileSync(state.caFile);
const base = new URL(state.server);

function api(method, path, body, contentType = 'application/json') {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        hostname: base.hostname,
        port: base.port,
        path,
        method,
        ca,
        headers: {
          Authorization: `Bearer ${state.token}`,
          Accept: 'application/json',
          ...(data ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        let buf = '';
        res.on('data', (c) => (buf += c));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(buf);
          } catch {
            json = buf;
          }
          resolve({ status: res.statusCode, body: json });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function must(method, path, body, contentType) {
  const r = await api(method, path, body, contentType);
  if (r.status >= 300) throw new Error(`${method} ${path} -> HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 400)}`);
  return r.body;
}

async function waitFor(what, fn, timeoutMs = 60000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    last = await fn();
    if (last) {
      console.log(`ok   ${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      return last;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s: ${what}`);
}

const ready = (p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function main() {
  const t0 = Date.now();
  const v = await must('GET', '/version');
  if (v.gitVersion !== state.kubernetesVersion) throw new Error(`/version says ${v.gitVersion}, state says ${state.kubernetesVersion}`);
  console.log(`ok   /version is ${v.gitVersion}`);

  const ns = `smoke-${Date.now().toString(36)}`;
  await must('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  await waitFor('default ServiceAccount in new namespace', async () => (await api('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200);

  const labels = { app: 'smoke' };
  const podSpec = { containers: [{ name: 'app', image: 'registry.invalid/smoke:1', ports: [{ containerPort: 8080 }] }] };
  await must('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
    metadata: { name: 'smoke' },
    spec: { replicas: 3, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  });
  const listPods = async (sel = 'app=smoke') => (await must('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(sel)}`)).items;
  const running = (pods) => pods.filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running' && ready(p) && p.status.podIP && p.spec.nodeName);
  const pods = await waitFor('Deployment of 3 -> 3 Running+Ready pods with pod IPs on kwok nodes', async () => {
    const r = running(await listPods());
    return r.length === 3 ? r : null;
  });
  console.log(`     ${pods.map((p) => `${p.metadata.name}@${p.spec.nodeName}=${p.status.podIP}`).join(' ')}`);

  await must('POST', `/api/v1/namespaces/${ns}/services`, {
    metadata: { name: 'smoke' },
    spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const readyEndpoints = async (svc) => {
    const slices = (await must('GET', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${svc}`)).items;
    return slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
  };
  await waitFor('Service -> EndpointSlice with 3 ready endpoints', async () => (await readyEndpoints('smoke')).length === 3);

  const victim = pods[0].metadata.name;
  await must('DELETE', `/api/v1/namespaces/${ns}/pods/${victim}`);
  await waitFor(`deleted pod ${victim} replaced (3 Running+Ready, victim gone)`, async () => {
    const all = await listPods();
    const r = running(all);
    return r.length === 3 && !all.some((p) => p.metadata.name === victim);
  });

  const manualNode = state.manualNodes?.[0];
  if (manualNode) {
    await must('POST', `/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: 'manual', labels: { app: 'manual' } },
      spec: { nodeName: manualNode, containers: [{ name: 'app', image: 'registry.invalid/smoke:1', ports: [{ containerPort: 8080 }] }] },
    });
    await must('POST', `/api/v1/namespaces/${ns}/services`, {
      metadata: { name: 'manual' },
      spec: { selector: { app: 'manual' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    await new Promise((r) => setTimeout(r, 1000));
    const before = await must('GET', `/api/v1/namespaces/${ns}/pods/manual`);
    if (before.status.phase !== 'Pending' || ready(before)) throw new Error(`pod on unmanaged node ${manualNode} was touched: ${JSON.stringify(before.status)}`);
    console.log(`ok   pod on unmanaged node ${manualNode} stays Pending (no kubelet, not kwok)`);
    const now = new Date().toISOString();
    await must(
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/manual/status`,
      {
        status: {
          phase: 'Running',
          podIP: '10.245.0.10',
          podIPs: [{ ip: '10.245.0.10' }],
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          ],
        },
      },
      'application/strategic-merge-patch+json',
    );
    const after = await must('GET', `/api/v1/namespaces/${ns}/pods/manual`);
    if (!ready(after)) throw new Error('Ready patch on status subresource did not stick');
    console.log('ok   Ready condition patched by hand through pods/status');
    await waitFor('patched pod appears ready in its Service EndpointSlice', async () => (await readyEndpoints('manual')).length === 1);
    await must('PATCH', `/api/v1/namespaces/${ns}/pods/manual/status`, { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date().toISOString() }] } }, 'application/strategic-merge-patch+json');
    await waitFor('flipped to not-ready -> endpoint not ready', async () => (await readyEndpoints('manual')).length === 0);
    // No kubelet will ever finish a graceful delete on that node: delete with grace period 0.
    await must('DELETE', `/api/v1/namespaces/${ns}/pods/manual?gracePeriodSeconds=0`);
  }

  await must('DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/smoke`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  await waitFor('Deployment deleted -> ReplicaSet and pods garbage-collected', async () => {
    const rs = (await must('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`)).items;
    return rs.length === 0 && (await listPods('')).length === 0;
  }, 90000);

  await must('DELETE', `/api/v1/namespaces/${ns}`);
  await waitFor(`namespace ${ns} finalized`, async () => (await api('GET', `/api/v1/namespaces/${ns}`)).status === 404, 90000);
  console.log(`smoke: all checks passed in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

main().catch((e) => {
  console.error(`FAIL ${e.message}`);
  process.exit(1);
});
