import { join } from 'node:path';
import * as ts from 'typescript';

// Strict validation of Kubernetes objects, unknown fields included. kubernetes-models' validate()
// checks types and required fields but lets any unknown key through (its generated schemas have
// no additionalProperties: false), so `imagePullPolcy: Always` would pass and be silently
// dropped by the API server. The same package ships a TypeScript interface per kind, generated
// from the same OpenAPI definitions; typing each object literally as that interface makes the
// compiler's excess-property check reject every key the schema does not define, at any depth,
// along with wrong types and enum values. KEDA's ScaledObject comes from
// @kubernetes-models/keda 0.4.2, generated from KEDA's CRD schema of its time (the last release
// for Node 20): a field added by a later KEDA (e.g. advanced.scalingModifiers) is unknown to it.

const ROOT = join(__dirname, '..', '..');

/** `apiVersion/kind` → the module and interface describing it. */
const SCHEMAS: Record<string, { module: string; type: string }> = {
  'v1/Namespace': { module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1/ServiceAccount': { module: 'kubernetes-models/v1/ServiceAccount', type: 'IServiceAccount' },
  'v1/PersistentVolumeClaim': { module: 'kubernetes-models/v1/PersistentVolumeClaim', type: 'IPersistentVolumeClaim' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': {
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    type: 'INetworkPolicy',
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'keda.sh/v1alpha1/ScaledObject': {
    module: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
    type: 'IScaledObject',
  },
};

export const knownKinds = (): string[] => Object.keys(SCHEMAS);

export interface Manifest {
  /** Where it comes from, for the messages (a file name). */
  where: string;
  doc: unknown;
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
};

// The declaration files parsed once per test file: each call then only type-checks.
const parsed = new Map<string, ts.SourceFile | undefined>();

/**
 * Every schema violation of `manifests`, as `where (Kind name): message`, or [] when all pass.
 * An object of a kind with no schema here is an error too.
 */
export function schemaErrors(manifests: Manifest[]): string[] {
  const errors: Array<{ i: number; text: string }> = [];
  const imports: string[] = [];
  const body: string[] = [];
  // Line ranges of each manifest in the generated file, to name the one a diagnostic is in.
  const spans: Array<{ from: number; to: number; label: string; i: number }> = [];
  let line = 0;
  manifests.forEach(({ where, doc }, i) => {
    const o = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
    const key = `${String(o.apiVersion)}/${String(o.kind)}`;
    const label = `${where} (${String(o.kind)} ${String(o.metadata?.name ?? '')})`;
    const schema = SCHEMAS[key];
    if (!schema) {
      errors.push({ i, text: `${label}: no schema for ${key}` });
      return;
    }
    imports.push(`import type { ${schema.type} as T${i} } from '${schema.module}';`);
    const text = `export const m${i}: T${i} = ${JSON.stringify(doc, null, 2)};`;
    spans.push({ from: line, to: line + text.split('\n').length - 1, label, i });
    body.push(text);
    line += text.split('\n').length;
  });
  const offset = imports.length;
  const file = join(ROOT, '__k8s_manifests__.ts');
  const source = [...imports, ...body].join('\n');

  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => {
    if (name === file) return ts.createSourceFile(name, source, lang);
    if (!parsed.has(name)) parsed.set(name, getSourceFile(name, lang, onError, create));
    return parsed.get(name);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram({ rootNames: [file], options: OPTIONS, host });

  const sf = program.getSourceFile(file)!;
  for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
    // The generated keys are quoted: '"imagePullPolcy"' reads better as 'imagePullPolcy'.
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ').replace(/'"([^"']+)"'/g, "'$1'");
    if (d.start === undefined) {
      errors.push({ i: -1, text: message });
      continue;
    }
    const at = sf.getLineAndCharacterOfPosition(d.start).line - offset;
    const span = spans.find((s) => at >= s.from && at <= s.to);
    const text = sf.text.split('\n')[at + offset]?.trim() ?? '';
    errors.push({ i: span?.i ?? -1, text: `${span?.label ?? 'imports'}: ${message} (at ${text})` });
  }
  // In the order of the manifests given.
  return errors.sort((a, b) => a.i - b.i).map((e) => e.text);
}
