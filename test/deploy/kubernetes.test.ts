/**
 * deploy/kubernetes as a cluster receives it: every overlay rendered by `kubectl kustomize`
 * (test/deploy/support/kustomize.ts), then parsed, cross-referenced, its container command
 * lines checked against the CLI and its network config run through the project's loader.
 */
import t from 'tap'
import { parse } from 'yaml'

import { parseConfig } from '../../config/load-config.js'
import { checkArgv, cliCommands, servedPaths } from './support/cli-commands.js'
import { read, yamlDocuments } from './support/deploy-files.js'
import { overlayNames, render, renderOverlay, type K8s } from './support/kustomize.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely here */
const overlays = overlayNames()
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)
const containersOf = (d: K8s): any[] => d.spec.template.spec.containers
const [secret] = yamlDocuments('deploy/kubernetes/secrets.example.yaml') as K8s[]
const secretKeys = Object.keys(secret!.stringData as Record<string, string>)
const version = (JSON.parse(read('package.json')) as { version: string }).version
/** A stand-in value of the right shape for an {env: NAME} secret. */
const fakeSecret = (name: string) => (name.endsWith('REDIS_URL') ? 'redis://redis.test:6379/0' : `fake-${name.toLowerCase()}-value`)
/** The $(VAR) references Kubernetes expands in a container's args. */
const referencedVars = (args: string[]) => args.flatMap((a) => [...a.matchAll(/\$\((\w+)\)/g)].map((m) => m[1]!))

t.test('there is an overlay per region, and the hand-edited copies are gone', async (t) => {
  t.ok(overlays.includes('eu-central'), `overlays: ${overlays.join(', ')}`)
  t.ok(overlays.length >= 2, 'more than one region renders from the one base')
  t.throws(() => render('deploy/kubernetes/base/no-such-overlay'), /kubectl kustomize .* failed/, 'a render failure is reported, not swallowed')
})

