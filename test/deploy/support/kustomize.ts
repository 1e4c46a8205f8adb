/**
 * The Kubernetes manifests as a cluster would receive them: each overlay of
 * deploy/kubernetes/overlays rendered by `kubectl kustomize` (KUBECTL names another
 * binary). Debian's kubernetes-client is enough (bash .ci/run installs it).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { parseAllDocuments } from 'yaml'

import { ROOT } from './deploy-files.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely here */
export type K8s = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any }

export const OVERLAYS = 'deploy/kubernetes/overlays'

/** The overlays, one per region (a folder with a kustomization.yaml). */
export function overlayNames(): string[] {
  return readdirSync(join(ROOT, OVERLAYS), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(ROOT, OVERLAYS, e.name, 'kustomization.yaml')))
    .map((e) => e.name)
    .sort()
}

/** `kubectl kustomize <dir>` parsed; any render error (or a missing kubectl) throws with kubectl's message. */
export function render(dir: string): K8s[] {
  const kubectl = process.env.KUBECTL ?? 'kubectl'
  let out: string
  try {
    out = execFileSync(kubectl, ['kustomize', join(ROOT, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string }
    if (e.code === 'ENOENT') throw new Error(`${kubectl} not found: the Kubernetes manifests are rendered with \`kubectl kustomize\` (Debian package kubernetes-client)`)
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr ?? e.message}`)
  }
  return parseAllDocuments(out).map((d, i) => {
    if (d.errors.length > 0) throw new Error(`${dir} rendered document ${i}: ${d.errors.map((x) => x.message).join('; ')}`)
    return d.toJS() as K8s
  }).filter((o) => o !== null)
}

/** One rendered overlay, with the lookups the deploy tests share. */
export function renderOverlay(name: string) {
  const objects = render(join(OVERLAYS, name))
  const named = (kind: string, n: string) => objects.find((o) => o.kind === kind && o.metadata.name === n)
  const deployment = (n: string): K8s => {
    const d = named('Deployment', n)
    if (d === undefined) throw new Error(`overlay ${name} renders no Deployment ${n}`)
    return d
  }
  const network = named('ConfigMap', 'sovereign-network')
  return {
    name,
    objects,
    named,
    deployment,
    /** The overlay's network config text and region id (the ConfigMap's two keys). */
    networkYaml: network?.data?.['network.yaml'] as string | undefined,
    region: network?.data?.region as string | undefined,
  }
}
