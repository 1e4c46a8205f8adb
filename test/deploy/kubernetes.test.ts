import t from 'tap'
import { parse } from 'yaml'

import { parseConfig } from '../../config/load-config.js'
import { checkArgv, cliCommands, servedPaths } from './support/cli-commands.js'
import { filesIn, read, yamlDocuments } from './support/deploy-files.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely here */
type K8s = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any }

const files = filesIn('kubernetes', ['.yaml', '.yml'])
const objects: Array<K8s & { file: string }> = files.flatMap((file) => (yamlDocuments(file) as K8s[]).map((o) => ({ ...o, file })))
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind)
const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)
const workloads = ofKind('Deployment')
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)
const containersOf = (d: K8s): any[] => d.spec.template.spec.containers
const NAMESPACE = 'sovereign-eu-central'
/** A stand-in value of the right shape for an {env: NAME} secret. */
const fakeSecret = (name: string) => (name.endsWith('REDIS_URL') ? 'redis://redis.test:6379/0' : `fake-${name.toLowerCase()}-value`)

t.test('every manifest parses and names its kind, apiVersion, name and namespace', async (t) => {
  t.ok(files.length >= 5, `${files.length} files`)
  for (const o of objects) {
    t.ok(o.apiVersion && o.kind && o.metadata?.name, `${o.file}: ${o.kind}/${o.metadata?.name}`)
    if (o.kind !== 'Namespace' && o.metadata.name !== 'prometheus-adapter-sovereign') t.equal(o.metadata.namespace, NAMESPACE, `${o.kind}/${o.metadata.name} is in the region's namespace`)
  }
  for (const kind of ['Namespace', 'ConfigMap', 'Secret', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy']) t.ok(ofKind(kind).length > 0, `has a ${kind}`)
})

t.test('each Deployment selects its own pods, and Services, PDBs and policies select pods that exist', async (t) => {
  for (const d of workloads) t.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name} selector matches its template`)
  const pods = workloads.map((d) => d.spec.template.metadata.labels as Record<string, string>)
  for (const s of ofKind('Service')) {
    const target = workloads.find((d) => matches(s.spec.selector, d.spec.template.metadata.labels))
    t.ok(target, `Service ${s.metadata.name} selects a Deployment`)
    for (const p of s.spec.ports) {
      const ports = containersOf(target!).flatMap((c) => c.ports)
      t.ok(ports.some((cp: any) => cp.name === p.targetPort || cp.containerPort === p.targetPort), `Service port ${p.name} targets a container port`)
    }
  }
  for (const pdb of ofKind('PodDisruptionBudget')) t.ok(pods.some((l) => matches(pdb.spec.selector.matchLabels, l)), `PDB ${pdb.metadata.name} selects pods`)
  for (const np of ofKind('NetworkPolicy')) t.ok(pods.some((l) => matches(np.spec.podSelector.matchLabels, l)), `NetworkPolicy ${np.metadata.name} selects pods`)
  for (const hpa of ofKind('HorizontalPodAutoscaler')) t.ok(named(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name), `HPA ${hpa.metadata.name} targets an existing ${hpa.spec.scaleTargetRef.kind}`)
})

t.test('referenced ConfigMaps and Secrets exist, with the keys the containers read', async (t) => {
  for (const d of workloads) {
    for (const v of d.spec.template.spec.volumes ?? []) {
      if (v.configMap) t.ok(named('ConfigMap', v.configMap.name), `${d.metadata.name}: ConfigMap ${v.configMap.name} exists`)
    }
    for (const c of containersOf(d)) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef
        if (!ref) continue
        const secret = named('Secret', ref.name)
        t.ok(secret, `${d.metadata.name}: Secret ${ref.name} exists`)
        t.ok(secret && ref.key in (secret.stringData ?? secret.data ?? {}), `${d.metadata.name}: Secret ${ref.name} has ${ref.key}`)
      }
    }
  }
})

t.test('containers run real CLI commands with real flags, and probe the paths and ports the code serves', async (t) => {
  const commands = cliCommands()
  t.ok(commands.has('relay') && commands.has('control-plane'), 'the CLI has relay and control-plane')
  t.same(checkArgv(['relay', '--no-such-flag'], commands), ['relay has no flag --no-such-flag'], 'the check catches an unknown flag')
  const served = servedPaths()
  t.ok(served.relay.has('/readyz') && served.controlPlane.has('/readyz'), 'both serve /readyz')
  for (const d of workloads) {
    for (const c of containersOf(d)) {
      t.same(c.command, ['node', '/app/dist/cli/main.js'], 'runs the built CLI (cli/main.ts compiled to dist/)')
      t.same(checkArgv(c.args, commands), [], `${d.metadata.name}: ${c.args.join(' ')}`)
      const command = c.args[0] as 'relay' | 'control-plane'
      const paths = command === 'relay' ? served.relay : served.controlPlane
      const httpFlag = command === 'relay' ? '--metrics' : '--listen'
      const httpPort = Number(String(c.args[c.args.indexOf(httpFlag) + 1]).split(':').pop())
      // Both serve Prometheus on a listener of their own (a control plane's /metrics on the API port needs an operator key).
      const metricsPort = Number(String(c.args[c.args.indexOf('--metrics') + 1]).split(':').pop())
      t.ok(c.args.includes('--metrics'), `${d.metadata.name} opens a metrics listener`)
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        t.ok(paths.has(probe.httpGet.path), `${d.metadata.name} probes ${probe.httpGet.path}, which the ${command} serves`)
        const port = c.ports.find((p: any) => p.name === probe.httpGet.port || p.containerPort === probe.httpGet.port)
        t.equal(port?.containerPort, httpPort, `${d.metadata.name}: the probe port is the one ${httpFlag} opens`)
      }
      t.equal(d.spec.template.metadata.annotations['prometheus.io/port'], String(metricsPort), `${d.metadata.name}: Prometheus scrapes the metrics listener`)
      t.ok(c.ports.some((p: any) => p.containerPort === metricsPort), `${d.metadata.name}: the metrics port is a container port`)
      const mount = c.volumeMounts.find((m: any) => m.name === 'config')
      t.equal(`${mount.mountPath}/network.yaml`, c.args[c.args.indexOf('--config') + 1], 'the --config file is the mounted ConfigMap key')
    }
  }
})

t.test("the ConfigMap's network config passes the project's loader with the env each container gets", async (t) => {
  const cm = named('ConfigMap', 'sovereign-network')!
  const text = cm.data['network.yaml'] as string
  const referenced = [...text.matchAll(/\{\s*env:\s*([A-Z_][A-Z0-9_]*)\s*\}/g)].map((m) => m[1]!)
  t.ok(referenced.length >= 4, `the config references ${referenced.length} secrets`)
  const secretKeys = Object.keys(named('Secret', 'sovereign-secrets')!.stringData)
  t.same([...secretKeys].sort(), [...new Set(referenced)].sort(), 'the Secret holds exactly the referenced variables')
  for (const d of workloads) {
    for (const c of containersOf(d)) {
      const env = Object.fromEntries((c.env as any[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, fakeSecret(e.name)]))
      const config = parseConfig({ text, source: `${d.metadata.name} network.yaml` }, { env })
      const region = c.args[c.args.indexOf('--region') + 1]
      t.ok(config.regionById(region), `${d.metadata.name}: region ${region} is in the config`)
      t.ok(d.metadata.labels?.['sovereign.example.com/region'] === region, `${d.metadata.name} is labelled with its region`)
    }
  }
  t.throws(() => parseConfig({ text, source: 'no env' }, { env: {} }), { code: 'CONFIG_INVALID' }, 'without the Secret the config is refused')
})

t.test('relays use host networking, drain within the termination grace, and scale on allocations', async (t) => {
  const relay = named('Deployment', 'sovereign-relay')!
  const spec = relay.spec.template.spec
  t.equal(spec.hostNetwork, true)
  t.equal(spec.dnsPolicy, 'ClusterFirstWithHostNet')
  const args: string[] = spec.containers[0].args
  t.ok(spec.terminationGracePeriodSeconds > Number(args[args.indexOf('--grace') + 1]), 'SIGKILL comes after the drain grace')
  const cm = parse(named('ConfigMap', 'sovereign-network')!.data['network.yaml'])
  t.ok(spec.terminationGracePeriodSeconds > cm.relay.drainGraceSeconds, 'and after the config drain grace')
  const hpa = named('HorizontalPodAutoscaler', 'sovereign-relay')!
  const metric = hpa.spec.metrics[0].pods.metric.name
  t.equal(metric, 'sovereign_relay_allocations')
  t.match(read('relay/metrics/relay-metrics.ts'), /name: `\$\{P\}allocations`/, 'the relay exports it')
  const adapter = parse(named('ConfigMap', 'prometheus-adapter-sovereign')!.data['config.yaml'])
  t.match(adapter.rules[0].seriesQuery, new RegExp(`^${metric}\\{`), 'prometheus-adapter serves it')
})

t.test('the Prometheus pod discovery keeps these pods and labels them as the rules expect', async (t) => {
  const [doc] = yamlDocuments('deploy/prometheus/prometheus-kubernetes.yml') as any[]
  const relabel: any[] = doc.scrape_configs[0].relabel_configs
  const keep = relabel.find((r) => r.action === 'keep')
  const sanitize = (label: string) => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`
  for (const d of workloads) {
    const labels = d.spec.template.metadata.labels as Record<string, string>
    t.equal(keep.source_labels[0], sanitize('app.kubernetes.io/name'))
    t.match(labels['app.kubernetes.io/name'], new RegExp(`^${keep.regex}$`), `${d.metadata.name} is kept`)
    t.ok(relabel.some((r) => r.source_labels?.[0] === sanitize('sovereign.example.com/region') && r.target_label === 'region'), 'region label comes from the pod')
    t.ok(['sovereign-relay', 'sovereign-control-plane'].includes(labels['app.kubernetes.io/name']!), 'the job name matches the rules')
  }
})