for (const name of overlays) {
  const o = renderOverlay(name)
  const ofKind = (kind: string) => o.objects.filter((x) => x.kind === kind)
  const workloads = ofKind('Deployment')
  const namespace = `sovereign-${name}`

  t.test(`${name}: every object names its kind, apiVersion, name and the region's namespace`, async (t) => {
    for (const x of o.objects) {
      t.ok(x.apiVersion && x.kind && x.metadata?.name, `${x.kind}/${x.metadata?.name}`)
      if (x.kind === 'Namespace') t.equal(x.metadata.name, namespace, 'the namespace is the region\'s')
      else t.equal(x.metadata.namespace, namespace, `${x.kind}/${x.metadata.name} is in the region's namespace`)
      t.equal(x.metadata.labels?.['sovereign.example.com/region'], name, `${x.kind}/${x.metadata.name} is labelled with its region`)
    }
    for (const kind of ['Namespace', 'ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy']) t.ok(ofKind(kind).length > 0, `has a ${kind}`)
    t.equal(ofKind('Secret').length, 0, 'no Secret is rendered: it comes from the secret store')
  })

  t.test(`${name}: each Deployment selects its own pods, and Services, PDBs and policies select pods that exist`, async (t) => {
    for (const d of workloads) {
      t.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name} selector matches its template`)
      t.equal(d.spec.selector.matchLabels['sovereign.example.com/region'], name, `${d.metadata.name} selects only its region's pods`)
    }
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
    for (const hpa of ofKind('HorizontalPodAutoscaler')) t.ok(o.named(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name), `HPA ${hpa.metadata.name} targets an existing ${hpa.spec.scaleTargetRef.kind}`)
  })

  t.test(`${name}: referenced ConfigMaps and keys exist, and the Secret the containers load is the documented one`, async (t) => {
    for (const d of workloads) {
      for (const v of d.spec.template.spec.volumes ?? []) {
        if (v.configMap) t.ok(o.named('ConfigMap', v.configMap.name), `${d.metadata.name}: ConfigMap ${v.configMap.name} exists`)
      }
      for (const c of containersOf(d)) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.configMapKeyRef
          if (ref) t.ok(ref.key in (o.named('ConfigMap', ref.name)?.data ?? {}), `${d.metadata.name}: ConfigMap ${ref.name} has ${ref.key}`)
          t.notOk(e.valueFrom?.secretKeyRef, `${d.metadata.name}: ${e.name} comes with the whole Secret, not one key at a time`)
        }
        t.same((c.envFrom ?? []).map((f: any) => f.secretRef?.name), [secret!.metadata.name], `${d.metadata.name} loads the Secret ${secret!.metadata.name}`)
      }
    }
  })

  t.test(`${name}: containers run the image's sovereign entrypoint with real commands and flags, and probe what the code serves`, async (t) => {
    const commands = cliCommands()
    t.ok(commands.has('relay') && commands.has('control-plane'), 'the CLI has relay and control-plane')
    t.same(checkArgv(['relay', '--no-such-flag'], commands), ['relay has no flag --no-such-flag'], 'the check catches an unknown flag')
    const served = servedPaths()
    t.ok(served.relay.has('/readyz') && served.controlPlane.has('/readyz'), 'both serve /readyz')
    const images = parse(read(`deploy/kubernetes/overlays/${name}/kustomization.yaml`)).images as Array<{ name: string; newName: string; newTag: string }>
    const image = images.find((i) => i.name === 'sovereign-relay')!
    for (const d of workloads) {
      for (const c of containersOf(d)) {
        t.equal(c.command, undefined, `${d.metadata.name}: no command, so the image's ENTRYPOINT ["sovereign"] runs`)
        t.equal(c.image, `${image.newName}:${image.newTag}`, `${d.metadata.name} runs the overlay's image`)
        t.equal(image.newTag, version, 'the tag is the package version image:build gives the image')
        t.same(checkArgv(c.args, commands), [], `${d.metadata.name}: ${c.args.join(' ')}`)
        const defined = new Set((c.env ?? []).map((e: any) => e.name as string))
        for (const v of referencedVars(c.args)) t.ok(defined.has(v), `${d.metadata.name}: $(${v}) is defined in env (else Kubernetes passes it literally)`)
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
        t.equal(d.spec.template.spec.securityContext.runAsUser, 10001, 'runs as the image\'s non-root user')
      }
    }
  })

  t.test(`${name}: the network config passes the project's loader with the Secret's variables, and names the overlay's region`, async (t) => {
    const text = o.networkYaml!
    t.equal(text, read('deploy/kubernetes/base/network.yaml'), 'the ConfigMap carries base/network.yaml as it is')
    const referenced = [...text.matchAll(/\{\s*env:\s*([A-Z_][A-Z0-9_]*)\s*\}/g)].map((m) => m[1]!)
    t.ok(referenced.length >= 4, `the config references ${referenced.length} secrets`)
    t.same([...secretKeys].sort(), [...new Set(referenced)].sort(), 'the Secret holds exactly the referenced variables')
    const config = parseConfig({ text, source: `${name} network.yaml` }, { env: Object.fromEntries(secretKeys.map((k) => [k, fakeSecret(k)])) })
    t.equal(o.region, name, 'the overlay is named after the region it sets')
    t.ok(config.regionById(o.region!), `region ${o.region} is in the config`)
    for (const d of workloads) {
      const args: string[] = containersOf(d)[0].args
      t.equal(args[args.indexOf('--region') + 1], '$(SOVEREIGN_REGION)', `${d.metadata.name} joins the region of the ConfigMap`)
    }
    t.throws(() => parseConfig({ text, source: 'no env' }, { env: {} }), { code: 'CONFIG_INVALID' }, 'without the Secret the config is refused')
  })

  t.test(`${name}: relays use host networking, drain within the termination grace, and scale on allocations`, async (t) => {
    const relay = o.deployment('sovereign-relay')
    const spec = relay.spec.template.spec
    t.equal(spec.hostNetwork, true)
    t.equal(spec.dnsPolicy, 'ClusterFirstWithHostNet')
    const args: string[] = spec.containers[0].args
    t.ok(spec.terminationGracePeriodSeconds > Number(args[args.indexOf('--grace') + 1]), 'SIGKILL comes after the drain grace')
    t.ok(spec.terminationGracePeriodSeconds > parse(o.networkYaml!).relay.drainGraceSeconds, 'and after the config drain grace')
    const relayContainer = spec.containers[0]
    t.equal(args[args.indexOf('--data-threads') + 1], '$(DATA_THREADS)', 'the native data threads come from DATA_THREADS')
    const threads = relayContainer.env.find((e: any) => e.name === 'DATA_THREADS')
    t.same(threads?.valueFrom?.resourceFieldRef, { containerName: relayContainer.name, resource: 'limits.cpu', divisor: '1' }, 'DATA_THREADS is the container\'s own CPU limit in whole cores')
    const cpu = relayContainer.resources?.limits?.cpu
    t.match(String(cpu), /^[1-9]\d*$/, `the CPU limit is whole cores (${cpu}), so no thread shares a core`)
    t.equal(String(relayContainer.resources?.requests?.cpu), String(cpu), 'requests equal limits: Guaranteed QoS')
    t.equal(String(relayContainer.resources?.requests?.memory), String(relayContainer.resources?.limits?.memory), 'for memory too')
    const hpa = o.named('HorizontalPodAutoscaler', 'sovereign-relay')!
    const metric = hpa.spec.metrics[0].pods.metric.name
    t.equal(metric, 'sovereign_relay_allocations')
    t.match(read('relay/metrics/relay-metrics.ts'), /name: `\$\{P\}allocations`/, 'the relay exports it')
    const [adapterConfig] = yamlDocuments('deploy/kubernetes/monitoring/prometheus-adapter.yaml') as K8s[]
    t.match(parse(adapterConfig!.data['config.yaml']).rules[0].seriesQuery, new RegExp(`^${metric}\\{`), 'prometheus-adapter serves it')
  })
}

t.test('the Prometheus pod discovery keeps these pods and labels them as the rules expect', async (t) => {
  const [doc] = yamlDocuments('deploy/prometheus/prometheus-kubernetes.yml') as any[]
  const relabel: any[] = doc.scrape_configs[0].relabel_configs
  const keep = relabel.find((r) => r.action === 'keep')
  const sanitize = (label: string) => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`
  for (const d of renderOverlay('eu-central').objects.filter((x) => x.kind === 'Deployment')) {
    const labels = d.spec.template.metadata.labels as Record<string, string>
    t.equal(keep.source_labels[0], sanitize('app.kubernetes.io/name'))
    t.match(labels['app.kubernetes.io/name'], new RegExp(`^${keep.regex}$`), `${d.metadata.name} is kept`)
    t.ok(relabel.some((r) => r.source_labels?.[0] === sanitize('sovereign.example.com/region') && r.target_label === 'region'), 'region label comes from the pod')
    t.ok(['sovereign-relay', 'sovereign-control-plane'].includes(labels['app.kubernetes.io/name']!), 'the job name matches the rules')
  }
})
